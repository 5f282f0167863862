"""The talk-order read models: maintained in small batches while a random
workload of orders runs, they equal a rebuild row for row, and agree with the
orders themselves (an independent fold of the log)."""

from __future__ import annotations

import contextlib
import random
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from aggregates.errors import DomainError
from aggregates.talk_order import TalkOrder
from loop import demo
from loop.bootstrap import open_loop
from loop.rules.scoring import FUPING_SCORING
from projections.talk_queries import TalkQueries
from tests.projections.helpers import dump, projector_for
from tests.support import FakeClock
from tests.talk_helpers import STATION, offer, order, slot, talks_of

TODAY = date(2026, 7, 11)


@pytest.fixture(params=["sqlite", "postgresql"])
def views_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        url: str = request.getfixturevalue("postgres_url")
        return url
    return f"sqlite:///{tmp_path / 'views.db'}"


def attempt(command: Any) -> Any:
    with contextlib.suppress(DomainError):
        return command()
    return None


def test_talk_read_models_equal_a_rebuild_and_the_orders_themselves(views_url: str) -> None:
    clock = FakeClock()
    loop = open_loop(clock=clock, scoring=FUPING_SCORING)
    demo.enrol(loop.incidents)
    talks, links = talks_of(loop)
    projector = projector_for(loop.incidents, views_url, batch_size=5)
    projector.setup()
    items = [offer(talks), offer(talks, theme="campus", format="school_lecture", minutes=45)]
    withdrawn = offer(talks, theme="drugs", title="防毒识毒")
    talks.withdraw_item(STATION, demo.STATION, withdrawn, reason="宣讲人调岗")
    rng = random.Random(26)
    orders = []
    for n in range(24):
        placed = order(talks, rng.choice(items), TODAY)
        orders.append(placed.order_id)
        step = rng.random()
        if step < 0.15:
            talks.decline(STATION, placed.order_id, reason="宣讲队本周已满")
            continue
        if step < 0.25:
            continue  # waits for an answer
        talks.accept(STATION, placed.order_id)
        start = slot(TODAY, days=5 + n % 7, hour=8 + (n // 7) * 3)
        speakers = [rng.choice([demo.RIDER.id, demo.COURIER.id, demo.METER.id])]
        scheduled = attempt(
            lambda p=placed, s=start, sp=speakers: talks.schedule(
                STATION, p.order_id, starts_at=s, speakers=sp
            )
        )
        if scheduled is None or rng.random() < 0.2:
            if rng.random() < 0.5:
                attempt(lambda p=placed: links.cancel(p.link))
            continue
        if rng.random() < 0.2:
            attempt(
                lambda p=placed: links.reschedule(
                    p.link,
                    window_from=(TODAY + timedelta(days=30)).isoformat(),
                    window_to=(TODAY + timedelta(days=40)).isoformat(),
                )
            )
            continue
        if n % 5 == 0:
            projector.run_once()
    projector.catch_up()
    # deliver the scheduled ones, in time order, with the clock at each talk
    due = sorted(
        (o for o in (talks.get(i) for i in orders) if o.status == "scheduled"),
        key=lambda o: o.starts_at,
    )
    for held in due:
        assert held.starts_at is not None
        clock.now = held.starts_at + timedelta(minutes=held.minutes)
        delivered = talks.deliver(
            STATION,
            held.id,
            reach=rng.randint(20, 300),
            questions=rng.randint(0, 20),
            topics_on_site={"刷单返利": rng.randint(1, 5), "'两卡'": rng.randint(1, 3)},
        )
        assert delivered.link is not None
        links.rate(delivered.link, stars=rng.randint(1, 5))
        projector.run_once()
    projector.catch_up()
    assert len(due) >= 3

    incremental = dump(projector)
    queries = TalkQueries(projector)
    shown = {row["order_id"]: row for row in queries.orders(demo.STATION, limit=500)}
    held_orders = [talks.get(i) for i in orders]
    assert set(shown) == {str(o.id) for o in held_orders}
    for held in held_orders:  # the read model agrees with each order
        row = shown[str(held.id)]
        assert (row["status"], row["task_id"], row["reschedules"]) == (
            held.status,
            held.task_id,
            held.reschedules,
        )
        assert (row["rating"], row["follow_up"]) == (held.rating, held.follow_up)
    counted: Counter[str] = Counter()
    people: Counter[str] = Counter()
    for held in held_orders:
        if held.delivery is not None:
            counted[held.theme] += 1
            people[held.theme] += held.delivery["reach"]
    reach = queries.reach_by_theme(demo.COUNTY)
    assert {r["theme"]: (r["talks"], r["reach"]) for r in reach} == {
        t: (counted[t], people[t]) for t in counted
    }
    assert {i["item_id"] for i in queries.menu(demo.STATION)} == set(items)
    assert Counter(type(o).__name__ for o in held_orders) == {TalkOrder.__name__: len(orders)}

    fresh = projector_for(loop.incidents, views_url, batch_size=500)
    fresh.rebuild("talks")
    assert dump(fresh)["talks.orders"] == incremental["talks.orders"]
    assert {k: v for k, v in dump(fresh).items() if k.startswith("talks.")} == {
        k: v for k, v in incremental.items() if k.startswith("talks.")
    }
    projector.store.dispose()
    fresh.store.dispose()
