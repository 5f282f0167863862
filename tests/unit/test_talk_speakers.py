"""Police and outside speakers of the 宣讲队 through the services (Ping'an:
"遴选……民辅警、村警、义警、行业从业人员、志愿者33名，组成'枫'警宣讲队"): registered by
the station (an outside speaker's name encrypted), named in a menu and a schedule
beside volunteers, never booked on two talks at once, released when a talk is
cancelled or moved, recorded as having spoken with no points; only volunteers
earn. Every refusal is coded, bilingual and stores nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from loop import demo
from loop.bootstrap import Loop, open_loop
from loop.rules.scoring import FUPING_SCORING
from loop.services.lookup import find_account
from loop.services.talk_links import TalkLinks
from loop.services.talk_views import speaker_pool
from loop.services.talks import Talks
from tests.support import FakeClock, refused
from tests.talk_helpers import OFFICER, SCHOOL, STATION, guests, offer, order, slot, talks_of

TODAY = date(2026, 7, 11)


@pytest.fixture
def loop() -> Loop:
    opened = open_loop(clock=FakeClock(), scoring=FUPING_SCORING)
    demo.enrol(opened.incidents)
    return opened


@pytest.fixture
def talks(loop: Loop) -> tuple[Talks, TalkLinks, list[str]]:
    service, links = talks_of(loop)
    return service, links, guests(loop, service)


def test_a_mixed_team_is_booked_and_only_the_volunteer_earns(
    loop: Loop, talks: tuple[Talks, TalkLinks, list[str]]
) -> None:
    service, _, (police, teacher) = talks
    item = offer(service, speakers=[demo.RIDER.id, police, teacher])
    placed = order(service, item, TODAY)
    service.accept(STATION, placed.order_id)
    start = slot(TODAY)
    speakers = [demo.RIDER.id, police, teacher]
    scheduled = service.schedule(STATION, placed.order_id, starts_at=start, speakers=speakers)
    assert scheduled.task_id is not None
    task = loop.tasks.get(scheduled.task_id)
    assert list(task.booked) == [demo.RIDER.id]  # only the volunteer is on the duty task
    assert service.get(placed.order_id).speakers == speakers
    for ref in (police, teacher):
        held = service.speakers.find(ref)
        assert held is not None
        end = start + timedelta(minutes=60)
        assert held.bookings == {placed.order_id: {"starts_at": start, "ends_at": end}}

    before = find_account(loop.app, demo.RIDER.id)
    assert before is not None
    loop.app.clock.now = start  # type: ignore[attr-defined]
    loop.tasks.check_in(STATION, task.id, demo.RIDER.id)
    loop.app.clock.advance(timedelta(minutes=60))  # type: ignore[attr-defined]
    loop.tasks.check_out(STATION, task.id, demo.RIDER.id)
    service.deliver(STATION, placed.order_id, reach=80)
    rider = find_account(loop.app, demo.RIDER.id)
    assert rider is not None
    assert rider.balance == before.balance + task.points
    for ref in (police, teacher):
        held = service.speakers.find(ref)
        assert held is not None
        assert held.spoke == [placed.order_id]  # who spoke is recorded
        assert find_account(loop.app, ref) is None  # and earned no points
    assert find_account(loop.app, OFFICER) is None


def test_a_talk_given_by_police_alone_publishes_no_task(
    loop: Loop, talks: tuple[Talks, TalkLinks, list[str]]
) -> None:
    service, _, (police, _teacher) = talks
    placed = order(service, offer(service, speakers=[police]), TODAY)
    service.accept(STATION, placed.order_id)
    scheduled = service.schedule(STATION, placed.order_id, starts_at=slot(TODAY), speakers=[police])
    assert scheduled.task_id is None
    loop.app.clock.advance(timedelta(days=7))  # type: ignore[attr-defined]
    delivered = service.deliver(STATION, placed.order_id, reach=40)
    assert delivered.status == "delivered"
    held = service.speakers.find(police)
    assert held is not None
    assert held.spoke == [placed.order_id]


def test_a_cancelled_or_moved_talk_releases_its_police_and_outside_speakers(
    loop: Loop, talks: tuple[Talks, TalkLinks, list[str]]
) -> None:
    service, links, (police, teacher) = talks
    item = offer(service, speakers=[police, teacher])
    one, two = order(service, item, TODAY), order(service, item, TODAY)
    for placed in (one, two):
        service.accept(STATION, placed.order_id)
    start = slot(TODAY)
    service.schedule(STATION, one.order_id, starts_at=start, speakers=[police])
    service.schedule(
        STATION, two.order_id, starts_at=start + timedelta(hours=2), speakers=[teacher]
    )
    service.cancel(STATION, one.order_id, reason="暴雨预警")
    assert service.speakers.find(police).bookings == {}  # type: ignore[union-attr]
    assert one.link is not None
    assert two.link is not None
    links.reschedule(two.link, window_from=(TODAY + timedelta(days=20)).isoformat(),
                     window_to=(TODAY + timedelta(days=25)).isoformat())  # fmt: skip
    assert service.speakers.find(teacher).bookings == {}  # type: ignore[union-attr]
    again = service.schedule(STATION, two.order_id, starts_at=slot(TODAY, days=21),
                             speakers=[teacher, police])  # fmt: skip
    assert again.status == "scheduled"


def test_refusals_unknown_retired_disabled_and_overlapping_store_nothing(
    loop: Loop, talks: tuple[Talks, TalkLinks, list[str]]
) -> None:
    service, _, (police, teacher) = talks
    unknown = refused(loop, lambda: offer(service, speakers=["outside:000000000000"]))
    assert unknown.code == "talk_speaker_unknown"
    assert refused(loop, lambda: offer(service, speakers=["staff:nobody"])).code == (
        "talk_speaker_unknown"
    )
    assert refused(
        loop, lambda: service.speakers.register(STATION, kind="staff", account="nobody")
    ).code == "talk_speaker_unknown"  # fmt: skip
    assert refused(
        loop, lambda: service.speakers.register(STATION, kind="staff", account=OFFICER)
    ).code == "talk_refused"  # registered already  # fmt: skip
    assert refused(
        loop, lambda: service.speakers.register(STATION, kind="judge", name="x", organisation="y")
    ).code == "invalid_input"  # fmt: skip
    assert refused(
        loop, lambda: service.speakers.register(demo.RIDER, kind="outside", name="x",
                                                organisation="y", unit=demo.STATION)
    ).code == "not_permitted"  # fmt: skip

    item = offer(service, speakers=[demo.RIDER.id, police, teacher])
    one, two, three = (order(service, item, TODAY) for _ in range(3))
    for placed in (one, two, three):
        service.accept(STATION, placed.order_id)
    start = slot(TODAY)
    service.schedule(STATION, one.order_id, starts_at=start, speakers=[police])
    clash = refused(
        loop,
        lambda: service.schedule(
            STATION, two.order_id, starts_at=start + timedelta(minutes=59),
            speakers=[demo.RIDER.id, teacher, police],
        ),
    )  # fmt: skip
    assert clash.code == "booking_overlaps"
    assert clash.details["speaker"] == police
    assert service.speakers.find(teacher).bookings == {}  # type: ignore[union-attr]
    after = service.schedule(
        STATION, two.order_id, starts_at=start + timedelta(minutes=60), speakers=[police]
    )
    assert after.status == "scheduled"  # back to back is not an overlap

    service.speakers.retire(STATION, teacher, reason="调离本校")
    late = slot(TODAY, hour=15)
    gone = refused(
        loop, lambda: service.schedule(STATION, three.order_id, starts_at=late, speakers=[teacher])
    )
    assert gone.code == "talk_speaker_retired"
    assert refused(loop, lambda: offer(service, speakers=[teacher])).code == "talk_speaker_retired"
    assert refused(
        loop, lambda: service.speakers.retire(STATION, teacher, reason="again")
    ).code == "talk_speaker_retired"  # fmt: skip
    loop.accounts.disable(demo.ADMIN, OFFICER, reason="调离公安机关")
    disabled = refused(
        loop, lambda: service.schedule(STATION, three.order_id, starts_at=late, speakers=[police])
    )
    assert disabled.code == "talk_speaker_retired"


def test_the_schools_own_vice_principal_is_suggested_first_for_its_order(
    loop: Loop, talks: tuple[Talks, TalkLinks, list[str]]
) -> None:
    service, _, (police, teacher) = talks
    item = offer(service, speakers=[demo.RIDER.id, police, teacher])
    school = order(service, item, TODAY, orderer_kind="school", name="张校长",
                   place=f"{SCHOOL}操场")  # fmt: skip
    village = order(service, item, TODAY, place=f"{SCHOOL}旁村委会")  # not a school's order
    other = order(service, item, TODAY, orderer_kind="school", place="红旗中学")
    for placed in (school, village, other):
        service.accept(STATION, placed.order_id)

    def pool(order_id: str) -> list[tuple[str, bool]]:
        return [(p["speaker"], p["suggested"]) for p in speaker_pool(service, STATION, order_id)]

    assert pool(school.order_id) == [(teacher, True), (demo.RIDER.id, False), (police, False)]
    assert pool(village.order_id) == [(demo.RIDER.id, False), (police, False), (teacher, False)]
    assert pool(other.order_id) == [(demo.RIDER.id, False), (police, False), (teacher, False)]


def test_an_outside_speakers_name_is_encrypted_at_rest(
    loop: Loop, talks: tuple[Talks, TalkLinks, list[str]]
) -> None:
    service, _, (_police, teacher) = talks
    assert service.speakers.shown(teacher)["name"] == "李老师"
    stored = [
        n for n in loop.app.recorder.select_notifications(1, 10_000) if "李老师".encode() in n.state
    ]
    assert stored == []
