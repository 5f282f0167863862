"""Volunteers: application, joint review, admission, teams and status.

The volunteer's id is his log-in name once admitted (an account made with
``lishu users add``, or by the demo)."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path
from pydantic import Field

from aggregates.volunteer import volunteer_aggregate_id
from api.deps import CurrentUser, IdempotencyKey, ServicesDep, WaitFor
from api.dispatch import command, execute, ids
from api.query import Limit, StatusFilter, UnitFilter, unit_for
from api.schemas import Answer, Body, Rows, answer_of
from loop.services import audit
from loop.services.volunteers import Admission, VolunteerAck

router = APIRouter(prefix="/api/volunteers", tags=["volunteers 义警"])

VolunteerId = Annotated[str, Path(max_length=100)]


class Application(Body):
    volunteer_id: str = Field(max_length=100)
    name: str = Field(max_length=200)
    phone: str = Field(max_length=200)
    id_number: str = Field(max_length=200)
    address: str = Field(max_length=200)
    employer: str = Field(max_length=100)
    occupation: str = Field(
        max_length=40,
        description="本县预设的职业、分队或职责之一（GET /api/policy 的 county.occupations）/ "
        "one of the county preset's occupations, squads or duty roles",
    )
    party_member: bool = False


class Review(Body):
    reviewer: str = Field(max_length=20, description="employer | station | community")
    approved: bool
    note: str = Field(max_length=500)
    criminal_record: bool = False


class Admit(Body):
    armband_no: str | None = Field(default=None, max_length=40)


class Team(Body):
    team: str = Field(max_length=40)


class Status(Body):
    status: str = Field(max_length=20)
    reason: str = Field(max_length=500)


VolunteerAnswer = answer_of(VolunteerAck)
AdmissionAnswer = answer_of(Admission)


def record_of(volunteer_id: str) -> tuple[UUID, ...]:
    """What a command on the volunteer loads: his record (``Command.loads``)."""
    return ids(volunteer_id, of=volunteer_aggregate_id)


@router.post("", response_model=VolunteerAnswer, status_code=201)
async def apply(
    body: Application, user: CurrentUser, s: ServicesDep, key: IdempotencyKey = None
) -> Answer:
    """录入入队申请（社区）/ record an application (by the community)."""
    run = partial(s.volunteers.apply, user.actor, **body.model_dump())
    return await execute(s, user, key, command("apply", body, run, VolunteerAnswer, 201))


@router.post("/{volunteer_id}/reviews", response_model=VolunteerAnswer)
async def review(
    volunteer_id: VolunteerId,
    body: Review,
    user: CurrentUser,
    s: ServicesDep,
    key: IdempotencyKey = None,
) -> Answer:
    """联合审核：所在单位、派出所、社区各一条 / one party's finding in the joint review."""
    run = partial(s.volunteers.review, user.actor, volunteer_id, **body.model_dump())
    asked = command(
        f"review:{volunteer_id}", body, run, VolunteerAnswer, loads=record_of(volunteer_id)
    )
    return await execute(s, user, key, asked)


@router.post("/{volunteer_id}/admission", response_model=AdmissionAnswer)
async def admit(
    volunteer_id: VolunteerId,
    user: CurrentUser,
    s: ServicesDep,
    body: Admit | None = None,
    key: IdempotencyKey = None,
) -> Answer:
    """吸纳：发放档案号、聘书号、袖标，开立幸福银行账户 / admit the volunteer."""
    chosen = body or Admit()
    run = partial(s.volunteers.admit, user.actor, volunteer_id, armband_no=chosen.armband_no)
    asked = command(
        f"admit:{volunteer_id}", chosen, run, AdmissionAnswer, loads=record_of(volunteer_id)
    )
    return await execute(s, user, key, asked)


@router.post("/{volunteer_id}/teams", response_model=VolunteerAnswer)
async def join_team(
    volunteer_id: VolunteerId,
    body: Team,
    user: CurrentUser,
    s: ServicesDep,
    key: IdempotencyKey = None,
) -> Answer:
    """编入专业队 / enrol in a specialty team."""
    run = partial(s.volunteers.join_team, user.actor, volunteer_id, team=body.team)
    asked = command(
        f"join_team:{volunteer_id}", body, run, VolunteerAnswer, loads=record_of(volunteer_id)
    )
    return await execute(s, user, key, asked)


@router.post("/{volunteer_id}/status", response_model=VolunteerAnswer)
async def change_status(
    volunteer_id: VolunteerId,
    body: Status,
    user: CurrentUser,
    s: ServicesDep,
    key: IdempotencyKey = None,
) -> Answer:
    """变更状态：在岗、弹性工作、暂停、退出 / change the volunteer's status."""
    run = partial(s.volunteers.change_status, user.actor, volunteer_id, **body.model_dump())
    loads = record_of(volunteer_id)
    asked = command(f"change_status:{volunteer_id}", body, run, VolunteerAnswer, loads=loads)
    return await execute(s, user, key, asked)


@router.get("", response_model=Rows)
async def list_volunteers(
    user: CurrentUser,
    s: ServicesDep,
    unit: UnitFilter = None,
    status: StatusFilter = None,
    limit: Limit = 200,
    wait_for: WaitFor = None,
) -> Rows:
    """本单位义警名册（含待审核申请人）/ the unit's volunteers, applicants included."""
    chosen = unit_for(user, unit)
    await s.wait_for(wait_for)
    return Rows(items=s.views.queries.volunteers(chosen, status=status, limit=limit))


@router.get("/{volunteer_id}", response_model=dict[str, Any])
async def get_volunteer(volunteer_id: VolunteerId, user: CurrentUser, s: ServicesDep) -> Any:
    """义警档案，个人信息按查看者遮蔽 / the volunteer's record, details masked by viewer."""
    s.volunteers.read(user.actor, volunteer_id)
    return s.volunteers.view(user.actor, volunteer_id)


@router.get("/{volunteer_id}/history", response_model=dict[str, Any])
async def volunteer_history(volunteer_id: VolunteerId, user: CurrentUser, s: ServicesDep) -> Any:
    """义警档案的全部事件 / every event of the volunteer's record."""
    volunteer = s.volunteers.read(user.actor, volunteer_id)
    return {
        "volunteer_id": volunteer_id,
        "entries": audit.history(s.flow.app, volunteer.id, user.actor),
    }
