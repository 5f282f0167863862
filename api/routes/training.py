"""Training and the exam gate (岗前培训与考试上岗): sessions, attendance and its
corrections, exams, duty certification, a volunteer's record and a unit's
shortfall list.

Every command takes the one command path (``api.dispatch``): on the group-commit
writer, the read-scope check first (a session the caller may not know of answers
404), then the service's command as the logged-in user.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from api.accounts import User
from api.deps import CurrentUser, IdempotencyKey, ServicesDep, WaitFor
from api.dispatch import command, execute
from api.query import UnitFilter, unit_for
from api.schemas import Answer, Rows, answer_of
from api.services import Services
from api.training_schemas import (
    AttendanceCorrection,
    Attendee,
    Cancellation,
    ExamResult,
    SessionCreate,
    SuspensionChange,
)
from loop.rules import permissions, units
from loop.rules.access import unit_record
from loop.rules.training import TrainingPolicy
from loop.rules.vocabulary import Role
from loop.services.training import AttendanceAck, CertificationAck, ExamAck, GateAck, SessionAck
from loop.services.training_suspension import SuspensionAck
from projections.training_queries import Norms

router = APIRouter(prefix="/api", tags=["training 岗前培训与考试"])

SessionId = Annotated[str, Path(max_length=36)]
VolunteerId = Annotated[str, Path(max_length=100)]
Unit = UnitFilter
Year = Annotated[int | None, Query(ge=2000, le=2100, description="默认今年 / default: this year")]


def norms(policy: TrainingPolicy) -> Norms:
    return Norms(
        policy.pre_duty_halves,
        policy.yearly_halves,
        policy.exam_required,
        shortfall=policy.shortfall,
        shortfall_from_month=policy.shortfall_from_month,
    )


def on_session(
    user: User, session_id: str, run: Callable[..., Any], *args: Any, **kw: Any
) -> Callable[[], Any]:
    """``run`` on the session as ``user``: the service refuses a role that may never
    take the step, and answers 404 for a session the user may not read."""
    return partial(run, user.actor, session_id, *args, **kw)


def this_year(s: Services, year: int | None) -> int:
    return year if year is not None else s.loop.training.today().year


# -- reading -------------------------------------------------------------------------------


@router.get("/training/sessions", response_model=Rows)
async def sessions(
    user: CurrentUser,
    s: ServicesDep,
    unit: Unit = None,
    start: date | None = None,
    end: date | None = None,
    wait_for: WaitFor = None,
) -> Rows:
    """培训安排：本单位（及上级）组织的培训，默认今后60天 / the sessions held by or
    for a unit, by default the next 60 days."""
    chosen = unit or user.unit
    if user.role == Role.VOLUNTEER:
        chosen = user.unit
    else:
        permissions.check("read_unit", user.actor, unit_record(chosen))
    await s.wait_for(wait_for)
    first = start or s.loop.training.today()
    rows = s.views.training.sessions(chosen, start=first, end=end or first + timedelta(days=60))
    return Rows(items=rows)


@router.get("/volunteers/{volunteer_id}/training", response_model=dict[str, Any])
async def record_of(
    volunteer_id: VolunteerId,
    user: CurrentUser,
    s: ServicesDep,
    year: Year = None,
    wait_for: WaitFor = None,
) -> dict[str, Any]:
    """义警的培训记录：今年培训天数与本人年度标准（年中上岗的按剩余月份折算）、岗前
    培训、考试、上岗资格、培训不足的暂停、是否因培训不能报名任务、即将开展的培训 / a
    volunteer's training: this year's days against his norm (pro-rated for a late
    start), pre-duty days, exams, certification, a suspension, whether training keeps
    him from signing up, and the sessions ahead."""
    volunteer = s.volunteers.read(user.actor, volunteer_id)
    await s.wait_for(wait_for)
    policy = s.loop.training.policy
    today = s.loop.training.today()
    found = s.views.training.record_of(
        volunteer_id, year=this_year(s, year), norms=norms(policy), today=today
    )
    ahead = s.views.training.sessions(
        volunteer.community, start=today, end=today + timedelta(days=60)
    )
    return {
        "volunteer_id": volunteer_id,
        "record": found,
        "next_sessions": [r for r in ahead if r["status"] == "scheduled"][:10],
    }


@router.get("/training/shortfall", response_model=Rows)
async def shortfall(
    user: CurrentUser, s: ServicesDep, unit: Unit = None, year: Year = None,
    wait_for: WaitFor = None,
) -> Rows:  # fmt: skip
    """年度培训不足名单：在岗义警今年日常培训未达本人标准天数的（年中上岗的按剩余月份
    折算）/ the serving volunteers of a unit short of the year's training days (each
    against his norm, pro-rated for a late start), most short first."""
    chosen = unit_for(user, unit)
    await s.wait_for(wait_for)
    policy = s.loop.training.policy
    rows = s.views.training.shortfall(chosen, year=this_year(s, year), norms=norms(policy))
    return Rows(items=rows)


@router.get("/training/awaiting", response_model=Rows)
async def awaiting(
    user: CurrentUser, s: ServicesDep, unit: Unit = None, wait_for: WaitFor = None
) -> Rows:
    """待岗培训名单：本县启用考试上岗制度后尚未取得上岗资格的在岗义警及其差额 / the
    serving volunteers not yet certified under the county's gate, with what each lacks."""
    chosen = unit_for(user, unit)
    await s.wait_for(wait_for)
    return Rows(items=s.views.training.awaiting(chosen, norms=norms(s.loop.training.policy)))


# -- commands --------------------------------------------------------------------------------

SessionAnswer = answer_of(SessionAck)
AttendanceAnswer = answer_of(AttendanceAck)
ExamAnswer = answer_of(ExamAck)
CertificationAnswer = answer_of(CertificationAck)
GateAnswer = answer_of(GateAck)
SuspensionAnswer = answer_of(SuspensionAck)


@router.post("/training/sessions", response_model=SessionAnswer, status_code=201)
async def schedule(
    body: SessionCreate, user: CurrentUser, s: ServicesDep, key: IdempotencyKey = None
) -> Answer:
    """安排培训 / schedule a training session."""
    run = partial(s.loop.training.schedule, user.actor, **body.model_dump())
    return await execute(s, user, key, command("schedule_training", body, run, SessionAnswer, 201))


@router.post("/training/sessions/{session_id}/cancellation", response_model=SessionAnswer)
async def cancel(
    session_id: SessionId, body: Cancellation, user: CurrentUser, s: ServicesDep,
    key: IdempotencyKey = None,
) -> Answer:  # fmt: skip
    """取消尚未登记出勤的培训 / cancel a session no attendance was recorded for."""
    run = on_session(user, session_id, s.loop.training.cancel, reason=body.reason)
    asked = command(f"cancel_training:{session_id}", body, run, SessionAnswer)
    return await execute(s, user, key, asked)


@router.post("/training/sessions/{session_id}/attendance", response_model=AttendanceAnswer)
async def attend(
    session_id: SessionId, body: Attendee, user: CurrentUser, s: ServicesDep,
    key: IdempotencyKey = None,
) -> Answer:  # fmt: skip
    """登记出勤：计入义警的培训记录 / record attendance; his record is credited."""
    run = on_session(user, session_id, s.loop.training.record_attendance, body.volunteer_id)
    asked = command(f"attend:{session_id}", body, run, AttendanceAnswer)
    return await execute(s, user, key, asked)


@router.post("/training/sessions/{session_id}/corrections", response_model=AttendanceAnswer)
async def correct(
    session_id: SessionId, body: AttendanceCorrection, user: CurrentUser, s: ServicesDep,
    key: IdempotencyKey = None,
) -> Answer:  # fmt: skip
    """更正出勤（原登记保留）/ correct attendance; the earlier record stays."""
    run = on_session(
        user, session_id, s.loop.training.correct_attendance, body.volunteer_id,
        present=body.present, reason=body.reason,
    )  # fmt: skip
    asked = command(f"correct_attendance:{session_id}", body, run, AttendanceAnswer)
    return await execute(s, user, key, asked)


@router.post("/volunteers/{volunteer_id}/exams", response_model=ExamAnswer)
async def exam(
    volunteer_id: VolunteerId, body: ExamResult, user: CurrentUser, s: ServicesDep,
    key: IdempotencyKey = None,
) -> Answer:  # fmt: skip
    """录入考试成绩；补考须过冷却期 / record an exam attempt."""
    run = partial(
        s.loop.training.record_exam, user.actor, volunteer_id,
        score=body.score, pass_mark=body.pass_mark,
    )  # fmt: skip
    return await execute(s, user, key, command(f"exam:{volunteer_id}", body, run, ExamAnswer))


@router.post("/volunteers/{volunteer_id}/certification", response_model=CertificationAnswer)
async def certify(
    volunteer_id: VolunteerId, user: CurrentUser, s: ServicesDep, key: IdempotencyKey = None
) -> Answer:
    """认定上岗资格：岗前培训天数与考试合格，否则说明还差多少 / certify for duty."""
    run = partial(s.loop.training.certify, user.actor, volunteer_id)
    asked = command(f"certify:{volunteer_id}", None, run, CertificationAnswer)
    return await execute(s, user, key, asked)


@router.post("/training/gate", response_model=GateAnswer)
async def switch_gate_on(user: CurrentUser, s: ServicesDep, key: IdempotencyKey = None) -> Answer:
    """启用岗前培训考试上岗制度：此时在岗的义警认定为启用前在岗 / switch the county's
    duty gate on; the volunteers serving now are certified as legacy."""
    await s.wait_for(s.loop.app.recorder.max_notification_id())
    county = units.ancestor(user.unit, "county")
    serving = s.views.training.serving(county)
    run = partial(s.loop.training.switch_gate_on, user.actor, serving=serving)
    return await execute(s, user, key, command(f"duty_gate:{county}", None, run, GateAnswer))


@router.post("/volunteers/{volunteer_id}/training-suspension", response_model=SuspensionAnswer)
async def suspend(
    volunteer_id: VolunteerId, body: SuspensionChange, user: CurrentUser, s: ServicesDep,
    key: IdempotencyKey = None,
) -> Answer:  # fmt: skip
    """因培训不足暂停上岗（预设为暂停时，由派出所从培训不足名单中决定）/ suspend a
    volunteer short of the year's training days, under a preset that suspends."""
    run = partial(s.loop.training.suspend, user.actor, volunteer_id, reason=body.reason)
    asked = command(f"training_suspension:{volunteer_id}", body, run, SuspensionAnswer)
    return await execute(s, user, key, asked)


@router.post(
    "/volunteers/{volunteer_id}/training-suspension/lifting", response_model=SuspensionAnswer
)
async def lift_suspension(
    volunteer_id: VolunteerId, body: SuspensionChange, user: CurrentUser, s: ServicesDep,
    key: IdempotencyKey = None,
) -> Answer:  # fmt: skip
    """恢复上岗：解除因培训不足的暂停 / lift a suspension for missing training days."""
    run = partial(s.loop.training.lift_suspension, user.actor, volunteer_id, reason=body.reason)
    asked = command(f"training_suspension_lifting:{volunteer_id}", body, run, SuspensionAnswer)
    return await execute(s, user, key, asked)
