"""Talk orders through the services (群众点单、民警接单): a menu, an order, the
station's answer, scheduling as a duty task, delivery, the orderer's links. Every
refusal is coded, bilingual and stores nothing."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from aggregates.actor import Actor
from aggregates.talk_order import TalkOrder
from loop import demo
from loop.bootstrap import Loop, open_loop
from loop.rules.scoring import FUPING_SCORING
from loop.services.lookup import find_account
from loop.services.talk_links import TalkLinks
from loop.services.talk_views import order_seen
from loop.services.talks import Talks
from tests.support import FakeClock, refused
from tests.talk_helpers import STATION, offer, order, slot, talks_of

TODAY = date(2026, 7, 11)
OTHER_STATION = Actor("s-df-li", "station_officer", "lishu/dongfeng")


@pytest.fixture
def loop() -> Loop:
    opened = open_loop(clock=FakeClock(), scoring=FUPING_SCORING)
    demo.enrol(opened.incidents)
    return opened


@pytest.fixture
def talks(loop: Loop) -> tuple[Talks, TalkLinks]:
    return talks_of(loop)


def advance(loop: Loop, delta: timedelta) -> None:
    loop.app.clock.advance(delta)  # type: ignore[attr-defined]


def test_an_order_is_accepted_scheduled_delivered_and_rated_and_speakers_earn_once(
    loop: Loop, talks: tuple[Talks, TalkLinks]
) -> None:
    service, links = talks
    placed = order(service, offer(service), TODAY)
    assert placed.status == "ordered"
    assert placed.link
    service.accept(STATION, placed.order_id)
    start = slot(TODAY)
    scheduled = service.schedule(
        STATION, placed.order_id, starts_at=start, speakers=[demo.RIDER.id, demo.COURIER.id]
    )
    assert scheduled.status == "scheduled"
    assert scheduled.task_id
    task = loop.tasks.get(scheduled.task_id)
    assert sorted(task.booked) == sorted([demo.RIDER.id, demo.COURIER.id])
    assert task.kind == "anti_fraud"
    assert task.starts_at == start
    confirmed = links.confirm(placed.link)
    assert confirmed.link
    assert confirmed.link != placed.link
    before = {v: find_account(loop.app, v).balance for v in (demo.RIDER.id, demo.COURIER.id)}  # type: ignore[union-attr]
    loop.app.clock.now = start  # type: ignore[attr-defined]
    loop.tasks.check_in(STATION, task.id, demo.RIDER.id)
    advance(loop, timedelta(minutes=60))
    loop.tasks.check_out(STATION, task.id, demo.RIDER.id)
    delivered = service.deliver(
        STATION,
        placed.order_id,
        reach=120,
        questions=15,
        topics_on_site={"'两卡'犯罪": 8, "刷单返利": 5},
    )
    assert delivered.status == "delivered"
    assert delivered.link
    done = loop.tasks.get(task.id)
    assert done.status == "completed"
    assert done.completion is not None
    assert done.completion["no_shows"] == [demo.COURIER.id]
    rider = find_account(loop.app, demo.RIDER.id)
    courier = find_account(loop.app, demo.COURIER.id)
    assert rider is not None
    assert courier is not None
    assert rider.balance == before[demo.RIDER.id] + task.points
    assert courier.balance <= before[demo.COURIER.id]  # a no-show earns nothing
    again = refused(loop, lambda: service.deliver(STATION, placed.order_id, reach=1))
    assert again.code == "talk_refused"
    rated = links.rate(delivered.link, stars=2)
    assert service.get(rated.order_id).follow_up == "open"
    assert refused(loop, lambda: links.rate(delivered.link, stars=5)).code == "talk_link_refused"
    service.follow_up(STATION, placed.order_id, note="电话回访，下次增加案例讲解")
    assert service.get(placed.order_id).follow_up == "done"


def test_a_decline_needs_a_reason_the_orderer_then_sees(
    loop: Loop, talks: tuple[Talks, TalkLinks]
) -> None:
    service, links = talks
    placed = order(service, offer(service), TODAY)
    assert refused(loop, lambda: service.decline(STATION, placed.order_id, reason="")).code == (
        "invalid_input"
    )
    service.decline(STATION, placed.order_id, reason="该时段宣讲队已满，请改选下月")
    shown = links.shown(placed.link)
    assert (shown["status_zh"], shown["reason"]) == ("已婉拒", "该时段宣讲队已满，请改选下月")
    assert refused(loop, lambda: service.accept(STATION, placed.order_id)).code == "talk_closed"


def test_place_and_contact_are_shown_to_the_station_only_once_accepted(
    loop: Loop, talks: tuple[Talks, TalkLinks]
) -> None:
    service, _ = talks
    placed = order(service, offer(service), TODAY)
    before = order_seen(service, STATION, placed.order_id)
    assert (before["place"], before["contact"]) == (None, None)
    service.accept(STATION, placed.order_id)
    after = order_seen(service, STATION, placed.order_id)
    assert after["place"] == "幸福村村委会广场"
    assert after["contact"] == {"name": "王主任", "phone": "13900001111"}
    stored = [
        e for e in loop.app.recorder.select_notifications(1, 10_000) if b"13900001111" in e.state
    ]
    assert stored == []  # encrypted at rest


def test_a_reschedule_keeps_one_order_and_frees_its_speakers(
    loop: Loop, talks: tuple[Talks, TalkLinks]
) -> None:
    service, links = talks
    placed = order(service, offer(service), TODAY)
    service.accept(STATION, placed.order_id)
    first = service.schedule(
        STATION, placed.order_id, starts_at=slot(TODAY), speakers=[demo.RIDER.id]
    )
    moved = links.reschedule(
        placed.link,
        window_from=(TODAY + timedelta(days=20)).isoformat(),
        window_to=(TODAY + timedelta(days=25)).isoformat(),
    )
    assert (moved.order_id, moved.status, moved.task_id) == (placed.order_id, "accepted", None)
    assert loop.tasks.get(first.task_id).status == "cancelled"  # type: ignore[arg-type]
    roster = loop.tasks.roster(demo.RIDER.id, STATION, loop.app.clock())
    assert first.task_id not in roster.bookings
    orders = [
        n
        for n in loop.app.recorder.select_notifications(1, 10_000)
        if "TalkOrder.Placed" in n.topic
    ]
    assert len(orders) == 1
    assert refused(
        loop,
        lambda: links.reschedule(
            placed.link, window_from=TODAY.isoformat(), window_to=TODAY.isoformat()
        ),
    ).code == ("talk_link_refused")  # fmt: skip  (the link was used)
    again = service.schedule(
        STATION, placed.order_id, starts_at=slot(TODAY, days=21), speakers=[demo.RIDER.id]
    )
    assert again.status == "scheduled"
    assert again.task_id != first.task_id


def test_links_are_single_use_and_expire(loop: Loop, talks: tuple[Talks, TalkLinks]) -> None:
    service, links = talks
    placed = order(service, offer(service), TODAY)
    advance(loop, service.policy.manage_link_lives + timedelta(seconds=1))
    assert refused(loop, lambda: links.cancel(placed.link)).code == "talk_link_refused"
    assert refused(loop, lambda: links.shown(placed.link)).code == "talk_link_refused"
    forged = placed.link[:-4] + "abcd"
    assert refused(loop, lambda: links.shown(forged)).code == "talk_link_refused"
    assert refused(loop, lambda: links.shown("no-dot")).code == "talk_link_refused"


def test_a_speaker_is_never_booked_on_two_talks_at_once(
    loop: Loop, talks: tuple[Talks, TalkLinks]
) -> None:
    service, _ = talks
    item = offer(service)
    one, two = order(service, item, TODAY), order(service, item, TODAY)
    for placed in (one, two):
        service.accept(STATION, placed.order_id)
    service.schedule(STATION, one.order_id, starts_at=slot(TODAY), speakers=[demo.RIDER.id])
    clash = refused(
        loop,
        lambda: service.schedule(
            STATION,
            two.order_id,
            starts_at=slot(TODAY) + timedelta(minutes=30),
            speakers=[demo.METER.id, demo.RIDER.id],
        ),
    )
    assert clash.code == "booking_overlaps"
    assert service.get(two.order_id).status == "accepted"


def test_an_order_outside_the_area_is_forwarded_and_the_first_station_loses_sight(
    loop: Loop, talks: tuple[Talks, TalkLinks]
) -> None:
    service, _ = talks
    placed = order(service, offer(service), TODAY, community="lishu/dongfeng/hongqi")
    wrong = refused(
        loop,
        lambda: service.forward(
            STATION, placed.order_id, to_unit="lishu/xiyuan", reason="非本辖区"
        ),
    )
    assert wrong.code == "invalid_input"
    service.forward(STATION, placed.order_id, to_unit="lishu/dongfeng", reason="非本辖区")
    assert service.get(placed.order_id).unit == "lishu/dongfeng"
    gone = refused(loop, lambda: service.accept(STATION, placed.order_id))
    assert gone.code == "talk_order_not_found"
    assert service.accept(OTHER_STATION, placed.order_id).status == "accepted"


ORDER_REFUSALS: list[tuple[str, dict[str, Any], str]] = [
    ("unknown kind", {"orderer_kind": "army"}, "invalid_input"),
    ("window in the past", {"window_from": "2026-07-01"}, "invalid_input"),
    ("window backwards", {"window_to": "2026-07-12", "window_from": "2026-07-14"}, "invalid_input"),
    ("not a date", {"window_to": "next week"}, "invalid_input"),
    ("bad phone", {"phone": "call me"}, "invalid_input"),
    ("no place", {"place": ""}, "invalid_input"),
    ("other county", {"community": "fuping/x/y"}, "invalid_input"),
    ("unknown item", {"item_id": "nothing"}, "talk_item_not_offered"),
    ("unknown menu", {"unit": "lishu/dongfeng"}, "talk_refused"),
]


@pytest.mark.parametrize(
    ("case", "changes", "code"), ORDER_REFUSALS, ids=[c[0] for c in ORDER_REFUSALS]
)
def test_a_bad_order_is_refused_and_stores_nothing(
    loop: Loop, talks: tuple[Talks, TalkLinks], case: str, changes: dict[str, Any], code: str
) -> None:
    service, _ = talks
    offered = offer(service)
    given = dict(changes)
    item = given.pop("item_id", offered)
    assert refused(loop, lambda: order(service, item, TODAY, **given)).code == code


def test_only_the_station_answers_and_others_do_not_know_the_order(
    loop: Loop, talks: tuple[Talks, TalkLinks]
) -> None:
    service, _ = talks
    placed = order(service, offer(service), TODAY)
    assert refused(loop, lambda: service.accept(demo.RIDER, placed.order_id)).code == (
        "talk_order_not_found"
    )
    assert refused(loop, lambda: service.accept(demo.OFFICER_XF, placed.order_id)).code == (
        "talk_order_not_found"
    )
    assert (
        refused(loop, lambda: service.accept(STATION, "not-an-id")).code == "talk_order_not_found"
    )
    assert refused(loop, lambda: offer(service, theme="cooking")).code == "invalid_input"
    assert refused(loop, lambda: offer(service, speakers=["nobody"])).code == "talk_speaker_unknown"
    assert isinstance(service.get(placed.order_id), TalkOrder)


def test_the_station_gets_the_usable_link_again_and_never_a_used_one(
    loop: Loop, talks: tuple[Talks, TalkLinks]
) -> None:
    service, links = talks
    placed = order(service, offer(service), TODAY)
    assert links.current(STATION, placed.order_id, "manage") == placed.link
    assert links.current(STATION, placed.order_id, "rate") is None
    service.accept(STATION, placed.order_id)
    service.schedule(STATION, placed.order_id, starts_at=slot(TODAY), speakers=[demo.RIDER.id])
    confirmed = links.confirm(placed.link)
    assert links.current(STATION, placed.order_id, "manage") == confirmed.link != placed.link
    assert refused(loop, lambda: links.current(demo.RIDER, placed.order_id, "manage")).code == (
        "talk_order_not_found"
    )
    stored = b"".join(n.state for n in loop.app.recorder.select_notifications(1, 10_000))
    assert confirmed.link is not None
    assert confirmed.link.partition(".")[2].encode() not in stored  # only its digest is kept


def test_an_order_goes_only_to_places_and_stations_the_registry_serves(loop: Loop) -> None:
    retired = {"lishu/dongfeng", "lishu/chaoyang/old-village"}
    service = Talks(
        loop.app, loop.tasks, talks_of(loop)[0].digest, serving=lambda u: u not in retired
    )
    item = offer(service)
    gone = refused(
        loop, lambda: order(service, item, TODAY, community="lishu/chaoyang/old-village")
    )
    assert gone.details["field"] == "community"
    placed = order(service, item, TODAY, community="lishu/dongfeng/hongqi")
    nowhere = refused(
        loop,
        lambda: service.forward(
            STATION, placed.order_id, to_unit="lishu/dongfeng", reason="非本辖区"
        ),
    )
    assert nowhere.details["field"] == "to_unit"
