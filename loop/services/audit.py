"""Reading the past: the history of an incident, a volunteer, a points account
or a reward item, and an incident's state at a version or a moment.

Every read takes the ``viewer`` (the :class:`Actor` reading) and shows people's
identities only as ``loop.rules.masking`` allows that viewer; without a viewer
everything identifying is masked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from aggregates.actor import Actor
from aggregates.errors import DomainError
from aggregates.incident import Incident
from aggregates.points_account import PointsAccount
from aggregates.reward_item import RewardItem
from aggregates.task import Task
from aggregates.volunteer import Volunteer
from loop.errors import IncidentNotFound
from loop.rules import masking, permissions, units
from loop.rules.access import Record
from loop.rules.masking import Section, View, view_of
from loop.rules.narration import sentence
from loop.rules.stages import STAGES
from loop.services.lookup import load_incident
from loop.storage.application import LoopApplication


def primitive(value: Any) -> Any:
    """``value`` as JSON primitives (ISO times)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: primitive(v) for k, v in value.items()}
    if isinstance(value, list):
        return [primitive(v) for v in value]
    return value


def _events(app: LoopApplication, incident_id: UUID) -> Iterable[Any]:
    """The incident's stored events; all carry actor, stage, owner and due time."""
    return cast("Iterable[Any]", app.events.get(incident_id))


class HistoryNotAvailable(DomainError):
    """The id names a record whose history is not read here (or not an incident
    where an incident's state was asked for)."""

    code = "history_not_available"


# The records with a readable history, by the base class of their events.
KINDS: dict[str, type[Any]] = {
    "incident": Incident.Event,
    "volunteer": Volunteer.Event,
    "points_account": PointsAccount.Event,
    "reward_item": RewardItem.Event,
    "task": Task.Event,
}


def _kind(event: Any, aggregate_id: UUID) -> str:
    for kind, base in KINDS.items():
        if isinstance(event, base):
            return kind
    raise HistoryNotAvailable(
        "此编号的记录没有可查阅的历史（可查阅：警情、义警档案、幸福银行账户、兑换物品）",
        "This record has no readable history "
        "(readable: incidents, volunteers, points accounts, reward items)",
        id=str(aggregate_id),
        kind=type(event).__qualname__.split(".")[0],
    )


def _no_record(aggregate_id: UUID) -> IncidentNotFound:
    return IncidentNotFound(
        "没有此编号的警情或记录",
        "No incident or record has this id",
        incident_id=str(aggregate_id),
    )


def _first(app: LoopApplication, aggregate_id: UUID) -> Any:
    first = app.recorder.select_events(aggregate_id, limit=1)
    if not first:
        raise _no_record(aggregate_id)
    return app.mapper.to_domain_event(first[0])


def kind_of(app: LoopApplication, aggregate_id: UUID) -> str:
    """``incident``, ``volunteer``, ``points_account`` or ``reward_item``;
    :class:`IncidentNotFound` if nothing has the id, :class:`HistoryNotAvailable`
    for any other record."""
    return _kind(_first(app, aggregate_id), aggregate_id)


def unit_of(app: LoopApplication, aggregate_id: UUID) -> str:
    """The unit a record belongs to: an incident's, a volunteer's or an account's
    community, a reward item's bank."""
    first = _first(app, aggregate_id)
    _kind(first, aggregate_id)
    return _unit(first)


def _unit(first: Any) -> str:
    return str(first.bank if isinstance(first, RewardItem.Donated) else first.community)


def audited_kind(app: LoopApplication, aggregate_id: UUID, auditor: Actor) -> str:
    """The kind of the record whose whole history ``auditor`` asks for: refused to
    any role that does not audit; a record outside his unit is not found, exactly
    like an id of nothing (``loop.rules.permissions``)."""
    permissions.check_role("audit", auditor)
    first = _first(app, aggregate_id)
    kind = _kind(first, aggregate_id)
    if not permissions.may("audit", auditor, Record(kind, _unit(first))):
        raise _no_record(aggregate_id)
    return kind


def console_auditor(operator: str, unit: str) -> Actor:
    """The viewer an operator at the server's console reads as: an auditor of the
    county that ``unit`` belongs to, who sees the whole unmasked history."""
    return Actor(operator, "auditor", units.ancestor(unit, "county"))


def describe(incident: Incident, viewer: Actor | None = None) -> dict[str, Any]:
    """The incident's state as primitives (ISO times), with the stage's zh-CN label,
    people shown or masked for ``viewer``."""
    view = view_of(viewer, incident)
    state = {
        k.lstrip("_"): v
        for k, v in vars(incident).items()
        if k not in ("_pending_events", "last_actor")
    }
    state.update(
        id=str(incident.id),
        version=incident.version,
        stage_label=STAGES[incident.stage],
        is_closed=incident.is_closed,
        last_actor=vars(view.actor(incident.last_actor, incident.reporter_id)),
        reporter_id=view.reporter(incident.reporter_id),
        informant=view.person(Section.INFORMANT, incident.informant),
        victims=view.people(Section.VICTIMS, incident.victims),
        resident=view.person(Section.RESIDENT, incident.resident),
    )
    return {k: primitive(v) for k, v in sorted(state.items())}


def history(
    app: LoopApplication, incident_id: UUID, viewer: Actor | None = None
) -> list[dict[str, Any]]:
    """Every event of the incident in order: who (id, role, unit), when, the stage it
    left the incident in, and a readable sentence; people shown or masked for
    ``viewer`` (the discovery also lists the people it names, 已删除 once forgotten).

    The id may also name a volunteer, a points account or a reward item: their
    events in order (see :func:`record_history`)."""
    events = list(_events(app, incident_id))
    if not events:
        raise IncidentNotFound("警情不存在", "No such incident", incident_id=str(incident_id))
    if _kind(events[0], incident_id) != "incident":
        return record_history(app, events, viewer)
    view = view_of(viewer, events[0])
    entries = []
    for event in events:
        actor = view.actor(event.actor, events[0].reporter_id)
        zh, en = sentence(replace(event, actor=actor) if actor is not event.actor else event)
        entry = {
            "version": event.originator_version,
            "event": type(event).__name__,
            "at": event.timestamp.isoformat(),
            "actor": vars(actor),
            "stage": event.stage,
            "owner_unit": event.owner_unit,
            "due_at": primitive(event.due_at),
            "sentence_zh": zh,
            "sentence_en": en,
        }
        if isinstance(event, Incident.Discovered):
            entry["people"] = _people(view, event)
        entries.append(entry)
    return entries


def record_history(
    app: LoopApplication, events: list[Any], viewer: Actor | None = None
) -> list[dict[str, Any]]:
    """A volunteer's, points account's or reward item's events in order: who, when,
    a readable sentence; a volunteer's application also lists his personal
    details, shown, masked or erased for ``viewer`` as ``loop.rules.masking`` says."""
    kind = _kind(events[0], events[0].originator_id)
    entries = []
    for event in events:
        zh, en = sentence(event)
        entry: dict[str, Any] = {
            "version": event.originator_version,
            "record": kind,
            "event": type(event).__name__,
            "at": event.timestamp.isoformat(),
            "actor": vars(event.actor),
            "sentence_zh": zh,
            "sentence_en": en,
        }
        if isinstance(event, Volunteer.Applied):
            entry["people"] = {
                "personal": masking.volunteer_personal(
                    viewer,
                    event.community,
                    event.personal,
                    forgotten=app.key_store.forgotten(event.volunteer_id),
                )
            }
        entries.append(entry)
    return entries


def _people(view: View, event: Incident.Discovered) -> dict[str, Any]:
    return {
        "reporter_id": view.reporter(event.reporter_id),
        "informant": view.person(Section.INFORMANT, event.informant),
        "victims": view.people(Section.VICTIMS, event.victims),
        "resident": view.person(Section.RESIDENT, event.resident),
    }


def state_at(
    app: LoopApplication, incident_id: UUID, version: int, viewer: Actor | None = None
) -> dict[str, Any]:
    """The incident as it stood right after event ``version``."""
    incident = load_incident(app, incident_id, version=version)
    if incident.version != version:
        raise IncidentNotFound(
            f"警情没有第{version}版",
            f"The incident has no version {version}",
            incident_id=str(incident_id),
            latest_version=incident.version,
        )
    return describe(incident, viewer)


def state_as_of(
    app: LoopApplication, incident_id: UUID, moment: datetime, viewer: Actor | None = None
) -> dict[str, Any]:
    """The incident as it stood at ``moment``: after the last event recorded by then."""
    version = None
    for event in _events(app, incident_id):
        if event.timestamp > moment:
            break
        version = event.originator_version
    if version is None:
        load_incident(app, incident_id)  # raises IncidentNotFound if it never existed
        raise IncidentNotFound(
            "该时刻警情尚未发现",
            "The incident had not been discovered at that moment",
            incident_id=str(incident_id),
            moment=moment.isoformat(),
        )
    return describe(load_incident(app, incident_id, version=version), viewer)
