"""Duty tasks through the service: every refusal is coded, bilingual and stores
nothing; places never beyond the capacity; the waitlist moves up in order."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import wait
from datetime import datetime, timedelta
from typing import Any

import pytest

from aggregates.actor import Actor
from loop import demo
from loop.bootstrap import Loop, open_loop
from loop.rules.scoring import FUPING_SCORING
from loop.services.task_day import check_in_code
from loop.storage.group_commit import GroupCommitter
from tests.support import CHINA, FakeClock, refused

START = datetime(2026, 7, 13, 19, 0, tzinfo=CHINA)
STATION = demo.STATION_OFFICER


@pytest.fixture
def loop() -> Loop:
    clock = FakeClock()
    opened = open_loop(clock=clock, scoring=FUPING_SCORING)
    demo.enrol(opened.incidents)
    return opened


def publish(loop: Loop, start: datetime = START, hours: int = 2, **changes: Any) -> str:
    details: dict[str, Any] = {
        "kind": "patrol",
        "topic": "幸福路夜间巡逻",
        "place": "幸福路",
        "community": demo.XINGFU,
        "starts_at": start,
        "ends_at": start + timedelta(hours=hours),
        "needed": 2,
        "points": 10,
        "leader_id": demo.METER.id,
    }
    return loop.tasks.publish(STATION, **{**details, **changes}).task_id


def at(loop: Loop, moment: datetime) -> None:
    loop.app.clock.now = moment  # type: ignore[attr-defined]


def test_a_task_is_booked_then_waitlisted_and_its_roster_holds_the_time(loop: Loop) -> None:
    task = publish(loop, needed=1)
    first = loop.tasks.sign_up(demo.RIDER, task)
    second = loop.tasks.sign_up(demo.COURIER, task)
    assert (first.state, first.waitlist_position) == ("booked", None)
    assert (second.state, second.waitlist_position) == ("waitlisted", 1)
    assert loop.tasks.roster(demo.RIDER.id, demo.RIDER, START).bookings[task]["starts_at"] == START
    assert task not in loop.tasks.roster(demo.COURIER.id, demo.COURIER, START).bookings


PUBLISH_REFUSALS: list[tuple[str, dict[str, Any], str]] = [
    ("unknown kind", {"kind": "parade"}, "invalid_input"),
    ("in the past", {"starts_at": datetime(2026, 7, 10, 9, 0, tzinfo=CHINA)}, "invalid_input"),
    ("years ahead", {"starts_at": datetime(9999, 12, 31, 22, 0, tzinfo=CHINA)}, "invalid_input"),
    ("ends first", {"ends_at": START - timedelta(hours=1)}, "invalid_input"),
    ("too long", {"ends_at": START + timedelta(hours=13)}, "invalid_input"),
    ("no places", {"needed": 0}, "invalid_input"),
    ("a text number", {"needed": "2"}, "invalid_input"),
    ("minimum above needed", {"minimum": 3}, "invalid_input"),
    ("points beyond the bounds", {"points": 51}, "invalid_input"),
    ("no time zone", {"starts_at": datetime(2026, 7, 13, 19, 0)}, "invalid_input"),
    ("another station's community", {"community": "lishu/shuangyang/nanguan"}, "invalid_input"),
    ("an unknown leader", {"leader_id": "v-nobody"}, "volunteer_not_found"),
    (
        "sign-up after the start",
        {"signup_closes_at": START + timedelta(minutes=1)},
        "invalid_input",
    ),
]


@pytest.mark.parametrize(("case", "changes", "code"), PUBLISH_REFUSALS)
def test_a_task_the_rules_refuse_is_not_published(
    loop: Loop, case: str, changes: dict[str, Any], code: str
) -> None:
    assert refused(loop, lambda: publish(loop, **changes)).code == code, case


def test_only_the_units_above_a_community_publish_its_tasks(loop: Loop) -> None:
    for actor in (demo.RIDER, demo.CADRE_XF, demo.OFFICER_HP):
        error = refused(loop, lambda a=actor: loop.tasks.publish(  # type: ignore[misc]
            a, kind="patrol", topic="t", place="p", community=demo.XINGFU,
            starts_at=START, ends_at=START + timedelta(hours=1), needed=1,
        ))  # fmt: skip
        assert error.code in ("not_permitted", "invalid_input")
    publish(loop)  # the station may
    loop.tasks.publish(
        demo.OFFICER_XF, kind="care", topic="走访独居老人", place="幸福小区",
        starts_at=START, ends_at=START + timedelta(hours=1), needed=1,
    )  # fmt: skip  # and the community officer, in his own community


def test_every_refusal_of_a_sign_up_stores_nothing(loop: Loop) -> None:
    task = publish(loop, needed=3)
    heavy = publish(loop, start=START + timedelta(days=1), intensity="heavy")
    rescue = publish(loop, start=START + timedelta(days=2), team="rescue")
    overlapping = publish(loop, start=START + timedelta(hours=1))
    loop.tasks.sign_up(demo.RIDER, task)
    loop.volunteers.change_status(demo.OFFICER_XF, demo.METER.id, status="flexible", reason="年老")
    loop.volunteers.change_status(
        demo.OFFICER_XF, demo.COURIER.id, status="suspended", reason="违纪"
    )
    cases = [
        (lambda: loop.tasks.sign_up(demo.RIDER, task), "already_signed_up"),
        (lambda: loop.tasks.sign_up(demo.RIDER, overlapping), "booking_overlaps"),
        (lambda: loop.tasks.sign_up(demo.METER, heavy), "volunteer_ineligible"),
        (lambda: loop.tasks.sign_up(demo.COURIER, task), "volunteer_ineligible"),
        (lambda: loop.tasks.sign_up(demo.TAXI, rescue), "volunteer_ineligible"),
        (lambda: loop.tasks.sign_up(demo.TAXI, "not-a-task"), "task_not_found"),
        (lambda: loop.tasks.sign_up(demo.RIDER, task, volunteer_id=demo.TAXI.id), "not_permitted"),
        (
            lambda: loop.tasks.sign_up(demo.CADRE_HP, task, volunteer_id=demo.RIDER.id),
            "not_permitted",
        ),
        (lambda: loop.tasks.sign_up(STATION, task), "invalid_input"),
        (lambda: loop.tasks.withdraw(demo.TAXI, task), "not_signed_up"),
        (lambda: loop.tasks.withdraw(demo.RIDER, task, reason="x" * 501), "invalid_input"),
        (lambda: loop.tasks.reconfirm(demo.RIDER, task), "task_refused"),
    ]
    for command, code in cases:
        assert refused(loop, command).code == code
    at(loop, START + timedelta(minutes=1))
    assert refused(loop, lambda: loop.tasks.sign_up(demo.TAXI, task)).code == "sign_up_closed"
    assert refused(loop, lambda: loop.tasks.withdraw(demo.RIDER, task)).code == "task_refused"


def test_every_refusal_on_the_day_stores_nothing(loop: Loop) -> None:
    task = publish(loop)
    loop.tasks.sign_up(demo.RIDER, task)
    loop.tasks.sign_up(demo.COURIER, task)
    tasks, rider = loop.tasks, demo.RIDER.id
    code = check_in_code(tasks.get(task))
    early = [
        (lambda: tasks.check_in(demo.RIDER, task, rider, code=code), "outside_check_in_window"),
        (lambda: loop.tasks.record_no_show(STATION, task, demo.RIDER.id), "task_refused"),
        (lambda: loop.tasks.complete(STATION, task), "task_refused"),
        (lambda: loop.tasks.check_in_code(demo.RIDER, task), "not_permitted"),
    ]  # fmt: skip
    for command, error in early:
        assert refused(loop, command).code == error
    at(loop, START - timedelta(minutes=5))
    on_the_day = [
        (lambda: loop.tasks.check_in(demo.RIDER, task, rider, code="0" * 16), "invalid_input"),
        (lambda: loop.tasks.check_in(demo.RIDER, task, demo.RIDER.id), "not_permitted"),
        (lambda: loop.tasks.check_in(demo.RIDER, task, demo.COURIER.id), "not_permitted"),
        (lambda: loop.tasks.check_in(demo.TAXI, task, demo.TAXI.id, code=code), "not_signed_up"),
        (lambda: loop.tasks.check_out(demo.METER, task, demo.RIDER.id), "task_refused"),
        (lambda: loop.tasks.complete(STATION, task, reach=-1), "invalid_input"),
        (lambda: loop.tasks.complete(demo.METER, task), "not_permitted"),
        (lambda: loop.tasks.sign_points(demo.DIRECTOR_XF, task), "task_refused"),
    ]  # fmt: skip
    for command, error in on_the_day:
        assert refused(loop, command).code == error
    loop.tasks.check_in(demo.METER, task, demo.RIDER.id)  # the leader, by hand
    assert refused(loop, lambda: loop.tasks.check_in(demo.METER, task, demo.RIDER.id)).code == (
        "task_refused"
    )
    at(loop, START + timedelta(hours=3))
    loop.tasks.complete(STATION, task)
    assert refused(loop, lambda: loop.tasks.complete(STATION, task)).code == "task_closed"
    assert refused(loop, lambda: loop.tasks.check_out(demo.METER, task, demo.RIDER.id)).code == (
        "task_closed"
    )


def test_a_withdrawal_frees_the_place_for_the_first_whose_time_is_free(loop: Loop) -> None:
    task = publish(loop, needed=1)
    clash = publish(loop, start=START + timedelta(hours=1), topic="广场安保")
    loop.tasks.sign_up(demo.RIDER, task)
    loop.tasks.sign_up(demo.COURIER, task)  # waitlisted first
    loop.tasks.sign_up(demo.TAXI, task)  # waitlisted second
    loop.tasks.sign_up(demo.COURIER, clash)  # booked elsewhere meanwhile: passed over
    done = loop.tasks.withdraw(demo.RIDER, task, reason="临时加班")
    assert done.promoted == [demo.TAXI.id]
    assert not done.late
    held = loop.tasks.get(task)
    assert list(held.booked) == [demo.TAXI.id]
    assert held.waitlist == [demo.COURIER.id]  # keeps his place in line
    promoted = [e for e in loop.app.events.get(held.id) if type(e).__name__ == "Promoted"]
    assert promoted[-1].passed_over == [
        {"volunteer_id": demo.COURIER.id, "reason": "booking_overlaps"}
    ]
    assert task not in loop.tasks.roster(demo.RIDER.id, demo.RIDER, START).bookings
    assert task in loop.tasks.roster(demo.TAXI.id, demo.TAXI, START).bookings


def test_a_revision_follows_on_the_rosters_or_is_refused_when_it_would_clash(loop: Loop) -> None:
    task = publish(loop)
    later = publish(loop, start=START + timedelta(hours=3), topic="深夜巡逻")
    loop.tasks.sign_up(demo.RIDER, task)
    loop.tasks.sign_up(demo.RIDER, later)
    moved = START + timedelta(hours=2)
    error = refused(
        loop,
        lambda: loop.tasks.revise(
            STATION, task, starts_at=moved, ends_at=moved + timedelta(hours=2), reason="改期"
        ),
    )
    assert error.code == "booking_overlaps"
    assert refused(
        loop, lambda: loop.tasks.revise(STATION, task, needed=0, reason="减少")
    ).code == ("invalid_input")
    earlier = START - timedelta(hours=3)
    loop.tasks.revise(STATION, task, starts_at=earlier, ends_at=START, reason="提前")
    roster = loop.tasks.roster(demo.RIDER.id, demo.RIDER, START)
    assert roster.bookings[task] == {"starts_at": earlier, "ends_at": START}
    assert loop.tasks.get(task).booked[demo.RIDER.id]["reconfirm"] is True


def test_a_cancelled_task_releases_every_booking(loop: Loop) -> None:
    task = publish(loop)
    loop.tasks.sign_up(demo.RIDER, task)
    loop.tasks.cancel(STATION, task, reason="暴雨预警")
    assert task not in loop.tasks.roster(demo.RIDER.id, demo.RIDER, START).bookings
    assert refused(loop, lambda: loop.tasks.sign_up(demo.COURIER, task)).code == "task_closed"
    assert refused(loop, lambda: loop.tasks.cancel(STATION, task, reason="x")).code == "task_closed"


def test_a_retried_sign_up_with_its_request_gets_the_first_answer(loop: Loop) -> None:
    task = publish(loop, needed=1)
    first = loop.tasks.sign_up(demo.RIDER, task, request="r-1")
    before = loop.app.recorder.max_notification_id()
    again = loop.tasks.sign_up(demo.RIDER, task, request="r-1")
    assert loop.app.recorder.max_notification_id() == before
    assert (again.state, again.replayed, first.replayed) == ("booked", True, False)
    assert refused(loop, lambda: loop.tasks.sign_up(demo.RIDER, task, request="r-2")).code == (
        "already_signed_up"
    )


def volunteers(loop: Loop, count: int) -> list[Actor]:
    """``count`` more admitted volunteers of 幸福."""
    from tests.unit.bank_helpers import admit

    people = [Actor(f"v-xf-t{n:02d}", "volunteer", demo.XINGFU) for n in range(count)]
    admit(loop.incidents, *people)
    return people


def test_sixteen_sign_ups_for_the_last_place_in_one_group_commit(loop: Loop) -> None:
    task = publish(loop, needed=3)
    loop.tasks.sign_up(demo.RIDER, task)
    loop.tasks.sign_up(demo.COURIER, task)
    crowd = volunteers(loop, 16)
    committer = GroupCommitter(loop.app)
    try:
        futures = [committer.submit(loop.tasks.sign_up, v, task) for v in crowd]
        wait(futures, timeout=60)
        answers = [f.result() for f in futures]
    finally:
        committer.close()
    states = Counter(a.state for a in answers)
    assert states == {"booked": 1, "waitlisted": 15}
    assert sorted(a.waitlist_position for a in answers if a.waitlist_position) == list(range(1, 16))
    assert committer.batches < len(crowd)  # they did share commits
    held = loop.tasks.get(task)
    assert len(held.booked) == held.needed == 3
    stored = Counter(type(e).__name__ for e in loop.app.events.get(held.id))
    assert (stored["Booked"], stored["Waitlisted"]) == (3, 15)
