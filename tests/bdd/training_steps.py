"""Step definitions for training and the exam gate (``features/18``); registered by
``conftest.py``, sharing its World. Sessions are named in the scenarios by topic."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from pytest_bdd import given, parsers, then

from aggregates.training_record import TrainingRecord, training_record_id
from aggregates.volunteer import ON_DUTY, Volunteer, volunteer_aggregate_id
from loop import demo
from loop.bootstrap import open_loop
from loop.rules.scoring import SCORING_PRESETS
from loop.rules.training import (
    BASES,
    KINDS,
    MODES,
    SHORTFALL_ACTIONS,
    TrainingPolicy,
    training_policy_for,
)
from loop.services.training import Training
from loop.services.volunteers import Volunteers
from projections.training_queries import Norms
from tests.bdd.bank_steps import POLICIES, _key, _who
from tests.bdd.conftest import CAST, TRY, UNITS, WHO, Q, World, action
from tests.bdd.projection_steps import Views
from tests.support import CHINA

DAY_CREDITS = {"半天": "half", "一天": "whole"}


def _policy(world: World) -> TrainingPolicy:
    """The preset's training rules, or those the scenario changed."""
    found: TrainingPolicy | None = world.__dict__.get("training_policy")
    return found or training_policy_for(world.flow.scoring)


def _training(world: World) -> Training:
    training = Training(world.flow.app, world.flow.scoring)
    training.policy = _policy(world)
    return training


def _today(world: World) -> date:
    return world.clock.now.astimezone(CHINA).date()


def _sessions(world: World) -> dict[str, str]:
    named: dict[str, str] = world.__dict__.setdefault("sessions", {})
    return named


def _record(world: World, person: str) -> TrainingRecord:
    found = world.flow.app.find(training_record_id(CAST[person].id), TrainingRecord)
    assert found is not None, f"{person} has no training record"
    return found


SCHEDULE = (
    f"{{who}}{TRY}安排{Q.format('kind')}{Q.format('topic')}，(?P<month>\\d+)月(?P<day>\\d+)日，"
    f"(?P<credit>半天|一天)，{Q.format('mode')}，授课单位{Q.format('instructor')}"
)


@action(SCHEDULE)
def schedule(
    world: World, who: str, attempt: str | None, kind: str, topic: str, month: str, day: str,
    credit: str, mode: str, instructor: str,
) -> None:  # fmt: skip
    world.act(
        attempt,
        lambda: _training(world).schedule(
            CAST[who],
            kind=_key(KINDS, kind),
            topic=topic,
            instructor=instructor,
            day=date(2026, int(month), int(day)),
            credit=DAY_CREDITS[credit],
            mode=_key(MODES, mode),
            place="朝阳派出所会议室",
        ),
    )
    if not attempt:
        _sessions(world)[topic] = world.result.session_id


@action(f"{{who}}{TRY}登记{_who('person')}参加培训{Q.format('topic')}")
def attend(world: World, who: str, attempt: str | None, person: str, topic: str) -> None:
    session = _sessions(world)[topic]
    world.act(
        attempt, lambda: _training(world).record_attendance(CAST[who], session, CAST[person].id)
    )


@action(
    f"{{who}}{TRY}更正{_who('person')}(?P<present>未参加|参加了)培训{Q.format('topic')}，"
    f"理由{Q.format('reason')}"
)
def correct(
    world: World, who: str, attempt: str | None, person: str, present: str, topic: str,
    reason: str,
) -> None:  # fmt: skip
    session = _sessions(world)[topic]
    world.act(
        attempt,
        lambda: _training(world).correct_attendance(
            CAST[who], session, CAST[person].id, present=present == "参加了", reason=reason
        ),
    )


@given(parsers.re(f"{_who('person')}已参加(?P<days>\\d+)天{Q.format('kind')}"))
def trained_for(world: World, person: str, days: str, kind: str) -> None:
    """Whole-day sessions on the days that follow (from today on), each attended (the
    clock moves)."""
    training = _training(world)
    for _ in range(int(days)):
        day: date = max(world.__dict__.get("next_training_day", date(2026, 7, 11)), _today(world))
        world.clock.now = max(
            world.clock.now, datetime.combine(day, datetime.min.time(), CHINA) + timedelta(hours=9)
        )
        held = training.schedule(
            demo.STATION_OFFICER, kind=_key(KINDS, kind), topic="岗前集中培训",
            instructor="阜平县公安局", day=day, credit="whole", mode="in_person", place="县局",
        )  # fmt: skip
        training.record_attendance(demo.STATION_OFFICER, held.session_id, CAST[person].id)
        world.__dict__["next_training_day"] = day + timedelta(days=1)


@given(
    parsers.re(f"采用{Q.format('policy')}积分政策，义警于(?P<year>\\d{{4}})年(?P<month>\\d+)月吸纳")
)
def policy_since(world: World, policy: str, year: str, month: str) -> None:
    """The demo's volunteers admitted on the first of that month; then back to today."""
    now = world.clock.now
    world.clock.now = datetime(int(year), int(month), 1, 9, 0, tzinfo=CHINA)
    world.flow = open_loop(clock=world.clock, scoring=SCORING_PRESETS[POLICIES[policy]]).incidents
    world.items = demo.enrol(world.flow)
    world.clock.now = max(now, world.clock.now)


@given(parsers.re(f"培训不足的处理为{Q.format('action')}"))
def shortfall_action(world: World, action: str) -> None:
    """A county whose preset treats a shortfall so (the rest of its training rules kept)."""
    chosen = _key(SHORTFALL_ACTIONS, action)
    world.__dict__["training_policy"] = replace(_policy(world), shortfall=chosen)


@action(f"{{who}}{TRY}因培训不足暂停{_who('person')}上岗，理由{Q.format('reason')}")
def suspend(world: World, who: str, attempt: str | None, person: str, reason: str) -> None:
    world.act(attempt, lambda: _training(world).suspend(CAST[who], CAST[person].id, reason=reason))


@action(f"{{who}}{TRY}解除{_who('person')}的暂停上岗，理由{Q.format('reason')}")
def lift(world: World, who: str, attempt: str | None, person: str, reason: str) -> None:
    world.act(
        attempt,
        lambda: _training(world).lift_suspension(CAST[who], CAST[person].id, reason=reason),
    )


@action(f"{{who}}{TRY}录入{_who('person')}的考试成绩(?P<score>\\d+)分")
def exam(world: World, who: str, attempt: str | None, person: str, score: str) -> None:
    world.act(
        attempt,
        lambda: _training(world).record_exam(CAST[who], CAST[person].id, score=int(score)),
    )


@action(f"{{who}}{TRY}认定{_who('person')}上岗资格")
def certify(world: World, who: str, attempt: str | None, person: str) -> None:
    world.act(attempt, lambda: _training(world).certify(CAST[who], CAST[person].id))


@action(f"{{who}}{TRY}启用岗前培训考试上岗制度")
def switch_on(world: World, who: str, attempt: str | None) -> None:
    """The county desk names the volunteers serving now (as its list of them shows)."""
    found = [
        world.flow.app.find(volunteer_aggregate_id(actor.id), Volunteer)
        for actor in CAST.values()
        if actor.role == "volunteer"
    ]
    serving = [v.volunteer_id for v in found if v is not None and v.status in ON_DUTY]
    world.act(attempt, lambda: _training(world).switch_gate_on(CAST[who], serving=serving))


@given(parsers.re(f"{_who('person')}经联合审核被吸纳为义警"))
def admitted(world: World, person: str) -> None:
    volunteers = Volunteers(world.flow.app, world.flow.scoring)
    volunteer_id = CAST[person].id
    volunteers.apply(
        demo.CADRE_XF, volunteer_id=volunteer_id, name="王某", phone="13904349999",
        id_number=demo.sample_id_number(9), address="幸福小区9栋", employer="幸福超市",
        occupation="courier", party_member=False,
    )  # fmt: skip
    for reviewer in ("employer", "community"):
        volunteers.review(
            demo.CADRE_XF, volunteer_id, reviewer=reviewer, approved=True, note="良好"
        )
    volunteers.review(
        demo.STATION_OFFICER, volunteer_id, reviewer="station", approved=True, note="无前科劣迹"
    )
    volunteers.admit(demo.OFFICER_XF, volunteer_id)


# -- outcomes ------------------------------------------------------------------------


def _days(text: str) -> int:
    return round(float(text) * 2)


@then(parsers.re(f"{_who('person')}的岗前培训为(?P<days>[\\d.]+)天"))
def pre_duty_days(world: World, person: str, days: str) -> None:
    assert _record(world, person).pre_duty_halves == _days(days)


@then(parsers.re(f"{_who('person')}今年的日常培训为(?P<days>[\\d.]+)天"))
def year_days(world: World, person: str, days: str) -> None:
    found = world.flow.app.find(training_record_id(CAST[person].id), TrainingRecord)
    assert (0 if found is None else found.year_halves(2026)) == _days(days)


@then(parsers.re(f"{_who('person')}的上岗资格为{Q.format('basis')}"))
def certified_as(world: World, person: str, basis: str) -> None:
    assert _record(world, person).certified == _key(BASES, basis)


@then(parsers.re(f"{_who('person')}第(?P<attempt>\\d+)次考试(?P<verdict>合格|不合格)"))
def exam_result(world: World, person: str, attempt: str, verdict: str) -> None:
    last = _record(world, person).exams[-1]
    assert (last["attempt"], last["passed"]) == (int(attempt), verdict == "合格")


@then(parsers.re(f"培训{Q.format('topic')}保留了更正前的出勤登记"))
def correction_keeps_the_first_record(world: World, topic: str) -> None:
    session = _training(world).get(_sessions(world)[topic])
    events = list(world.flow.app.events.get(session.id))
    names = [type(e).__name__ for e in events]
    assert names[-2:] == ["AttendanceRecorded", "AttendanceCorrected"]
    assert events[-1].present is False  # type: ignore[attr-defined]


# -- the read side -------------------------------------------------------------------------


def _norms(world: World) -> Norms:
    policy = _policy(world)
    return Norms(
        policy.pre_duty_halves, policy.yearly_halves, policy.exam_required,
        shortfall=policy.shortfall, shortfall_from_month=policy.shortfall_from_month,
    )  # fmt: skip


def _rows(world: World, views: Views, unit: str, year: str) -> dict[str, dict[str, Any]]:
    built = views.over(world)
    assert built.runner.wait_for(world.flow.app.recorder.max_notification_id(), timeout=30)
    rows = built.training.shortfall(UNITS[unit], year=int(year), norms=_norms(world))
    return {r["volunteer_id"]: r for r in rows}


def _shortfall(world: World, views: Views, unit: str, year: str) -> dict[str, Any]:
    return {k: r["short_days"] for k, r in _rows(world, views, unit, year).items()}


@then(
    parsers.re(
        f"(?P<unit>朝阳派出所|幸福社区)(?P<year>\\d{{4}})年培训不足名单中{_who('person')}"
        "还差(?P<days>[\\d.]+)天"
    )
)
def short_by(world: World, views: Views, unit: str, year: str, person: str, days: str) -> None:
    assert _shortfall(world, views, unit, year)[CAST[person].id] == float(days)


@then(
    parsers.re(
        f"(?P<unit>朝阳派出所|幸福社区)(?P<year>\\d{{4}})年培训不足名单中没有{_who('person')}"
    )
)
def not_short(world: World, views: Views, unit: str, year: str, person: str) -> None:
    assert CAST[person].id not in _shortfall(world, views, unit, year)


@then(
    parsers.re(
        f"(?P<unit>朝阳派出所|幸福社区)(?P<year>\\d{{4}})年培训不足名单中{_who('person')}"
        "应训(?P<norm>[\\d.]+)天、还差(?P<days>[\\d.]+)天"
    )
)
def short_of_his_norm(
    world: World, views: Views, unit: str, year: str, person: str, norm: str, days: str
) -> None:
    row = _rows(world, views, unit, year)[CAST[person].id]
    assert (row["norm_days"], row["short_days"]) == (float(norm), float(days))


@then(
    parsers.re(
        f"(?P<unit>朝阳派出所|幸福社区)(?P<year>\\d{{4}})年培训不足名单中{_who('person')}"
        "(?P<state>已暂停上岗|未暂停上岗)"
    )
)
def listed_suspended(
    world: World, views: Views, unit: str, year: str, person: str, state: str
) -> None:
    row = _rows(world, views, unit, year)[CAST[person].id]
    assert row["suspended"] is (state == "已暂停上岗")


@then(
    parsers.re(
        f"{_who('person')}的培训记录显示(?P<why>因培训不足不能报名任务|已暂停上岗|可以报名任务)"
        "(，今年应训(?P<norm>[\\d.]+)天、还差(?P<days>[\\d.]+)天)?"
    )
)
def his_page(
    world: World, views: Views, person: str, why: str, norm: str | None, days: str | None
) -> None:
    """What his training page reads from: why he may not sign up, and his numbers."""
    built = views.over(world)
    assert built.runner.wait_for(world.flow.app.recorder.max_notification_id(), timeout=30)
    today = _today(world)
    read = built.training.record_of(
        CAST[person].id, year=today.year, norms=_norms(world), today=today
    )
    assert read is not None
    expected = {"因培训不足不能报名任务": "short", "已暂停上岗": "suspended"}.get(why)
    assert read["sign_up"] == expected
    if norm is not None:
        assert (read["norm_days"], read["short_days"]) == (float(norm), float(days or 0))


@then(parsers.re(f"{_who('person')}已被暂停上岗，决定人为(?P<who>{WHO})"))
def suspended_by(world: World, person: str, who: str) -> None:
    found = _record(world, person).suspended
    assert found is not None
    assert found["by"] == CAST[who].id
    last = list(world.flow.app.events.get(training_record_id(CAST[person].id)))[-1]
    assert type(last).__name__ == "Suspended"
    assert last.actor == CAST[who]  # type: ignore[attr-defined]


@then(parsers.re(f"{_who('person')}(?P<how>因补足培训天数|经民警决定)恢复上岗"))
def lifted(world: World, person: str, how: str) -> None:
    assert _record(world, person).suspended is None
    events = list(world.flow.app.events.get(training_record_id(CAST[person].id)))
    last = next(e for e in reversed(events) if type(e).__name__ == "SuspensionLifted")
    assert last.made_up is (how == "因补足培训天数")  # type: ignore[attr-defined]
