"""Duty tasks (任务发布): a station publishes, volunteers choose by time and place,
attendance becomes hours and points.

Every command takes the one command path (``api.dispatch``): on the group-commit
writer, the read-scope check first (a task the caller may not know of answers
404), then the service's command as the logged-in user; it answers after the
crash-safe commit with the log position to wait for. With an ``Idempotency-Key``
a command runs once; a sign-up also stores the key's digest with itself, so a
retry after a crash between its commit and the kept answer still gets the first
answer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path

from aggregates.roster import roster_id
from aggregates.task import Task
from aggregates.volunteer import volunteer_aggregate_id
from api.accounts import User
from api.deps import CurrentUser, IdempotencyKey, ServicesDep, WaitFor
from api.dispatch import Command, command, execute, ids
from api.idempotency import check_key
from api.query import MonthFilter, UnitFilter, unit_for
from api.schemas import Answer, Moment, Rows, answer_of
from api.services import Services
from api.task_schemas import (
    Attendance,
    CheckInCode,
    Completion,
    ForVolunteer,
    Reason,
    TaskCreate,
    TaskRevision,
    TaskView,
    Withdrawal,
)
from loop.errors import TaskNotFound
from loop.rules import permissions, units
from loop.rules.access import unit_record
from loop.rules.task_access import task_record
from loop.rules.tasks import eligibility_scope, ineligibility
from loop.rules.vocabulary import Role
from loop.services.task_day import AttendanceAck, CompletionAck
from loop.services.task_signups import SignUpAck, WithdrawalAck
from loop.services.tasks import TaskAck

router = APIRouter(prefix="/api", tags=["duty tasks 任务发布"])

TaskId = Annotated[str, Path(max_length=36)]
VolunteerId = Annotated[str, Path(max_length=100)]
Unit = UnitFilter


def visible(user: User, task: Task) -> bool:
    """Staff see the tasks within their unit; a volunteer those he may take, lead
    or signed up for."""
    if user.role == Role.VOLUNTEER:
        return (
            task.entry_of(user.username) is not None
            or task.leader_id == user.username
            or user.username in task.attendance
            or units.within(user.unit, eligibility_scope(task.unit, task.community))
        )
    return permissions.visible(user.actor, task_record(task.community))


def known_task(s: Services, user: User, task_id: str) -> Task:
    """The task, or 404 when there is none or the caller may not know of it."""
    task = s.loop.tasks.get(task_id)
    if not visible(user, task):
        raise TaskNotFound("任务不存在", "No such task", task_id=task_id)
    return task


def why_not(s: Services, user: User, row: dict[str, Any]) -> dict[str, Any] | None:
    """Why the logged-in volunteer may not take the task of ``row``, or None."""
    volunteer = s.volunteers.get(user.username)
    found = ineligibility(
        s.loop.tasks.policy,
        status=volunteer.status,
        teams=volunteer.teams,
        community=volunteer.community,
        intensity=row["intensity"],
        team=row["team"],
        scope=eligibility_scope(row["unit"], row["community"]),
    )
    return None if found is None else {"message_zh": found[0], "message_en": found[1], **found[2]}


def gated(s: Services, user: User) -> dict[str, Any] | None:
    """Why the duty gate keeps the logged-in volunteer off every task, or None."""
    refusal = s.loop.tasks.training_refusal(s.volunteers.get(user.username))
    if refusal is None:
        return None
    return {"message_zh": refusal.message_zh, "message_en": refusal.message_en, **refusal.details}


def clash(row: dict[str, Any], busy: list[tuple[str, str, str]]) -> dict[str, Any] | None:
    """The volunteer's booking at the time of the task of ``row``, if any (his free
    time: the sign-up would be refused)."""
    for task_id, starts_at, ends_at in busy:
        if task_id != row["task_id"] and starts_at < row["ends_at"] and row["starts_at"] < ends_at:
            return {
                "message_zh": "与已报名的另一任务时间冲突",
                "message_en": "You are booked on another task at that time",
                "reason": "booking_overlaps",
                "task_id": task_id,
            }
    return None


# -- reading -------------------------------------------------------------------------------


@router.get("/tasks", response_model=Rows)
async def list_tasks(user: CurrentUser, s: ServicesDep, wait_for: WaitFor = None) -> Rows:
    """义警：可报名的任务（本社区优先），附不能报名的原因；工作人员：本单位今后30天的任务 /
    a volunteer's open tasks (his community first) with why he may not take one;
    for staff, their unit's tasks of the next 30 days."""
    await s.wait_for(wait_for)
    now = s.loop.app.clock()
    if user.role == Role.VOLUNTEER:
        rows = s.views.tasks.open_tasks(user.unit, now=now)
        busy = [
            (e["task_id"], e["starts_at"], e["ends_at"])
            for e in s.views.tasks.tasks_of(user.username)
            if e["state"] == "booked" and e["task_status"] == "open"
        ]
        gate = gated(s, user)
        return Rows(
            items=[{**r, "why_not": why_not(s, user, r) or gate or clash(r, busy)} for r in rows]
        )
    permissions.check("read_unit", user.actor, unit_record(user.unit))
    rows = s.views.tasks.calendar(
        user.unit,
        start=now - timedelta(days=1),
        end=now + timedelta(days=30),
        now=now,
        at_risk_within=s.loop.tasks.policy.at_risk_within,
    )
    return Rows(items=rows)


@router.get("/tasks/calendar", response_model=Rows)
async def calendar(
    user: CurrentUser,
    s: ServicesDep,
    start: Moment,
    end: Moment,
    unit: Unit = None,
    wait_for: WaitFor = None,
) -> Rows:
    """任务日历：填报情况与人手不足的任务 / a unit's tasks from ``start`` to ``end``, with
    fill levels and the tasks at risk (under-filled near their start)."""
    chosen = unit_for(user, unit)
    await s.wait_for(wait_for)
    rows = s.views.tasks.calendar(
        chosen,
        start=start,
        end=end,
        now=s.loop.app.clock(),
        at_risk_within=s.loop.tasks.policy.at_risk_within,
    )
    return Rows(items=rows)


@router.get("/tasks/statistics", response_model=dict[str, Any])
async def task_statistics(
    user: CurrentUser,
    s: ServicesDep,
    unit: Unit = None,
    period: MonthFilter = None,
    wait_for: WaitFor = None,
) -> dict[str, Any]:
    """任务统计：次数、人次、服务时长、积分 / tasks, attendances, hours and points."""
    chosen = unit_for(user, unit)
    await s.wait_for(wait_for)
    return s.views.tasks.statistics(chosen, period=period)


@router.get("/tasks/{task_id}", response_model=TaskView)
async def task_view(
    task_id: TaskId, user: CurrentUser, s: ServicesDep, wait_for: WaitFor = None
) -> TaskView:
    """任务详情；组织者另见花名册 / the task, the caller's own entry, and for those
    who run it the roster."""
    task = known_task(s, user, task_id)
    await s.wait_for(wait_for)
    row = s.views.tasks.task(
        str(task.id), now=s.loop.app.clock(), at_risk_within=s.loop.tasks.policy.at_risk_within
    )
    if row is None:  # published, not yet projected: wait_for its position
        raise TaskNotFound("任务不存在", "No such task", task_id=task_id)
    runs = s.loop.tasks.may_run(user.actor, task)
    mine = None
    if user.role == Role.VOLUNTEER:
        entries = s.views.tasks.roster(str(task.id))
        mine = next((e for e in entries if e["volunteer_id"] == user.username), None)
    return TaskView(
        task=row,
        why_not=(why_not(s, user, row) or gated(s, user)) if user.role == Role.VOLUNTEER else None,
        mine=mine,
        may_run=runs,
        roster=s.views.tasks.roster(str(task.id)) if runs else None,
    )


@router.get("/tasks/{task_id}/check-in-code", response_model=CheckInCode)
async def check_in_code(task_id: TaskId, user: CurrentUser, s: ServicesDep) -> CheckInCode:
    """花名册二维码的签到码（组织者）/ the check-in code the roster's QR holds."""
    task = known_task(s, user, task_id)
    code = s.loop.tasks.check_in_code(user.actor, task.id)
    return CheckInCode(
        task_id=str(task.id), code=code, path=f"/tasks/{task.id}/check-in?code={code}"
    )


@router.get("/volunteers/{volunteer_id}/tasks", response_model=dict[str, Any])
async def tasks_of(
    volunteer_id: VolunteerId, user: CurrentUser, s: ServicesDep, wait_for: WaitFor = None
) -> dict[str, Any]:
    """义警的任务、服务时长与任务积分 / a volunteer's tasks, service hours and task points."""
    s.volunteers.read(user.actor, volunteer_id)
    await s.wait_for(wait_for)
    return {
        "volunteer_id": volunteer_id,
        "tasks": s.views.tasks.tasks_of(volunteer_id),
        "hours": s.views.tasks.hours_of(volunteer_id),
    }


# -- commands --------------------------------------------------------------------------------

TaskAnswer = answer_of(TaskAck)
SignUpAnswer = answer_of(SignUpAck)
WithdrawalAnswer = answer_of(WithdrawalAck)
AttendanceAnswer = answer_of(AttendanceAck)
CompletionAnswer = answer_of(CompletionAck)


def on_task(
    s: Services, user: User, task_id: str, run: Callable[..., Any], *args: Any, **kw: Any
) -> Callable[[], Any]:
    """``run`` on the task as ``user``, after the read-scope check."""

    def checked() -> Any:
        known_task(s, user, task_id)
        return run(user.actor, task_id, *args, **kw)

    return checked


def booking(user: User, task_id: str, volunteer_id: str | None) -> tuple[UUID, ...]:
    """What a sign-up or withdrawal loads (``Command.loads``): the task, and the
    volunteer's record and roster (the user's own when a volunteer names nobody)."""
    who = volunteer_id or (user.actor.id if user.role == Role.VOLUNTEER else None)
    return ids(task_id) + ids(who, of=volunteer_aggregate_id) + ids(who, of=roster_id)


def sign_up_command(
    s: Services, user: User, task_id: str, body: ForVolunteer, key: str | None
) -> Command[Answer]:
    """Sign up (the console's button too); the key's digest is stored with it."""
    request = None
    if key is not None:
        request = s.answers.digest("sign_up", [user.username, check_key(key)])[:32]
    run = on_task(
        s, user, task_id, s.loop.tasks.sign_up, volunteer_id=body.volunteer_id, request=request
    )
    loads = booking(user, task_id, body.volunteer_id)
    return command(f"sign_up:{task_id}", body, run, SignUpAnswer, loads=loads)


def withdraw_command(s: Services, user: User, task_id: str, body: Withdrawal) -> Command[Answer]:
    run = on_task(
        s, user, task_id, s.loop.tasks.withdraw, volunteer_id=body.volunteer_id, reason=body.reason
    )
    loads = booking(user, task_id, body.volunteer_id)
    return command(f"withdraw:{task_id}", body, run, WithdrawalAnswer, loads=loads)


ATTENDANCE = {"check_in": "check-ins", "check_out": "check-outs", "record_no_show": "no-shows"}


def attendance_command(
    s: Services, user: User, task_id: str, step: str, body: Attendance
) -> Command[Answer]:
    """Check in or out (by the roster's code, or by hand), or record a no-show."""
    service = getattr(s.loop.tasks, step)
    extra = {} if step == "record_no_show" else {"code": body.code}
    run = on_task(s, user, task_id, service, body.volunteer_id, **extra)
    return command(f"{step}:{task_id}", body, run, AttendanceAnswer, loads=ids(task_id))


@router.post("/tasks", response_model=TaskAnswer, status_code=201)
async def publish(
    body: TaskCreate, user: CurrentUser, s: ServicesDep, key: IdempotencyKey = None
) -> Answer:
    """发布任务 / publish a duty task."""
    run = partial(s.loop.tasks.publish, user.actor, **body.model_dump())
    return await execute(s, user, key, command("publish_task", body, run, TaskAnswer, 201))


@router.post("/tasks/{task_id}/revision", response_model=TaskAnswer)
async def revise(
    task_id: TaskId, body: TaskRevision, user: CurrentUser, s: ServicesDep,
    key: IdempotencyKey = None,
) -> Answer:  # fmt: skip
    """修改时间、地点或名额；已报名的义警须重新确认 / revise the time, place or places."""
    run = on_task(s, user, task_id, s.loop.tasks.revise, **body.model_dump())
    asked = command(f"revise:{task_id}", body, run, TaskAnswer, loads=ids(task_id))
    return await execute(s, user, key, asked)


@router.post("/tasks/{task_id}/cancellation", response_model=TaskAnswer)
async def cancel(
    task_id: TaskId, body: Reason, user: CurrentUser, s: ServicesDep, key: IdempotencyKey = None
) -> Answer:
    """取消任务 / cancel the task; every booking is released."""
    run = on_task(s, user, task_id, s.loop.tasks.cancel, reason=body.reason)
    asked = command(f"cancel:{task_id}", body, run, TaskAnswer, loads=ids(task_id))
    return await execute(s, user, key, asked)


@router.post("/tasks/{task_id}/sign-ups", response_model=SignUpAnswer)
async def sign_up(
    task_id: TaskId, user: CurrentUser, s: ServicesDep, body: ForVolunteer | None = None,
    key: IdempotencyKey = None,
) -> Answer:  # fmt: skip
    """报名；满员进入候补（返回候补位次）/ take a place, or the next place on the
    waitlist. A retry with the same ``Idempotency-Key`` gets the first answer."""
    asked = sign_up_command(s, user, task_id, body or ForVolunteer(), key)
    return await execute(s, user, key, asked)


@router.post("/tasks/{task_id}/withdrawal", response_model=WithdrawalAnswer)
async def withdraw(
    task_id: TaskId, user: CurrentUser, s: ServicesDep, body: Withdrawal | None = None,
    key: IdempotencyKey = None,
) -> Answer:  # fmt: skip
    """退出任务（截止后记为逾期），空出的名额由候补递补 / withdraw (late after the
    cut-off); the freed place goes to the waitlist."""
    return await execute(s, user, key, withdraw_command(s, user, task_id, body or Withdrawal()))


@router.post("/tasks/{task_id}/reconfirmation", response_model=SignUpAnswer)
async def reconfirm(
    task_id: TaskId, user: CurrentUser, s: ServicesDep, body: ForVolunteer | None = None,
    key: IdempotencyKey = None,
) -> Answer:  # fmt: skip
    """确认参加修改后的任务 / confirm a booking after a revision."""
    asked = body or ForVolunteer()
    run = on_task(s, user, task_id, s.loop.tasks.reconfirm, volunteer_id=asked.volunteer_id)
    loads = ids(task_id)
    return await execute(
        s, user, key, command(f"reconfirm:{task_id}", asked, run, SignUpAnswer, loads=loads)
    )


@router.post("/tasks/{task_id}/check-ins", response_model=AttendanceAnswer)
async def check_in(
    task_id: TaskId, body: Attendance, user: CurrentUser, s: ServicesDep,
    key: IdempotencyKey = None,
) -> Answer:  # fmt: skip
    """签到：义警扫描花名册二维码（带签到码），或由带队人员手工签到 / check in: the
    volunteer with the roster QR's code, or by hand by those who run the task."""
    return await execute(s, user, key, attendance_command(s, user, task_id, "check_in", body))


@router.post("/tasks/{task_id}/check-outs", response_model=AttendanceAnswer)
async def check_out(
    task_id: TaskId, body: Attendance, user: CurrentUser, s: ServicesDep,
    key: IdempotencyKey = None,
) -> Answer:  # fmt: skip
    """签退 / check out."""
    return await execute(s, user, key, attendance_command(s, user, task_id, "check_out", body))


@router.post("/tasks/{task_id}/no-shows", response_model=AttendanceAnswer)
async def no_show(
    task_id: TaskId, body: Attendance, user: CurrentUser, s: ServicesDep,
    key: IdempotencyKey = None,
) -> Answer:  # fmt: skip
    """记录缺勤 / record a booked volunteer as a no-show."""
    asked = attendance_command(s, user, task_id, "record_no_show", body)
    return await execute(s, user, key, asked)


@router.post("/tasks/{task_id}/completion", response_model=CompletionAnswer)
async def complete(
    task_id: TaskId, body: Completion, user: CurrentUser, s: ServicesDep,
    key: IdempotencyKey = None,
) -> Answer:  # fmt: skip
    """完成任务：服务时长与积分一次性计入 / complete the task once: hours and points."""
    run = on_task(s, user, task_id, s.loop.tasks.complete, **body.model_dump())
    asked = command(f"complete:{task_id}", body, run, CompletionAnswer, loads=ids(task_id))
    return await execute(s, user, key, asked)


@router.post("/tasks/{task_id}/signatures", response_model=CompletionAnswer)
async def sign_points(
    task_id: TaskId, user: CurrentUser, s: ServicesDep, key: IdempotencyKey = None
) -> Answer:
    """社区主任、社区民警签字确认任务积分 / co-sign the task's points."""
    run = on_task(s, user, task_id, s.loop.tasks.sign_points)
    asked = command(f"sign_points:{task_id}", None, run, CompletionAnswer, loads=ids(task_id))
    return await execute(s, user, key, asked)
