"""The loop's steps as short forms: which fields each asks for, and how a
submitted form becomes the API's own request body and route call.

A step is offered only when the API lists it in ``allowed_steps`` for the user;
the form then runs the same route function the HTTP API runs, as that user.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError

from aggregates.errors import DomainError
from api.accounts import User
from api.errors import status_of, validation_body
from api.routes import incidents as routes
from api.services import Services
from loop.rules.scoring import CHINA
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
    def body(self) -> type[BaseModel]:
        """The API's request body of the step (``api.routes.incidents.STEP_ROUTES``)."""
        return BODIES[self.step]

    @property
    def route(self) -> Callable[..., Awaitable[Any]]:
        """The API's own endpoint of the step."""
        return ENDPOINTS[self.step]


BODIES: dict[str, type[BaseModel]] = {r.step: r.body for r in routes.STEP_ROUTES}
ENDPOINTS: dict[str, Callable[..., Awaitable[Any]]] = {
    r.name: r.endpoint
    for r in routes.router.routes
    if isinstance(r, APIRoute) and r.name in BODIES and "POST" in (r.methods or ())
}
REASON = Field("reason", "textarea")
SUMMARY = Field("summary", "textarea")
FORMS: dict[str, StepForm] = {
    f.step: f
    for f in (
        StepForm(
            "report",
            (
                Field("channel", "select", "channel", ("app", "phone")),
                Field("urgency", "select", "urgency", ("general", "urgent")),
                Field("self_handled_note", "textarea", required=False),
            ),
        ),
        StepForm("accept"),
        StepForm("escalate", (REASON,), "neutral"),
        StepForm("return", (REASON,), "neutral"),
        StepForm("divert", (REASON,), "neutral"),
        StepForm(
            "hand_over",
            (
                Field("department"),
                Field("received_by"),
                Field("received_at", "datetime", required=False),
            ),
        ),
        StepForm("chase", (Field("asked"), Field("answer", "textarea")), "neutral"),
        StepForm("record_outcome", (SUMMARY,)),
        StepForm("confirm_self_handled", (SUMMARY,)),
        StepForm(
            "propose_score", (Field("item"), Field("points", "number"), Field("basis", "textarea"))
        ),
        StepForm("sign_score"),
        StepForm("reward"),
        StepForm("publicize", (Field("title"), Field("redaction_note", "textarea"))),
        StepForm("close", (Field("note", "textarea", required=False),)),
        StepForm(
            "reject",
            (
                Field("kind", "select", "rejection", ("duplicate", "unfounded", "merged")),
                REASON,
                Field("related_id", required=False),
            ),
            "danger",
        ),
    )
}
assert set(FORMS) == set(BODIES) == set(ENDPOINTS), "every API step has a form"


def form_for(step: str, user: User) -> StepForm:
    """The step's form as this user fills it: a volunteer feeds back by app only
    (urgent reports come by phone, which the office logs)."""
    form = FORMS[step]
    if step == "report" and user.role == Role.VOLUNTEER:
        fields = (Field("channel", "hidden", value="app"), form.fields[2])
        return StepForm(form.step, fields, form.tone)
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


def body_values(form: StepForm, data: Mapping[str, str]) -> dict[str, Any]:
    """The request body a submitted form stands for (before validation)."""
    values: dict[str, Any] = {}
    for each in form.fields:
        raw = data.get(each.name, each.value).strip()
        if not raw and not each.required:
            continue
        values[each.name] = china_time(raw) if each.kind == "datetime" else raw
    if form.step == "propose_score":
        item, points = values.pop("item", ""), values.pop("points", "")
        values["items"] = [{"item": item, "points": points}]
    version = data.get("expected_version", "").strip()
    if version:
        values["expected_version"] = version
    return values


async def submit(
    step: str, incident_id: str, data: Mapping[str, str], user: User, services: Services
) -> Any:
    """Run the step through the API's route as ``user``: its Ack, or a Refusal."""
    form = form_for(step, user)
    try:
        body = form.body.model_validate(body_values(form, data))
    except ValidationError as error:
        return Refusal.invalid(error)
    try:
        return await form.route(
            incident_id=incident_id, body=body, user=user, s=services, key=data.get("key") or None
        )
    except DomainError as error:
        return Refusal.of(error)
