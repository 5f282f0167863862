"""Reading the past: an incident's history, its state at a version or a moment.

Every read takes the ``viewer`` (the :class:`Actor` reading) and shows people's
identities only as ``loop.masking`` allows that viewer; without a viewer
everything identifying is masked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from aggregates.actor import Actor
from aggregates.incident import Incident
from loop.errors import IncidentNotFound
from loop.flow import IncidentFlow
from loop.masking import Section, View, view_of
from loop.narration import sentence
from loop.stages import STAGES


def _primitive(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _primitive(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_primitive(v) for v in value]
    return value


def _events(flow: IncidentFlow, incident_id: UUID) -> Iterable[Any]:
    """The incident's stored events; all carry actor, stage, owner and due time."""
    return cast("Iterable[Any]", flow.events.get(incident_id))


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
    )
    return {k: _primitive(v) for k, v in sorted(state.items())}


def history(
    flow: IncidentFlow, incident_id: UUID, viewer: Actor | None = None
) -> list[dict[str, Any]]:
    """Every event of the incident in order: who (id, role, unit), when, the stage it
    left the incident in, and a readable sentence; people shown or masked for
    ``viewer`` (the discovery also lists the people it names, 已删除 once forgotten)."""
    events = list(_events(flow, incident_id))
    if not events:
        raise IncidentNotFound("警情不存在", "No such incident", incident_id=str(incident_id))
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
            "due_at": _primitive(event.due_at),
            "sentence_zh": zh,
            "sentence_en": en,
        }
        if isinstance(event, Incident.Discovered):
            entry["people"] = _people(view, event)
        entries.append(entry)
    return entries


def _people(view: View, event: Incident.Discovered) -> dict[str, Any]:
    return {
        "reporter_id": view.reporter(event.reporter_id),
        "informant": view.person(Section.INFORMANT, event.informant),
        "victims": view.people(Section.VICTIMS, event.victims),
    }


def state_at(
    flow: IncidentFlow, incident_id: UUID, version: int, viewer: Actor | None = None
) -> dict[str, Any]:
    """The incident as it stood right after event ``version``."""
    incident = flow.get(incident_id, version=version)
    if incident.version != version:
        raise IncidentNotFound(
            f"警情没有第{version}版",
            f"The incident has no version {version}",
            incident_id=str(incident_id),
            latest_version=incident.version,
        )
    return describe(incident, viewer)


def state_as_of(
    flow: IncidentFlow, incident_id: UUID, moment: datetime, viewer: Actor | None = None
) -> dict[str, Any]:
    """The incident as it stood at ``moment``: after the last event recorded by then."""
    version = None
    for event in _events(flow, incident_id):
        if event.timestamp > moment:
            break
        version = event.originator_version
    if version is None:
        flow.get(incident_id)  # raises IncidentNotFound if it never existed
        raise IncidentNotFound(
            "该时刻警情尚未发现",
            "The incident had not been discovered at that moment",
            incident_id=str(incident_id),
            moment=moment.isoformat(),
        )
    return describe(flow.get(incident_id, version=version), viewer)
