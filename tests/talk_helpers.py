"""Helpers for tests of talk orders: the talks over a loop, a menu item, an order."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from aggregates.actor import Actor
from aggregates.errors import DomainError
from loop import demo
from loop.bootstrap import Loop
from loop.services.talk_links import TalkLinks
from loop.services.talks import OrderAck, Talks
from tests.support import CHINA

KEY = b"talk-link-digest-key-for-tests"
STATION = demo.STATION_OFFICER
SPEAKERS = [demo.RIDER.id, demo.COURIER.id, demo.METER.id]


def digest(token: str) -> str:
    return hmac.new(KEY, token.encode(), hashlib.sha256).hexdigest()


def talks_of(loop: Loop) -> tuple[Talks, TalkLinks]:
    talks = Talks(loop.app, loop.tasks, digest)
    return talks, TalkLinks(talks)


OFFICER = "o-xf-li"  # 平安派出所社区民警: a police speaker's account
SCHOOL = "幸福村小学"


def guests(loop: Loop, talks: Talks) -> list[str]:
    """A police officer (a community officer's account) and an outside speaker (a
    teacher, 法治副校长 of the village school) registered as the station's speakers."""
    demo.register_units(loop.registry)
    if loop.accounts.find(OFFICER) is None:
        loop.accounts.create(
            demo.ADMIN, username=OFFICER, role="community_officer", unit=demo.XINGFU
        )
    police = talks.speakers.register(STATION, kind="staff", account=OFFICER)
    teacher = talks.speakers.register(
        STATION, kind="outside", name="李老师", organisation=SCHOOL, vice_principal_of=SCHOOL
    )
    return [police.speaker, teacher.speaker]


def offer(talks: Talks, **changes: Any) -> str:
    item: dict[str, Any] = {
        "theme": "anti_fraud",
        "title": "防范电信网络诈骗",
        "format": "market_talk",
        "minutes": 60,
        "audience": "赶集群众",
        "speakers": SPEAKERS,
    }
    return talks.offer(STATION, **{**item, **changes}).item_id


def order(talks: Talks, item_id: str, today: date, **changes: Any) -> OrderAck:
    details: dict[str, Any] = {
        "unit": demo.STATION,
        "item_id": item_id,
        "community": demo.XINGFU,
        "orderer_kind": "village_committee",
        "window_from": (today + timedelta(days=5)).isoformat(),
        "window_to": (today + timedelta(days=12)).isoformat(),
        "name": "王主任",
        "phone": "13900001111",
        "place": "幸福村村委会广场",
    }
    merged = {**details, **changes}
    actor = changes.pop("actor", None) or Actor("public_form", "resident", merged["community"])
    merged.pop("actor", None)
    return talks.order(actor, **merged)


def slot(today: date, days: int = 6, hour: int = 9) -> datetime:
    return datetime(today.year, today.month, today.day, hour, 0, tzinfo=CHINA) + timedelta(
        days=days
    )


def attempt(command: Callable[[], Any]) -> Any:
    """A command the workload tries at random: a refusal is part of the game."""
    with contextlib.suppress(DomainError):
        return command()
    return None


def workload(
    talks: Talks, links: TalkLinks, clock: Any, rng: random.Random, orders: int,
    between: Callable[[], Any] = lambda: None, speakers: list[str] = SPEAKERS,
) -> list[str]:  # fmt: skip
    """Random orders through every step: declined, left waiting, forwarded to another
    station, accepted, scheduled (some refused: a speaker booked twice), cancelled
    or rescheduled by link, then the scheduled ones given in time order and rated.
    ``between`` runs now and then (a projector's round); ``speakers``: the pool
    (volunteers, and police or outside speakers registered). Returns the order ids."""
    today = clock.now.astimezone(CHINA).date()
    items = [
        offer(talks, speakers=speakers),
        offer(talks, theme="campus", format="school_lecture", minutes=45, speakers=speakers),
    ]
    withdrawn = offer(talks, theme="drugs", title="防毒识毒")
    talks.withdraw_item(STATION, demo.STATION, withdrawn, reason="宣讲人调岗")
    placed_ids = []
    for n in range(orders):
        elsewhere = rng.random() < 0.1
        placed = order(
            talks, rng.choice(items), today,
            **({"community": "lishu/dongfeng/hongqi"} if elsewhere else {}),
        )  # fmt: skip
        placed_ids.append(placed.order_id)
        step = rng.random()
        if elsewhere:
            talks.forward(STATION, placed.order_id, to_unit="lishu/dongfeng", reason="非本辖区")
        elif step < 0.15:
            talks.decline(STATION, placed.order_id, reason="宣讲队本周已满")
        elif step >= 0.25:
            _answered(talks, links, placed, rng, today, n, speakers)
        if n % 5 == 0:
            between()
    due = sorted(
        (o for o in (talks.get(i) for i in placed_ids) if o.status == "scheduled"),
        key=lambda o: o.starts_at or clock.now,
    )
    for held in due:
        assert held.starts_at is not None
        clock.now = held.starts_at + timedelta(minutes=held.minutes)
        delivered = talks.deliver(
            STATION, held.id, reach=rng.randint(20, 300), questions=rng.randint(0, 20),
            topics_on_site={"刷单返利": rng.randint(1, 5), "'两卡'": rng.randint(1, 3)},
        )  # fmt: skip
        assert delivered.link is not None
        if rng.random() < 0.8:
            links.rate(delivered.link, stars=rng.randint(1, 5))
        between()
    return placed_ids


def _answered(
    talks: Talks, links: TalkLinks, placed: OrderAck, rng: random.Random, today: date, n: int,
    pool: list[str],
) -> None:  # fmt: skip
    talks.accept(STATION, placed.order_id)
    start = slot(today, days=5 + n % 7, hour=8 + (n // 7) * 3 % 12)
    speakers = rng.sample(pool, rng.choice((1, 1, 2)))
    scheduled = attempt(
        lambda: talks.schedule(STATION, placed.order_id, starts_at=start, speakers=speakers)
    )
    if scheduled is None or rng.random() < 0.2:
        if rng.random() < 0.5:
            attempt(lambda: links.cancel(placed.link))
        return
    if rng.random() < 0.3:
        attempt(lambda: links.confirm(placed.link))
    elif rng.random() < 0.25:
        attempt(
            lambda: links.reschedule(
                placed.link,
                window_from=(today + timedelta(days=30)).isoformat(),
                window_to=(today + timedelta(days=40)).isoformat(),
            )
        )
