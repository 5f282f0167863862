"""Events and snapshots stored before reports named people, or before publicity
required a redaction review, still load (upcast from class version 1)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any
from uuid import UUID

from eventsourcing.domain import Snapshot
from eventsourcing.persistence import StoredEvent

from aggregates.actor import Actor
from aggregates.incident import Incident
from loop import demo
from loop.bootstrap import open_loop
from loop.services import audit
from loop.services.incidents import IncidentFlow
from tests import builders
from tests.builders import handled, scored
from tests.support import FakeClock

AUDITOR = Actor("au-ls-zhou", "auditor", demo.COUNTY)
RESIDENT_FIELDS = ("reporter_kind", "resident", "point", "intake")
"""What version 3 added (who reported, from where): version 1 had none of it."""


def as_v1(stored: StoredEvent, *dropped: str, snapshot: bool = False) -> StoredEvent:
    """``stored`` as the version 1 class wrote it: without ``dropped`` and without
    a class version (version 1 records none). A snapshot holds the aggregate's
    state under ``state``."""
    outer: dict[str, Any] = json.loads(stored.state)
    state = outer["state"] if snapshot else outer
    assert state.pop("class_version") >= 2
    for name in (*dropped, *(f for f in RESIDENT_FIELDS if f in state)):
        state.pop(name)
    return replace(stored, state=json.dumps(outer, separators=(",", ":")).encode())


def test_a_discovery_stored_by_version_1_loads_naming_nobody() -> None:
    flow = open_loop(clock=FakeClock()).incidents
    at = flow.app.clock()
    incident = Incident.discover(
        demo.RIDER,
        at,
        flow.route("discovered", demo.XINGFU, None, at),
        module="hazard_screening",
        sense="seen",
        what="井盖丢失",
        where="幸福路",
        occurred_at=at,
        reporter_id=demo.RIDER.id,
        community=demo.XINGFU,
    )
    (event,) = incident.collect_events()
    old = as_v1(flow.app.mapper.to_stored_event(event), "informant", "victims")
    assert b"informant" not in old.state
    flow.app.recorder.insert_events([old])

    loaded = flow.get(incident.id)
    assert (loaded.informant, loaded.victims, loaded.what) == (None, [], "井盖丢失")
    flow.take("report", demo.RIDER, incident.id, channel="app")  # and the loop goes on from it
    timeline = audit.history(flow.app, incident.id, AUDITOR)
    assert timeline[0]["people"] == {
        "reporter_id": demo.RIDER.id,
        "informant": None,
        "victims": [],
        "resident": None,
    }
    assert flow.get(incident.id).stage == "reported"


def rewarded(flow: IncidentFlow) -> UUID:
    demo.enrol(flow)  # the reporter must hold a Happiness Bank account to be rewarded
    ack = flow.report_new(
        demo.RIDER,
        channel="app",
        module="dispute_screening",
        sense="heard",
        what="邻里争吵",
        where="幸福小区",
        informant={"name": "王秀兰"},
    )
    incident = UUID(ack.incident_id)
    handled(flow, incident, "调解")
    scored(flow, incident, 5)
    builders.rewarded(flow, incident)
    return incident


def test_publicity_stored_by_version_1_loads_without_a_redaction_review() -> None:
    flow = open_loop(clock=FakeClock()).incidents
    incident_id = rewarded(flow)
    incident = flow.get(incident_id)
    at = flow.app.clock()
    incident.step(
        Incident.Publicized,
        demo.PUBLICITY,
        at,
        flow.route("publicized", demo.XINGFU, None, at),
        title="邻里纠纷化解在萌芽",
        redaction_note="已核对",
    )
    (event,) = incident.collect_events()
    flow.app.recorder.insert_events(
        [as_v1(flow.app.mapper.to_stored_event(event), "redaction_note")]
    )

    loaded = flow.get(incident_id)
    assert (loaded.stage, loaded.publicity_title) == ("publicized", "邻里纠纷化解在萌芽")
    assert loaded.redaction_note is None


def test_a_snapshot_taken_by_version_1_loads_naming_nobody() -> None:
    flow = open_loop(clock=FakeClock()).incidents
    incident_id = rewarded(flow)
    snapshot = Snapshot.take(flow.get(incident_id))
    old = as_v1(
        flow.app.mapper.to_stored_event(snapshot),
        "informant",
        "victims",
        "redaction_note",
        snapshot=True,
    )

    restored = flow.app.mapper.to_domain_event(old).mutate(None)

    assert isinstance(restored, Incident)
    assert (restored.informant, restored.victims, restored.redaction_note) == (None, [], None)
    assert (restored.stage, restored.version) == ("rewarded", 8)
