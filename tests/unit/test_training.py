"""Training and the exam gate through the service: sessions, attendance and its
corrections, day credits (at most one day per calendar day), exams with the
preset's retake cool-down, certification with the exact remainder, and the task
sign-up refused under the gate, every refusal coded, bilingual and storing nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from aggregates.actor import Actor
from aggregates.training_record import capped_halves, days_text
from loop import demo
from loop.bootstrap import Loop, open_loop
from loop.rules.scoring import FUPING_SCORING, LISHU_SCORING
from tests.support import CHINA, FakeClock, refused

STATION = demo.STATION_OFFICER
COUNTY = demo.COUNTY_OFFICER
NEWCOMER = "v-xf-wang"
DAY = date(2026, 7, 11)  # the FakeClock's first day


def opened(scoring: Any = FUPING_SCORING) -> Loop:
    loop = open_loop(clock=FakeClock(), scoring=scoring)
    demo.enrol(loop.incidents)
    return loop


@pytest.fixture
def loop() -> Loop:
    return opened()


def admit_newcomer(loop: Loop) -> None:
    v = loop.volunteers
    v.apply(
        demo.CADRE_XF, volunteer_id=NEWCOMER, name="王某", phone="13904349999",
        id_number=demo.sample_id_number(9), address="幸福小区9栋", employer="幸福超市",
        occupation="courier", party_member=False,
    )  # fmt: skip
    for reviewer in ("employer", "community"):
        v.review(demo.CADRE_XF, NEWCOMER, reviewer=reviewer, approved=True, note="良好")
    v.review(STATION, NEWCOMER, reviewer="station", approved=True, note="无前科劣迹")
    v.admit(demo.OFFICER_XF, NEWCOMER)


def at(loop: Loop, moment: datetime) -> None:
    loop.app.clock.now = moment  # type: ignore[attr-defined]


def session(loop: Loop, day: date = DAY, **changes: Any) -> str:
    details: dict[str, Any] = {
        "kind": "pre_duty",
        "topic": "工作纪律与保密规定",
        "instructor": "阜平县公安局",
        "day": day,
        "credit": "whole",
        "mode": "in_person",
        "place": "县局培训室",
    }
    return loop.training.schedule(STATION, **{**details, **changes}).session_id


def test_days_are_summed_per_calendar_day_and_capped_at_one_whole_day() -> None:
    credits = [
        {"day": "2026-07-11", "halves": 1},
        {"day": "2026-07-11", "halves": 2},
        {"day": "2026-07-12", "halves": 1},
    ]
    assert capped_halves(credits) == 3
    assert (days_text(3), days_text(10)) == ("1.5", "5")


def test_attendance_credits_the_record_once_a_day_and_a_correction_withdraws_it(
    loop: Loop,
) -> None:
    morning = session(loop, credit="half")
    afternoon = session(loop, credit="whole", topic="基础信息采集")
    first = loop.training.record_attendance(STATION, morning, demo.RIDER.id)
    loop.training.record_attendance(STATION, afternoon, demo.RIDER.id)
    assert (first.present, first.credited_days) == (True, 0.5)
    record = loop.training.record(demo.RIDER.id, STATION, loop.app.clock())
    assert record.pre_duty_halves == 2  # a half and a whole on one day make one day
    corrected = loop.training.correct_attendance(
        STATION, afternoon, demo.RIDER.id, present=False, reason="登记错误，当天未到"
    )
    assert (corrected.present, corrected.credited_days) == (False, 0)
    record = loop.training.record(demo.RIDER.id, STATION, loop.app.clock())
    assert record.pre_duty_halves == 1
    kept = loop.training.get(afternoon)
    assert kept.corrections[0]["reason"] == "登记错误，当天未到"  # the first record stays
    assert loop.app.repository.get(kept.id, version=2).attendance == {demo.RIDER.id: True}


SHUANGYANG = Actor("s-sy-feng", "station_officer", "lishu/shuangyang")
ATTENDANCE_REFUSALS: dict[str, tuple[dict[str, Any], str]] = {
    "twice": ({}, "attendance_refused"),
    "unknown session": ({"session": "x"}, "training_session_not_found"),
    "same correction": ({"present": True}, "attendance_refused"),
    "another station": (
        {"actor": SHUANGYANG, "volunteer": demo.COURIER.id},
        "training_session_not_found",  # a session he may not read is not found
    ),
    "a volunteer himself": ({"actor": demo.RIDER}, "not_permitted"),
    "present as text": ({"present": "yes"}, "invalid_input"),
}


@pytest.mark.parametrize("case", ATTENDANCE_REFUSALS)
def test_attendance_refusals_are_coded_and_store_nothing(loop: Loop, case: str) -> None:
    held = session(loop)
    loop.training.record_attendance(STATION, held, demo.RIDER.id)
    asked, code = ATTENDANCE_REFUSALS[case]
    actor = asked.get("actor", STATION)
    target = asked.get("session", held)
    volunteer = asked.get("volunteer", demo.RIDER.id)
    if "present" in asked:
        error = refused(
            loop,
            lambda: loop.training.correct_attendance(
                actor, target, volunteer, present=asked["present"], reason="再记"
            ),
        )
    else:
        error = refused(loop, lambda: loop.training.record_attendance(actor, target, volunteer))
    assert error.code == code


def test_a_session_ahead_takes_no_attendance_and_bad_input_is_refused(loop: Loop) -> None:
    ahead = session(loop, day=DAY + timedelta(days=3))
    error = refused(loop, lambda: loop.training.record_attendance(STATION, ahead, demo.RIDER.id))
    assert error.details["field"] == "session_id"
    bad_input: list[dict[str, Any]] = [
        {"credit": "quarter"},
        {"mode": "radio"},
        {"kind": "party"},
        {"day": "2026-07-12"},
        {"day": DAY - timedelta(days=1)},
        {"unit": demo.XINGFU},
    ]
    for bad in bad_input:
        assert refused(loop, lambda bad=bad: session(loop, **bad)).code == "invalid_input"
    assert refused(loop, lambda: loop.training.schedule(
        demo.OFFICER_XF, kind="regular", topic="t", instructor="i", day=DAY, credit="half",
        mode="video", place="p",
    )).code == "invalid_input"  # fmt: skip


def test_fuping_does_not_count_video_sessions_and_lishu_does() -> None:
    for scoring, counted in ((FUPING_SCORING, 0), (LISHU_SCORING, 1)):
        loop = opened(scoring)
        video = session(loop, kind="regular", mode="video", credit="whole")
        ack = loop.training.record_attendance(STATION, video, demo.RIDER.id)
        assert ack.credited_days == counted


def test_a_retake_waits_for_the_cool_down_and_a_pass_ends_the_exams(loop: Loop) -> None:
    first = loop.training.record_exam(STATION, demo.RIDER.id, score=52)
    assert (first.attempt, first.passed, first.pass_mark) == (1, False, 60)
    error = refused(loop, lambda: loop.training.record_exam(STATION, demo.RIDER.id, score=80))
    assert error.code == "retake_too_soon"
    assert "7天" in error.message_zh
    at(loop, loop.app.clock() + timedelta(days=7))
    second = loop.training.record_exam(STATION, demo.RIDER.id, score=80)
    assert (second.attempt, second.passed) == (2, True)
    error = refused(loop, lambda: loop.training.record_exam(STATION, demo.RIDER.id, score=90))
    assert error.code == "exam_refused"
    for bad in (101, -1, 60.5, "80", True):
        error = refused(
            loop, lambda b=bad: loop.training.record_exam(STATION, demo.COURIER.id, score=b)
        )
        assert error.code == "invalid_input"


def test_certification_is_refused_with_the_exact_remainder_then_granted(loop: Loop) -> None:
    for n in range(3):
        day = DAY + timedelta(days=n)
        at(loop, datetime.combine(day, datetime.min.time(), CHINA) + timedelta(hours=9))
        held = session(loop, day=day, credit="whole" if n < 2 else "half")
        loop.training.record_attendance(STATION, held, demo.RIDER.id)
    error = refused(loop, lambda: loop.training.certify(STATION, demo.RIDER.id))
    assert error.code == "certification_refused"
    assert "还差2.5天岗前培训、考试未通过" in error.message_zh
    assert error.details == {"missing_days": 2.5, "exam_missing": True}
    for n in range(3, 6):
        day = DAY + timedelta(days=n)
        at(loop, datetime.combine(day, datetime.min.time(), CHINA) + timedelta(hours=9))
        loop.training.record_attendance(STATION, session(loop, day=day), demo.RIDER.id)
    error = refused(loop, lambda: loop.training.certify(STATION, demo.RIDER.id))
    assert error.message_zh.endswith("考试未通过")
    assert "还差" not in error.message_zh
    loop.training.record_exam(STATION, demo.RIDER.id, score=75)
    certified = loop.training.certify(STATION, demo.RIDER.id)
    assert (certified.basis, certified.pre_duty_days) == ("trained", 5.5)
    assert refused(loop, lambda: loop.training.certify(STATION, demo.RIDER.id)).code == (
        "certification_refused"
    )


def publish_task(loop: Loop) -> str:
    start = loop.app.clock() + timedelta(days=2)
    return loop.tasks.publish(
        STATION, kind="patrol", topic="幸福路夜间巡逻", place="幸福路", community=demo.XINGFU,
        starts_at=start, ends_at=start + timedelta(hours=2), needed=3, points=10,
    ).task_id  # fmt: skip


def test_under_the_gate_a_newcomer_waits_for_training_and_the_serving_are_legacy(
    loop: Loop,
) -> None:
    serving = [demo.RIDER.id, demo.COURIER.id, demo.APPLICANT_WITH_RECORD.id]
    gate = loop.training.switch_gate_on(COUNTY, serving=serving)
    assert gate.legacy == [demo.RIDER.id, demo.COURIER.id]  # the declined applicant is not serving
    admit_newcomer(loop)
    task = publish_task(loop)
    assert loop.tasks.sign_up(demo.RIDER, task).state == "booked"
    newcomer = Actor(NEWCOMER, "volunteer", demo.XINGFU)
    error = refused(loop, lambda: loop.tasks.sign_up(newcomer, task))
    assert error.code == "not_certified"
    assert "还差5天岗前培训、考试未通过" in error.message_zh
    assert "考试合格后方可上岗" in error.message_zh
    # one serving but not named at the switch holds no certification: the gate holds him
    assert refused(loop, lambda: loop.tasks.sign_up(demo.METER, task)).code == "not_certified"
    assert loop.incidents.report_new(
        newcomer, channel="app", module="hazard_screening", sense="seen",
        what="井盖丢失", where="幸福路",
    ).incident_id  # reporting a hazard is never gated  # fmt: skip


def test_the_gate_is_the_county_desks_and_only_under_a_preset_with_one() -> None:
    lishu = opened(LISHU_SCORING)
    error = refused(lishu, lambda: lishu.training.switch_gate_on(COUNTY, serving=[]))
    assert error.details["field"] == "policy"
    fuping = opened()
    assert refused(fuping, lambda: fuping.training.switch_gate_on(STATION, serving=[])).code == (
        "not_permitted"
    )
    fuping.training.switch_gate_on(COUNTY, serving=[])
    assert refused(fuping, lambda: fuping.training.switch_gate_on(COUNTY, serving=[])).code == (
        "invalid_input"
    )


def test_a_newcomer_trained_examined_and_certified_goes_on_duty(loop: Loop) -> None:
    loop.training.switch_gate_on(COUNTY, serving=[])
    admit_newcomer(loop)
    for n in range(5):
        day = DAY + timedelta(days=n)
        at(loop, datetime.combine(day, datetime.min.time(), CHINA) + timedelta(hours=9))
        loop.training.record_attendance(STATION, session(loop, day=day), NEWCOMER)
    loop.training.record_exam(demo.OFFICER_XF, NEWCOMER, score=60)
    assert loop.training.certify(STATION, NEWCOMER).pre_duty_days == 5
    newcomer = Actor(NEWCOMER, "volunteer", demo.XINGFU)
    assert loop.tasks.sign_up(newcomer, publish_task(loop)).state == "booked"


def test_pre_duty_days_count_only_before_certification(loop: Loop) -> None:
    loop.training.switch_gate_on(COUNTY, serving=[demo.RIDER.id])  # certified as legacy
    held = session(loop)
    loop.training.record_attendance(STATION, held, demo.RIDER.id)
    record = loop.training.record(demo.RIDER.id, STATION, loop.app.clock())
    assert record.credits[held]["before_certification"] is False
    assert record.pre_duty_halves == 0
    regular = session(loop, kind="regular", topic="法律法规基础知识")
    loop.training.record_attendance(STATION, regular, demo.RIDER.id)
    record = loop.training.record(demo.RIDER.id, STATION, loop.app.clock())
    assert record.year_halves(2026) == 2  # the day's regular training counts to the year
