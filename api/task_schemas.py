"""Request and response bodies of the duty-task endpoints. The loop validates
every value again; these give the OpenAPI document its shapes and refuse wrong
types early."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, StrictInt

from api.schemas import Body, Moment


class TaskCreate(Body):
    kind: str = Field(max_length=32, description="patrol, school_guard, flood_watch …")
    topic: str = Field(max_length=100)
    place: str = Field(max_length=200)
    community: str | None = Field(
        default=None, max_length=200, description="默认本社区 / default: the actor's community"
    )
    starts_at: Moment
    ends_at: Moment
    needed: StrictInt
    minimum: StrictInt = 1
    team: str | None = Field(default=None, max_length=32)
    intensity: str = Field(default="normal", max_length=16)
    points: StrictInt | None = None
    signup_closes_at: Moment | None = None
    withdraw_closes_at: Moment | None = None
    leader_id: str | None = Field(default=None, max_length=100)


class TaskRevision(Body):
    reason: str = Field(max_length=500)
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    place: str | None = Field(default=None, max_length=200)
    needed: StrictInt | None = None
    minimum: StrictInt | None = None
    signup_closes_at: Moment | None = None
    withdraw_closes_at: Moment | None = None


class Reason(Body):
    reason: str = Field(max_length=500)


class ForVolunteer(Body):
    volunteer_id: str | None = Field(
        default=None, max_length=100, description="默认本人 / default: yourself"
    )


class Withdrawal(ForVolunteer):
    reason: str = Field(default="", max_length=500)


class Attendance(Body):
    volunteer_id: str = Field(max_length=100)
    code: str | None = Field(
        default=None, max_length=64, description="花名册二维码中的签到码 / the roster QR's code"
    )


class Completion(Body):
    reach: StrictInt = Field(default=0, description="服务群众人次 / people reached")
    sessions: StrictInt = 1
    materials: StrictInt = 0
    evidence: str = Field(default="", max_length=1000)


class CheckInCode(BaseModel):
    task_id: str
    code: str
    path: str = Field(description="义警手机扫码打开的地址 / what the volunteer's phone opens")


class TaskView(BaseModel):
    task: dict[str, Any]
    why_not: dict[str, Any] | None = None
    mine: dict[str, Any] | None = None
    may_run: bool = False
    roster: list[dict[str, Any]] | None = None
