"""The talk-order read models: maintained in small batches while a random
workload of orders runs, they equal a rebuild row for row, and agree with the
orders themselves."""

from __future__ import annotations

import random
from collections import Counter

from loop import demo
from loop.bootstrap import open_loop
from loop.rules.scoring import FUPING_SCORING
from projections.talk_queries import TalkQueries
from tests.projections.helpers import dump, projector_for
from tests.support import FakeClock
from tests.talk_helpers import SPEAKERS, guests, talks_of, workload


def test_talk_read_models_equal_a_rebuild_and_the_orders_themselves(views_url: str) -> None:
    clock = FakeClock()
    loop = open_loop(clock=clock, scoring=FUPING_SCORING)
    demo.enrol(loop.incidents)
    talks, links = talks_of(loop)
    pool = [*SPEAKERS, *guests(loop, talks)]
    projector = projector_for(loop.incidents, views_url, batch_size=5)
    projector.setup()
    orders = workload(talks, links, clock, random.Random(26), 30, projector.run_once, pool)
    projector.catch_up()

    incremental = dump(projector)
    queries = TalkQueries(projector)
    shown = {row["order_id"]: row for row in queries.orders(demo.COUNTY, limit=500)}
    held_orders = [talks.get(i) for i in orders]
    assert set(shown) == {str(o.id) for o in held_orders}
    for held in held_orders:  # the read model agrees with each order
        row = shown[str(held.id)]
        assert (row["status"], row["unit"], row["task_id"], row["reschedules"]) == (
            held.status,
            held.unit,
            held.task_id,
            held.reschedules,
        )
        assert (row["rating"], row["follow_up"], row["confirmed"]) == (
            held.rating,
            held.follow_up,
            held.confirmed,
        )
    statuses = Counter(o.status for o in held_orders)
    assert statuses["delivered"] >= 3
    assert statuses["declined"] >= 1
    assert any(o.unit == "lishu/dongfeng" for o in held_orders)  # one was forwarded
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
    assert len(queries.menu(demo.STATION)) == 2  # the third was withdrawn
    registered = {row["speaker"]: row for row in queries.speakers(demo.STATION)}
    for ref in pool[len(SPEAKERS) :]:  # police and outside speakers: the read agrees
        held = talks.speakers.find(ref)
        assert held is not None
        assert (registered[ref]["booked"], registered[ref]["talks_given"]) == (
            len(held.bookings),
            len(held.spoke),
        )

    fresh = projector_for(loop.incidents, views_url, batch_size=500)
    fresh.rebuild("talks")
    rebuilt = dump(fresh)
    assert {k: v for k, v in rebuilt.items() if k.startswith("talks.")} == {
        k: v for k, v in incremental.items() if k.startswith("talks.")
    }
    projector.store.dispose()
    fresh.store.dispose()
