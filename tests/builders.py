"""Builders the tests and the benchmarks share: a valid input for any step of the
loop, read from the step table, and the report -> score -> reward sequence.

A step's input is made from the fields the step declares (``loop.rules.steps``):
each required field gets a valid value of its kind, the optional ones are left
out, so a step added to the table needs nothing here.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any
from uuid import UUID

from aggregates.actor import Actor
from loop import demo
from loop.rules.fields import Field, Kind
from loop.rules.steps import STEPS
from loop.rules.vocabulary import Channel, RejectionKind, Role
from loop.services.incidents import Ack, IncidentFlow

OFFICE = (Role.COMMUNITY_OFFICER, Role.AUXILIARY)
"""Who logs phone reports: everyone else feeds back by app."""

CHOSEN: dict[type[StrEnum], StrEnum] = {
    Channel: Channel.APP,
    RejectionKind: RejectionKind.UNFOUNDED,
}
"""The value a choice takes when nothing else is asked: one that needs no other field."""

SAMPLE_ITEMS = [{"item": "安全隐患排查", "points": 10}]
SAMPLE_TEXT = {"department": next(iter(demo.DEPARTMENTS.values()))[0]}
"""Text a field must hold in the demo county: a department it registered."""


def sample(field: Field, actor: Actor | None = None) -> Any:
    """A valid value of ``field``, as ``actor`` would send it."""
    if field.kind is Kind.CHOICE:
        assert field.vocabulary is not None
        if field.vocabulary is Channel and actor is not None and actor.role in OFFICE:
            return Channel.PHONE.value
        return str(CHOSEN.get(field.vocabulary, next(iter(field.vocabulary))))
    if field.kind is Kind.SCORE_ITEMS:
        return [dict(i) for i in SAMPLE_ITEMS]
    if field.kind in (Kind.TEXT, Kind.PROSE):
        return SAMPLE_TEXT.get(field.name) or field.label[0][: field.max_len or 100]
    raise AssertionError(f"no sample for a required {field.kind} field ({field.name})")


def valid_input(step: str, actor: Actor | None = None, **given: Any) -> dict[str, Any]:
    """A valid input for ``step`` sent by ``actor``: every required field, and
    ``given`` over them."""
    made = {f.name: sample(f, actor) for f in STEPS[step].fields if f.required}
    return {**made, **given}


# -- the report -> score -> reward sequence --------------------------------------------------


def reported(flow: IncidentFlow, volunteer: Actor, **details: Any) -> UUID:
    """A report the volunteer fed back by app."""
    what = {"module": "hazard_screening", "sense": "seen", "what": "井盖丢失", "where": "幸福路"}
    ack = flow.report_new(volunteer, channel="app", **{**what, **details})
    return UUID(ack.incident_id)


def handled(flow: IncidentFlow, incident: UUID, summary: str = "已处置") -> None:
    """Accepted and handled by the community officer: its outcome recorded."""
    officer = demo.DIRECTORS[flow.get(incident).community][2]
    flow.take("accept", officer, incident)
    flow.take("record_outcome", officer, incident, summary=summary)


def scored(
    flow: IncidentFlow,
    incident: UUID,
    points: int,
    *,
    item: str = "安全隐患排查",
    basis: str = "考评办法",
) -> None:
    """From its outcome to an effective score of ``points``: proposed by the
    community cadre, signed by the director and the officer."""
    cadre, director, officer = demo.DIRECTORS[flow.get(incident).community]
    items = [{"item": item, "points": points}]
    flow.take("propose_score", cadre, incident, items=items, basis=basis)
    flow.take("sign_score", director, incident)
    flow.take("sign_score", officer, incident)


def rewarded(flow: IncidentFlow, incident: UUID) -> Ack:
    """The effective score credited to the reporter's Happiness Bank account."""
    return flow.take("reward", demo.DIRECTORS[flow.get(incident).community][2], incident)


def scored_case(flow: IncidentFlow, volunteer: Actor, points: int, **details: Any) -> UUID:
    """One of the volunteer's reports, driven up to an effective score of ``points``."""
    incident = reported(flow, volunteer, **details)
    handled(flow, incident)
    scored(flow, incident, points)
    return incident


def rewarded_case(flow: IncidentFlow, volunteer: Actor, points: int, **details: Any) -> UUID:
    """One of the volunteer's reports, scored ``points`` and rewarded."""
    incident = scored_case(flow, volunteer, points, **details)
    rewarded(flow, incident)
    return incident


# -- the same over HTTP -----------------------------------------------------------------------

Post = Callable[[str, str, Any], dict[str, Any]]
"""``(username, path, body)``: the answer of a POST that must succeed."""


def rewarded_over_http(
    post: Post,
    incident: str,
    points: int,
    *,
    community: str = demo.XINGFU,
    summary: str = "已处置",
    item: str = "安全隐患排查",
    basis: str = "发现及时",
) -> dict[str, Any]:
    """A reported incident of ``community`` driven through the API's step routes to
    a reward of ``points``: accepted and handled by the community officer, scored
    by the cadre, signed by the director and the officer; the reward's answer."""
    cadre, director, officer = demo.DIRECTORS[community]

    def step(actor: Actor, name: str, body: Any = None) -> dict[str, Any]:
        return post(actor.id, f"/api/incidents/{incident}/{STEPS[name].path}", body)

    step(officer, "accept")
    step(officer, "record_outcome", {"summary": summary})
    step(cadre, "propose_score", {"items": [{"item": item, "points": points}], "basis": basis})
    step(director, "sign_score")
    step(officer, "sign_score")
    return step(officer, "reward")
