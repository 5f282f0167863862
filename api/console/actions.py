"""The loop's steps as short forms: which fields each asks for (as the step
table declares them), and how a submitted form becomes the step's request body
and its command.

A step is offered only when the API lists it in ``allowed_steps`` for the user;
the form then runs the same command the HTTP API runs (``api.dispatch``), as
that user.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from aggregates.errors import DomainError
from api.accounts import User
from api.console.i18n import VOCABULARIES
from api.dispatch import execute
from api.errors import status_of, validation_body
from api.routes.incidents import step_command
from api.schemas import BODIES, Ack, StepBody
from api.services import Services
from loop.rules import fields
from loop.rules.fields import Kind
from loop.rules.scoring import CHINA
from loop.rules.steps import STEPS, Step
from loop.rules.vocabulary import Role


@dataclass(frozen=True)
class Field:
    name: str
    kind: str = "text"  # text | textarea | select | datetime | number | hidden
    options: str | None = None  # the vocabulary of a select (i18n label kind)
    choices: tuple[str, ...] = ()
    required: bool = True
    value: str = ""

    @property
    def key(self) -> str:
        return f"f.{self.name}"


@dataclass(frozen=True)
class StepForm:
    step: str
    fields: tuple[Field, ...] = ()
    tone: str = "primary"  # primary | neutral | danger: the button's colour

    @property
    def regulation(self) -> str:
        """Which of the eight regulations the step belongs to."""
        return STEPS[self.step].regulation

    @property
    def body(self) -> type[StepBody]:
        """The API's request body of the step."""
        return BODIES[self.step]


DECIMAL = re.compile(r"-?[0-9]{1,18}")

WIDGETS = {
    Kind.TEXT: "text",
    Kind.PROSE: "textarea",
    Kind.MOMENT: "datetime",
    Kind.INCIDENT: "text",
}
TONES = {"main": "primary", "aside": "neutral", "refusal": "danger"}
KIND_OF = {vocabulary: kind for kind, vocabulary in VOCABULARIES.items()}


def widgets(field: fields.Field) -> tuple[Field, ...]:
    """How the form asks for one of the step's fields: a list of score items as one
    item with its points."""
    if field.kind is Kind.SCORE_ITEMS:
        return (Field("item"), Field("points", "number"))
    if field.kind is Kind.CHOICE:
        assert field.vocabulary is not None
        choices = tuple(v.value for v in field.vocabulary)
        return (Field(field.name, "select", KIND_OF[field.vocabulary], choices, field.required),)
    return (Field(field.name, WIDGETS[field.kind], required=field.required),)


def form_of(step: Step) -> StepForm:
    shown = tuple(w for f in step.fields for w in widgets(f))
    return StepForm(step.name, shown, TONES[step.weight])


FORMS: dict[str, StepForm] = {name: form_of(step) for name, step in STEPS.items()}


def form_for(step: str, user: User) -> StepForm:
    """The step's form as this user fills it: a volunteer feeds back by app only
    (urgent reports come by phone, which the office logs)."""
    form = FORMS[step]
    if step == "report" and user.role == Role.VOLUNTEER:
        by_app = Field("channel", "hidden", value="app")
        note = next(f for f in form.fields if f.name == "self_handled_note")
        return StepForm(form.step, (by_app, note), form.tone)
    return form


@dataclass
class Refusal:
    """What the API answered instead of doing it: its status and error body."""

    status: int
    body: dict[str, Any]

    @classmethod
    def of(cls, error: DomainError) -> Refusal:
        return cls(status_of(error), error.as_dict())

    @classmethod
    def invalid(cls, error: ValidationError) -> Refusal:
        return cls(422, validation_body(list(error.errors())))


def china_time(value: str) -> str:
    """A ``datetime-local`` value read as China time (left as it is if unreadable,
    for the API's validation to refuse)."""
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return value
    return (at if at.tzinfo else at.replace(tzinfo=CHINA)).isoformat()


def form_number(raw: str) -> int | str:
    """A number field as JSON would carry it: an integer if the text is decimal
    digits, else the text itself, for the API's validation to refuse."""
    return int(raw) if DECIMAL.fullmatch(raw) else raw


def body_values(form: StepForm, data: Mapping[str, str]) -> dict[str, Any]:
    """The request body (as JSON would carry it) a submitted form stands for, before
    the API's own validation: a number field a number, a time in China time."""
    values: dict[str, Any] = {}
    for each in form.fields:
        raw = data.get(each.name, each.value).strip()
        if not raw and not each.required:
            continue
        if each.kind == "datetime":
            values[each.name] = china_time(raw)
        elif each.kind == "number":
            values[each.name] = form_number(raw)
        else:
            values[each.name] = raw
    for declared in STEPS[form.step].fields:
        if declared.kind is Kind.SCORE_ITEMS:
            item, points = values.pop("item", ""), values.pop("points", "")
            values[declared.name] = [{"item": item, "points": points}]
    version = data.get("expected_version", "").strip()
    if version:
        values["expected_version"] = form_number(version)
    return values


async def submit(
    step: str, incident_id: str, data: Mapping[str, str], user: User, services: Services
) -> Ack | Refusal:
    """Take the step through the API's own command as ``user``: its Ack, or a Refusal."""
    form = form_for(step, user)
    try:
        body = form.body.model_validate(body_values(form, data))
    except ValidationError as error:
        return Refusal.invalid(error)
    key = data.get("key") or None
    try:
        return await execute(
            services, user, key, step_command(services, user, step, incident_id, body)
        )
    except DomainError as error:
        return Refusal.of(error)
