"""Two stations' officers scheduling talks with one speaker at once, each in its
own application on one SQLite file (as separate API workers would): his roster
(a volunteer's) or his registration (a police or outside speaker's) takes the
first; the second conflicts, is tried again on what is stored and is refused,
coded, storing nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from loop import demo
from loop.bootstrap import Loop, build_loop
from loop.settings import Settings
from tests.integration.test_task_concurrency import race
from tests.support import CHINA
from tests.talk_helpers import STATION, guests, offer, order, talks_of
from tests.unit.bank_helpers import admit

TODAY = datetime.now(CHINA).date()
START = datetime(TODAY.year, TODAY.month, TODAY.day, 9, 0, tzinfo=CHINA) + timedelta(days=6)


def schedule(loop: Loop, order_id: str, start: datetime, speakers: list[str]) -> object:
    talks, _ = talks_of(loop)
    return talks.schedule(STATION, order_id, starts_at=start, speakers=speakers)


def test_one_speaker_scheduled_on_two_talks_at_once_is_refused_once(tmp_path: Path) -> None:
    path = tmp_path / "lishu.db"
    loop = build_loop(Settings(database_url=f"sqlite:///{path}"))
    admit(loop.incidents, demo.RIDER, demo.COURIER, demo.METER)
    talks, _ = talks_of(loop)
    item = offer(talks)
    one, two = order(talks, item, TODAY), order(talks, item, TODAY)
    for placed in (one, two):
        talks.accept(STATION, placed.order_id)
    loop.close()

    answers, conflicts = race(
        path,
        [
            lambda lp: schedule(lp, one.order_id, START, [demo.RIDER.id, demo.COURIER.id]),
            lambda lp: schedule(
                lp, two.order_id, START + timedelta(minutes=30), [demo.METER.id, demo.RIDER.id]
            ),
        ],
    )

    assert conflicts == 1  # on the shared speaker's roster
    refused = [a for a in answers if isinstance(a, BaseException)]
    scheduled = [a for a in answers if not isinstance(a, BaseException)]
    assert [r.code for r in refused] == ["booking_overlaps"]  # type: ignore[attr-defined]
    assert len(scheduled) == 1
    loop = build_loop(Settings(database_url=f"sqlite:///{path}"))
    talks, _ = talks_of(loop)
    states = sorted(talks.get(p.order_id).status for p in (one, two))
    rider = loop.tasks.roster(demo.RIDER.id, STATION, START)
    meter = loop.tasks.roster(demo.METER.id, STATION, START)
    loop.close()
    assert states == ["accepted", "scheduled"]
    won = scheduled[0].task_id  # type: ignore[attr-defined]
    assert list(rider.bookings) == [won]
    # the refused schedule booked nobody: the meter reader only if his talk won
    second_won = scheduled[0].order_id == two.order_id  # type: ignore[attr-defined]
    assert list(meter.bookings) == ([won] if second_won else [])


def test_a_police_speaker_scheduled_on_two_talks_at_once_is_refused_once(tmp_path: Path) -> None:
    path = tmp_path / "lishu.db"
    loop = build_loop(Settings(database_url=f"sqlite:///{path}"))
    admit(loop.incidents, demo.RIDER, demo.COURIER)
    talks, _ = talks_of(loop)
    police, teacher = guests(loop, talks)
    item = offer(talks, speakers=[demo.RIDER.id, demo.COURIER.id, police, teacher])
    one, two = order(talks, item, TODAY), order(talks, item, TODAY)
    for placed in (one, two):
        talks.accept(STATION, placed.order_id)
    loop.close()

    answers, conflicts = race(
        path,
        [
            lambda lp: schedule(lp, one.order_id, START, [police, demo.RIDER.id]),
            lambda lp: schedule(
                lp, two.order_id, START + timedelta(minutes=45), [teacher, police, demo.COURIER.id]
            ),
        ],
    )

    assert conflicts == 1  # on the police speaker's registration
    refused = [a for a in answers if isinstance(a, BaseException)]
    scheduled = [a for a in answers if not isinstance(a, BaseException)]
    assert [r.code for r in refused] == ["booking_overlaps"]  # type: ignore[attr-defined]
    assert len(scheduled) == 1
    won = scheduled[0].order_id  # type: ignore[attr-defined]
    loop = build_loop(Settings(database_url=f"sqlite:///{path}"))
    talks, _ = talks_of(loop)
    states = sorted(talks.get(p.order_id).status for p in (one, two))
    officer, outside = talks.speakers.find(police), talks.speakers.find(teacher)
    rosters = {v: loop.tasks.roster(v, STATION, START).bookings for v in (demo.RIDER.id,
               demo.COURIER.id)}  # fmt: skip
    loop.close()
    assert officer is not None
    assert outside is not None
    assert states == ["accepted", "scheduled"]
    assert list(officer.bookings) == [won]
    # the refused schedule booked nobody: neither the teacher nor its volunteer
    second_won = won == two.order_id
    assert list(outside.bookings) == ([won] if second_won else [])
    assert [bool(rosters[demo.COURIER.id]), bool(rosters[demo.RIDER.id])] == [
        second_won,
        not second_won,
    ]
