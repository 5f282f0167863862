"""Request and response bodies. The loop validates every value again; these
models give the OpenAPI document its shapes and refuse wrong types early. The
loop steps' bodies are built from the fields each step declares.

Bodies are strict: no value is coerced into another type (a string or a boolean
is not a number, a number is not a date or a choice); a moment is ISO 8601 text
with its zone, a choice one of its vocabulary's values."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, NamedTuple, Optional, get_type_hints

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    TypeAdapter,
    ValidationError,
    create_model,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from loop.errors import InvalidInput
from loop.rules import fields
from loop.rules.fields import Kind
from loop.rules.steps import STEPS, Step
from loop.rules.vocabulary import Module, Sense

MAX_VERSION = 2**31 - 1
"""The highest version a request may name (far above any incident's)."""

ISO_MOMENT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})"
)


def _moment_text(value: Any) -> Any:
    """A moment is sent as ISO 8601 text with its zone (2026-07-11T10:30:00+08:00):
    not a number of seconds, not a date alone, not a time without its zone."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not ISO_MOMENT.fullmatch(value):
        raise PydanticCustomError(
            "moment_format",
            "须为带时区的 ISO 8601 时间，如 2026-07-11T10:30:00+08:00 / "
            "must be an ISO 8601 date and time with its zone",
        )
    return value


def _in_utc_range(value: datetime) -> datetime:
    """A moment the stores can hold: one that has a UTC time (not, say, the first
    of January of year 1 at UTC+14)."""
    if value.tzinfo is not None:
        try:
            value.astimezone(UTC)
        except OverflowError:
            raise ValueError("时间超出范围 / the moment is out of range") from None
    return value


Moment = Annotated[
    datetime, Strict(False), BeforeValidator(_moment_text), AfterValidator(_in_utc_range)
]
"""A date and time with its zone, as ISO 8601 text, within range."""


MOMENT = TypeAdapter(Moment)


def moment_of(field: str, value: str) -> datetime:
    """``value`` read as a :data:`Moment`, as the API reads one; :class:`InvalidInput`
    (422) if it is not one (for the console's own time fields)."""
    try:
        return MOMENT.validate_python(value)
    except ValidationError as error:
        problem = error.errors()[0].get("msg", "")
        raise InvalidInput(
            f"「{field}」不是有效的时间：{problem}",
            f"'{field}' is not a valid moment: {problem}",
            field=field,
        ) from None


def choice(vocabulary: type[StrEnum]) -> Any:
    """One value of a vocabulary (sent as its text; nothing else is taken for it)."""
    return Annotated[vocabulary, Strict(False)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


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
    module: Annotated[Module, Strict(False)]
    sense: Annotated[Sense, Strict(False)]
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


class ScoreItem(Body):
    item: str = Field(max_length=100)
    points: int


def _typed(field: fields.Field) -> tuple[Any, Any]:
    """A step's field as a pydantic field: its type, limits and default."""
    kinds: dict[Kind, Any] = {Kind.MOMENT: Moment, Kind.SCORE_ITEMS: list[ScoreItem]}
    if field.kind is Kind.CHOICE:
        assert field.vocabulary is not None
        annotation = choice(field.vocabulary)
    else:
        annotation = kinds.get(field.kind, str)
    declared = FieldInfo(max_length=field.max_len)
    if field.required:
        return annotation, declared
    if field.default is None:
        annotation = Optional[annotation]  # noqa: UP045 (a run-time union)
    return annotation, FieldInfo.merge_field_infos(declared, default=field.default)


def fields_model(name: str, declared: tuple[fields.Field, ...], base: type[Body]) -> Any:
    """A request body with the fields a step declares (``loop.rules.steps``)."""
    typed: dict[str, Any] = {f.name: _typed(f) for f in declared}
    return create_model(name, __base__=base, __module__=__name__, **typed)


def _body_name(step: Step) -> str:
    """A step without input sends :class:`StepBody`; a body several steps share is
    named after its field (``Reason``), any other after its step (``HandOver``)."""
    if not step.fields:
        return "StepBody"
    sharing = [s for s in STEPS.values() if s.fields == step.fields]
    words = (step.fields[0].name if len(sharing) > 1 else step.name).split("_")
    return "".join(w.capitalize() for w in words)


def _step_bodies() -> dict[str, type[StepBody]]:
    made: dict[str, type[StepBody]] = {"StepBody": StepBody}
    bodies = {}
    for step in STEPS.values():
        name = _body_name(step)
        if name not in made:
            made[name] = fields_model(name, step.fields, StepBody)
        bodies[step.name] = made[name]
    return bodies


BODIES: dict[str, type[StepBody]] = _step_bodies()
"""Each step's request body, by step."""

ReportFacts: type[Body] = fields_model("ReportFacts", STEPS["report"].fields, Body)
"""What feeding a discovery back says (the report step's fields)."""


class Caller(Body):
    """来电群众 / a resident who phoned the office (his phone is required)."""

    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=200)


class NewReport(Discovery, ReportFacts):  # type: ignore[misc, valid-type]
    """发现并反馈一起警情 / discover and feed back in one step."""

    resident: Caller | None = Field(
        default=None, description="群众来电时的来电人（代替义警）/ a resident who called"
    )


class Answer(BaseModel):
    """What a command answers; read ``position`` back with ``?wait_for=`` to see it."""

    replayed: bool = Field(False, description="幂等重试：返回首次结果 / an idempotent replay")


def answer_of(named: type[NamedTuple]) -> type[Answer]:
    """The answer model of a service's acknowledgement (a ``NamedTuple``): its
    fields, and ``replayed``."""
    hints = get_type_hints(named)
    defaults = named._field_defaults
    typed: dict[str, Any] = {n: (hints[n], defaults.get(n, ...)) for n in named._fields}
    model: type[Answer] = create_model(
        named.__name__, __base__=Answer, __module__=__name__, **typed
    )
    return model


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
    password_change_required: bool = False


class Login(Body):
    username: str = Field(max_length=100)
    password: str = Field(max_length=200)


class PasswordChange(Body):
    current_password: str = Field(max_length=200)
    new_password: str = Field(
        max_length=200, description="至少 12 位，不能是常见密码、纯数字或含用户名 / 12+"
    )


class Me(BaseModel):
    username: str
    role: str
    role_label: str
    unit: str
    unit_label: str
    display_name: str
    password_change_required: bool = False


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
