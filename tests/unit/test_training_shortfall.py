"""What a shortfall of the year's training days does, by the preset: Fuping refuses
task sign-ups from December 1 with the days missing, Lishu does not; a suspension is
a station officer's recorded decision, lifted by an officer or by the attendance
that makes the days up; the yearly norm is pro-rated for a late start. Every
refusal coded, bilingual and storing nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from aggregates.actor import Actor
from aggregates.training_record import TrainingRecord, training_record_id, yearly_norm_halves
from loop import demo
from loop.bootstrap import Loop, open_loop
from loop.rules.scoring import FUPING_SCORING, LISHU_SCORING
from loop.rules.training import FUPING_TRAINING, LISHU_TRAINING
from tests.support import CHINA, FakeClock, refused
from tests.unit.test_training import (
    COUNTY,
    NEWCOMER,
    STATION,
    admit_newcomer,
    at,
    publish_task,
    session,
)


def morning(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), CHINA) + timedelta(hours=9)


def enrolled_last_year(scoring: Any = FUPING_SCORING) -> Loop:
    """The demo's volunteers admitted in March 2025; the clock on 2026-11-30."""
    loop = open_loop(clock=FakeClock(morning(date(2025, 3, 3))), scoring=scoring)
    demo.enrol(loop.incidents)
    at(loop, morning(date(2026, 11, 30)))
    return loop


def trained(loop: Loop, volunteer_id: str, first: date, days: int, kind: str = "regular") -> None:
    """Whole-day sessions on ``days`` days from ``first``, each attended; the clock moves."""
    for n in range(days):
        day = first + timedelta(days=n)
        at(loop, morning(day))
        held = session(loop, day=day, kind=kind, topic=f"培训{day}")
        loop.training.record_attendance(STATION, held, volunteer_id)


@pytest.mark.parametrize(
    ("yearly", "started", "norm"),
    [
        (20, None, 20),  # not known: the whole norm
        (20, date(2025, 12, 31), 20),  # started before the year
        (20, date(2026, 1, 31), 20),  # January: 12 months
        (20, date(2026, 4, 1), 15),  # 9 months: 7.5 days
        (20, date(2026, 7, 11), 10),  # 6 months: 5 days
        (20, date(2026, 8, 1), 8),  # 5 months: 4.17 days, 4
        (20, date(2026, 9, 1), 7),  # 4 months: 3.33 days, 3.5
        (20, date(2026, 12, 1), 2),  # 1 month: 0.83 days, 1
        (2, date(2026, 10, 1), 1),  # 0.25 half days... a quarter of a day rounds up to a half
        (20, date(2027, 1, 1), 0),  # started after the year
        (0, date(2026, 7, 1), 0),  # no norm
    ],
)
def test_the_yearly_norm_is_pro_rated_by_the_months_left_to_half_days(
    yearly: int, started: date | None, norm: int
) -> None:
    assert yearly_norm_halves(yearly, 2026, started) == norm


def test_fuping_refuses_sign_ups_from_december_with_the_days_missing_lishu_does_not() -> None:
    loop = enrolled_last_year()
    trained(loop, demo.RIDER.id, date(2026, 11, 23), 7)
    at(loop, morning(date(2026, 11, 30)))
    assert loop.tasks.sign_up(demo.RIDER, publish_task(loop)).state == "booked"  # November
    at(loop, morning(date(2026, 12, 1)))
    task = publish_task(loop)
    error = refused(loop, lambda: loop.tasks.sign_up(demo.RIDER, task))
    assert error.code == "training_short"
    assert error.message_zh.startswith("今年常态化培训还差3天，12月1日起不能报名任务")
    assert "3 days of this year's regular training short" in error.message_en
    assert error.details == {"reason": "training_short", "short_days": 3.0, "norm_days": 10.0}
    untrained = refused(loop, lambda: loop.tasks.sign_up(demo.COURIER, task))  # no record yet
    assert (untrained.code, untrained.details["short_days"]) == ("training_short", 10.0)
    assert loop.incidents.report_new(
        demo.COURIER, channel="app", module="hazard_screening", sense="seen",
        what="井盖丢失", where="幸福路",
    ).incident_id  # reporting a hazard is never restricted  # fmt: skip
    lishu = enrolled_last_year(LISHU_SCORING)
    at(lishu, morning(date(2026, 12, 1)))
    assert lishu.tasks.sign_up(demo.RIDER, publish_task(lishu)).state == "booked"


def test_a_certification_late_in_the_year_pro_rates_the_norm_the_gate_holds_him_to() -> None:
    loop = enrolled_last_year()
    at(loop, morning(date(2026, 3, 2)))
    loop.training.switch_gate_on(COUNTY, serving=[demo.RIDER.id])
    admit_newcomer(loop)  # admitted in March, certified in September: 4 months left
    trained(loop, NEWCOMER, date(2026, 9, 1), 5, kind="pre_duty")
    loop.training.record_exam(STATION, NEWCOMER, score=80)
    loop.training.certify(STATION, NEWCOMER)
    at(loop, morning(date(2026, 12, 1)))
    newcomer = Actor(NEWCOMER, "volunteer", demo.XINGFU)
    task = publish_task(loop)
    error = refused(loop, lambda: loop.tasks.sign_up(newcomer, task))
    assert error.code == "training_short"
    assert "今年常态化培训还差3.5天" in error.message_zh  # 10 days x 4/12 = 3.33: 3.5
    assert error.details["norm_days"] == 3.5
    held = session(loop, day=date(2026, 12, 1), kind="regular", topic="反诈知识")
    loop.training.record_attendance(STATION, held, NEWCOMER)
    error = refused(loop, lambda: loop.tasks.sign_up(newcomer, task))
    assert "还差2.5天" in error.message_zh


def suspending(loop: Loop) -> Loop:
    """The county's preset suspends for a shortfall (its other training rules kept)."""
    policy = replace(loop.training.policy, shortfall="suspend")
    loop.training.policy = loop.tasks.training = policy
    return loop


def record(loop: Loop, volunteer_id: str) -> TrainingRecord:
    found = loop.app.find(training_record_id(volunteer_id), TrainingRecord)
    assert found is not None
    return found


def test_a_suspension_is_a_station_officers_recorded_decision_never_the_clocks() -> None:
    loop = suspending(enrolled_last_year())
    trained(loop, demo.RIDER.id, date(2026, 11, 20), 6)
    too_early = refused(loop, lambda: loop.training.suspend(STATION, demo.RIDER.id, reason="不足"))
    assert (too_early.code, too_early.details["field"]) == ("invalid_input", "volunteer_id")
    at(loop, morning(date(2026, 12, 1)))
    task = publish_task(loop)
    assert loop.tasks.sign_up(demo.RIDER, task).state == "booked"  # the clock suspends nobody
    for actor, code in ((demo.OFFICER_XF, "not_permitted"), (demo.RIDER, "not_permitted")):
        error = refused(loop, lambda a=actor: loop.training.suspend(a, demo.RIDER.id, reason="x"))
        assert error.code == code
    blank = refused(loop, lambda: loop.training.suspend(STATION, demo.RIDER.id, reason=" "))
    assert blank.code == "invalid_input"
    ack = loop.training.suspend(STATION, demo.RIDER.id, reason="常态化日常培训不足10天")
    assert (ack.suspended, ack.year, ack.short_days) == (True, 2026, 4.0)
    last = list(loop.app.events.get(training_record_id(demo.RIDER.id)))[-1]
    assert type(last).__name__ == "Suspended"
    assert last.actor == STATION  # type: ignore[attr-defined]
    assert last.reason == "常态化日常培训不足10天"  # type: ignore[attr-defined]
    again = refused(loop, lambda: loop.training.suspend(STATION, demo.RIDER.id, reason="再次"))
    assert again.code == "suspension_refused"
    task = publish_task(loop)
    error = refused(loop, lambda: loop.tasks.sign_up(demo.RIDER, task))
    assert error.code == "training_suspended"
    assert error.message_zh.startswith("因2026年常态化培训不足已被暂停上岗，不能报名任务")
    assert "2026年还差4天" in error.message_zh
    assert error.details["short_days"] == 4.0


def test_the_attendance_that_makes_the_days_up_lifts_the_suspension_in_its_save() -> None:
    loop = suspending(enrolled_last_year())
    trained(loop, demo.RIDER.id, date(2026, 11, 22), 8)
    at(loop, morning(date(2026, 12, 1)))
    loop.training.suspend(STATION, demo.RIDER.id, reason="常态化日常培训不足10天")
    trained(loop, demo.RIDER.id, date(2026, 12, 2), 1)
    assert record(loop, demo.RIDER.id).suspended is not None  # 9 of 10 days
    task = publish_task(loop)
    still = refused(loop, lambda: loop.tasks.sign_up(demo.RIDER, task))
    assert "2026年还差1天" in still.message_zh  # what is left now, not at the suspension
    held = session(loop, day=date(2026, 12, 2), kind="regular", topic="消防知识", credit="half")
    at(loop, morning(date(2026, 12, 3)))
    late = session(loop, day=date(2026, 12, 3), kind="regular", topic="交通管理")
    loop.training.record_attendance(STATION, held, demo.RIDER.id)  # the same day: no more
    assert record(loop, demo.RIDER.id).suspended is not None
    # the attendance recorded only on correction makes the tenth day
    done = loop.training.correct_attendance(
        demo.OFFICER_XF, late, demo.RIDER.id, present=True, reason="补登记"
    )
    assert done.credited_days == 1
    events = list(loop.app.events.get(training_record_id(demo.RIDER.id)))
    assert [type(e).__name__ for e in events[-2:]] == ["DayCredited", "SuspensionLifted"]
    assert events[-1].made_up is True  # type: ignore[attr-defined]
    assert events[-1].actor == demo.OFFICER_XF  # type: ignore[attr-defined]
    assert loop.tasks.sign_up(demo.RIDER, publish_task(loop)).state == "booked"


def test_an_officer_lifts_a_suspension_with_the_reason_and_only_one_there_is() -> None:
    loop = suspending(enrolled_last_year())
    at(loop, morning(date(2026, 12, 1)))
    nothing = refused(
        loop, lambda: loop.training.lift_suspension(STATION, demo.RIDER.id, reason="恢复")
    )
    assert nothing.code == "suspension_refused"
    loop.training.suspend(STATION, demo.RIDER.id, reason="常态化日常培训不足10天")
    ack = loop.training.lift_suspension(COUNTY, demo.RIDER.id, reason="因病请假，经批准暂缓")
    assert (ack.suspended, ack.short_days) == (False, 0)
    assert record(loop, demo.RIDER.id).suspended is None
    assert loop.tasks.sign_up(demo.RIDER, publish_task(loop)).state == "booked"


def test_a_preset_that_does_not_suspend_refuses_a_suspension() -> None:
    for scoring in (FUPING_SCORING, LISHU_SCORING):
        loop = enrolled_last_year(scoring)
        at(loop, morning(date(2026, 12, 1)))
        error = refused(
            loop, lambda on=loop: on.training.suspend(STATION, demo.RIDER.id, reason="x")
        )
        assert error.details["field"] == "policy"


def test_one_who_began_duty_after_the_restriction_began_is_not_locked_out() -> None:
    """Admitted on December 3: 1 day due this year, listed as short, yet neither
    restricted nor suspended for this year."""
    loop = enrolled_last_year()
    at(loop, morning(date(2026, 12, 3)))
    admit_newcomer(loop)
    newcomer = Actor(NEWCOMER, "volunteer", demo.XINGFU)
    assert loop.tasks.sign_up(newcomer, publish_task(loop)).state == "booked"
    suspending(loop)
    error = refused(loop, lambda: loop.training.suspend(STATION, NEWCOMER, reason="不足"))
    assert "2026-12-03上岗，晚于12月1日" in error.message_zh
    assert loop.training.suspend(STATION, demo.RIDER.id, reason="不足").short_days == 10


def test_the_presets_name_what_a_shortfall_does_and_nothing_else_is_accepted() -> None:
    assert (FUPING_TRAINING.shortfall, FUPING_TRAINING.shortfall_from_month) == ("restrict", 12)
    assert LISHU_TRAINING.shortfall == "warn"
    for bad in ({"shortfall": "fine"}, {"shortfall_from_month": 13}, {"shortfall_from_month": 0}):
        with pytest.raises(ValueError, match="shortfall"):
            replace(FUPING_TRAINING, **bad)
