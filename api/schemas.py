"""Request and response bodies. The loop validates every value again; these
models give the OpenAPI document its shapes and refuse wrong types early."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from loop.rules.vocabulary import Channel, Module, RejectionKind, Sense, Urgency

MAX_VERSION = 2**31 - 1
"""The highest version a request may name (far above any incident's)."""


def _in_utc_range(value: datetime) -> datetime:
    """A moment the stores can hold: one that has a UTC time (not, say, the first
    of January of year 1 at UTC+14)."""
    if value.tzinfo is not None:
        try:
            value.astimezone(UTC)
        except OverflowError:
            raise ValueError("时间超出范围 / the moment is out of range") from None
    return value


Moment = Annotated[datetime, AfterValidator(_in_utc_range)]
"""A date and time with its zone (the loop refuses one without), within range."""


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StepBody(Body):
    expected_version: int | None = Field(
        default=None,
        ge=1,
        description="乐观并发：当前版本不符时返回 409 / 409 unless the incident is at it",
    )


class Person(Body):
    subject_id: str | None = Field(default=None, max_length=100)
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=200)
    id_number: str | None = Field(default=None, max_length=200)
    address: str | None = Field(default=None, max_length=200)

    def given(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class Discovery(Body):
    module: Module
    sense: Sense
    what: str = Field(max_length=2000)
    where: str = Field(max_length=200)
    occurred_at: Moment | None = None
    reporter_id: str | None = Field(
        None, max_length=100, description="电话反馈时代录的义警编号 / volunteer logged for"
    )
    informant: Person | None = None
    victims: list[Person] | None = Field(default=None, max_length=20)

    def details(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "module": self.module.value,
            "sense": self.sense.value,
            "what": self.what,
            "where": self.where,
            "occurred_at": self.occurred_at,
            "reporter_id": self.reporter_id,
        }
        if self.informant is not None:
            found["informant"] = self.informant.given()
        if self.victims is not None:
            found["victims"] = [v.given() for v in self.victims]
        return found


class ReportFacts(Body):
    channel: Channel
    urgency: Urgency = Urgency.GENERAL
    self_handled_note: str | None = Field(default=None, max_length=2000)


class NewReport(Discovery, ReportFacts):
    """发现并反馈一起警情 / discover and feed back in one step."""


class Report(ReportFacts, StepBody):
    pass


class Reason(StepBody):
    reason: str = Field(max_length=2000)


class HandOver(StepBody):
    department: str = Field(max_length=100)
    received_by: str = Field(max_length=100)
    received_at: Moment | None = None


class Chase(StepBody):
    asked: str = Field(max_length=100)
    answer: str = Field(max_length=2000)


class Summary(StepBody):
    summary: str = Field(max_length=2000)


class ScoreItem(Body):
    item: str = Field(max_length=100)
    points: int


class ProposeScore(StepBody):
    items: list[ScoreItem] = Field(max_length=20)
    basis: str = Field(max_length=2000)


class Publicize(StepBody):
    title: str = Field(max_length=200)
    redaction_note: str = Field(max_length=500)


class Close(StepBody):
    note: str = Field(default="", max_length=2000)


class Reject(StepBody):
    kind: RejectionKind
    reason: str = Field(max_length=2000)
    related_id: str | None = Field(default=None, max_length=36)


class Ack(BaseModel):
    """What a command answers: read ``position`` back with ``?wait_for=`` to see it."""

    incident_id: str
    version: int
    stage: str
    stage_label: str
    position: int | None = Field(description="通知日志位置（读己之写）/ log position")
    replayed: bool = Field(False, description="幂等重试：返回首次结果 / an idempotent replay")


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    username: str
    role: str
    unit: str
    display_name: str


class Login(Body):
    username: str = Field(max_length=100)
    password: str = Field(max_length=200)


class Me(BaseModel):
    username: str
    role: str
    role_label: str
    unit: str
    unit_label: str
    display_name: str


class Record(BaseModel):
    """A record's state as primitives; fields depend on the record."""

    model_config = ConfigDict(extra="allow")


class Rows(BaseModel):
    items: list[dict[str, Any]]


class IncidentView(BaseModel):
    incident: dict[str, Any]
    allowed_steps: list[str]
    legal_steps: list[str]
    diagram: str


class History(BaseModel):
    incident_id: str
    entries: list[dict[str, Any]]
