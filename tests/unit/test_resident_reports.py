"""Residents as reporters: a public report enters the loop fed back, is not scored
or rewarded, closes after its outcome, and keeps the resident's contact details
as erasable personal data that departments and the publicity section never see."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from aggregates.actor import Actor
from aggregates.errors import DomainError
from aggregates.incident import Incident
from loop import demo
from loop.bootstrap import open_loop
from loop.errors import IllegalStep
from loop.rules.stages import LOOP
from loop.services import audit
from loop.services.incidents import IncidentFlow
from loop.services.intake import CLIENT_ROLE, Intake, Report, fixed_id
from loop.services.personal import forget
from tests.support import FakeClock

ADMIN = Actor("admin-ls", "admin", demo.COUNTY)
AUDITOR = Actor("au-ls-zhou", "auditor", demo.COUNTY)
CLIENT = Actor("open311:suishoupai", CLIENT_ROLE, demo.XINGFU)
ZHANG = {"name": "张桂芝", "phone": "13904437788"}


@pytest.fixture
def flow() -> IncidentFlow:
    return open_loop(clock=FakeClock()).incidents


def public_report(flow: IncidentFlow, contact: Any = None, **extra: Any) -> UUID:
    details = {
        "community": demo.XINGFU,
        "module": "hazard_screening",
        "sense": "seen",
        "what": "楼道里堆放电动车电瓶充电",
        "where": "幸福小区3号楼",
        "contact": ZHANG if contact is None else contact,
        **extra,
    }
    report = Report(**details)
    ack = Intake(flow).report(CLIENT, report, source="open311", client="suishoupai")
    return UUID(ack.incident_id)


def test_a_public_report_is_fed_back_and_owned_by_the_community_officer(
    flow: IncidentFlow,
) -> None:
    incident = flow.get(public_report(flow))
    assert (incident.stage, incident.owner_unit, incident.owner_role) == (
        "reported",
        demo.XINGFU,
        "community_officer",
    )
    assert incident.reported_by_resident
    assert incident.reporter_id.startswith("person-")
    assert incident.resident is not None
    assert incident.resident.fields == ZHANG
    assert incident.intake == {
        "source": "open311",
        "client": "suishoupai",
        "external_id": None,
        "media_url": None,
    }


def test_a_public_report_closes_after_its_outcome_without_score_or_reward(
    flow: IncidentFlow,
) -> None:
    incident_id = public_report(flow)
    flow.take("accept", demo.OFFICER_XF, incident_id)
    flow.take("record_outcome", demo.OFFICER_XF, incident_id, summary="已联系物业清理")
    outcome = flow.get(incident_id)
    assert outcome.owner_role == "community_officer"  # who closes it, not a scorer
    assert flow.allowed_steps(demo.OFFICER_XF, incident_id) == ["close"]
    assert "propose_score" not in flow.allowed_steps(demo.CADRE_XF, incident_id)
    with pytest.raises(IllegalStep) as refused:
        flow.take(
            "propose_score",
            demo.CADRE_XF,
            incident_id,
            items=[{"item": "隐患排查", "points": 5}],
            basis="x",
        )
    assert refused.value.details["unmet"] == ["reported_by_resident"]

    ack = flow.take("close", demo.OFFICER_XF, incident_id, note="群众反馈已处理")

    assert ack.stage == "closed"
    closed = flow.get(incident_id)
    assert (closed.rewarded_points, closed.score, closed.owner_unit) == (None, {}, None)


def test_a_volunteers_report_still_needs_its_reward_before_closing(flow: IncidentFlow) -> None:
    ack = flow.report_new(
        demo.RIDER, channel="app", module="hazard_screening", sense="seen", what="x", where="y"
    )
    incident_id = UUID(ack.incident_id)
    flow.take("accept", demo.OFFICER_XF, incident_id)
    flow.take("record_outcome", demo.OFFICER_XF, incident_id, summary="已处置")
    assert "close" not in flow.allowed_steps(demo.OFFICER_XF, incident_id)
    with pytest.raises(IllegalStep) as refused:
        flow.take("close", demo.OFFICER_XF, incident_id)
    assert refused.value.details["unmet"] == ["reported_by_resident"]


def test_the_declaration_and_its_diagram_say_a_public_report_closes_after_its_outcome() -> None:
    assert ("close", "closed") in LOOP.moves_from("outcome_recorded")
    assert LOOP.legal_steps("outcome_recorded", {"reported_by_resident": True}) == ["close"]
    assert LOOP.legal_steps("outcome_recorded", {"reported_by_resident": False}) == [
        "propose_score"
    ]
    diagram = LOOP.mermaid()
    assert "outcome_recorded --> closed: close [reported_by_resident]" in diagram


def test_the_residents_contact_is_shown_to_the_police_only(flow: IncidentFlow) -> None:
    incident = flow.get(public_report(flow))
    for viewer in (demo.OFFICER_XF, demo.STATION_OFFICER, AUDITOR):
        assert audit.describe(incident, viewer)["resident"]["fields"] == ZHANG
    for viewer in (demo.CADRE_XF, demo.DIRECTOR_XF, demo.PUBLICITY, demo.RIDER, None):
        seen = audit.describe(incident, viewer)
        assert seen["resident"] == {"masked": True, "shown": "已隐藏"}
        assert "张桂芝" not in str(seen)
        assert "13904437788" not in str(seen)
        assert "张桂芝" not in str(audit.history(flow.app, incident.id, viewer))


def test_the_residents_contact_is_stored_encrypted_and_can_be_forgotten(
    flow: IncidentFlow,
) -> None:
    incident_id = public_report(flow)
    stored = flow.app.recorder.select_events(incident_id)
    assert all(b"13904437788" not in e.state and "张桂芝".encode() not in e.state for e in stored)
    subject = flow.get(incident_id).reporter_id

    forget(flow.app, ADMIN, subject, "本人申请删除")

    resident = flow.get(incident_id).resident
    assert resident is not None
    assert resident.erased
    assert "张桂芝" not in str(audit.describe(flow.get(incident_id), AUDITOR))


def test_a_report_without_contact_details_names_nobody(flow: IncidentFlow) -> None:
    incident = flow.get(public_report(flow, contact={}))
    assert incident.resident is None
    assert incident.reporter_id.startswith("person-")


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"contact": {"name": "李四", "id_number": "220322196503151234"}}, "contact"),
        ({"contact": {"phone": "not a phone"}}, "resident.phone"),
        ({"point": (43.3, None)}, "long"),
        ({"point": (91, 124.3)}, "lat"),
        ({"media_url": "file:///etc/passwd"}, "media_url"),
        ({"what": "x" * 4001}, "what"),
        ({"module": "fireworks"}, "module"),
        ({"community": demo.HEPING}, "community"),
    ],
)
def test_a_bad_public_report_is_refused_and_nothing_is_written(
    flow: IncidentFlow, extra: dict[str, Any], field: str
) -> None:
    details = {
        "community": demo.XINGFU,
        "module": "hazard_screening",
        "sense": "seen",
        "what": "井盖丢失",
        "where": "幸福路",
        "contact": ZHANG,
        **extra,
    }
    with pytest.raises(DomainError) as refused:
        Intake(flow).report(CLIENT, Report(**details), source="open311", client="suishoupai")
    assert refused.value.details["field"] == field
    assert flow.app.recorder.max_notification_id() is None


def test_a_report_with_the_clients_own_id_is_made_once(flow: IncidentFlow) -> None:
    intake = Intake(flow)
    report = Report(demo.XINGFU, "traffic_safety", "seen", "红绿灯不亮", "幸福路口", ZHANG)
    fixed = fixed_id("open311", "suishoupai", "sp-1001")
    first = intake.report(CLIENT, report, source="open311", client="suishoupai", incident_id=fixed)
    again = intake.report(CLIENT, report, source="open311", client="suishoupai", incident_id=fixed)
    assert first.incident_id == again.incident_id == str(fixed)
    assert len(flow.app.recorder.select_events(fixed)) == 2  # discovered and reported, once
    with pytest.raises(DomainError):  # another client cannot claim that incident
        intake.report(CLIENT, report, source="open311", client="other", incident_id=fixed)


def as_v2(stored: StoredEvent) -> StoredEvent:
    """``stored`` as class version 2 wrote it: no reporter kind, resident, point or intake."""
    state: dict[str, Any] = json.loads(stored.state)
    assert state.pop("class_version") == 3
    for name in ("reporter_kind", "resident", "point", "intake"):
        state.pop(name)
    state["class_version"] = 2
    return replace(stored, state=json.dumps(state, separators=(",", ":")).encode())


def test_a_discovery_stored_by_version_2_loads_as_a_volunteers_report(
    flow: IncidentFlow,
) -> None:
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
    old = as_v2(flow.app.mapper.to_stored_event(event))
    assert b"reporter_kind" not in old.state
    flow.app.recorder.insert_events([old])

    loaded = flow.get(incident.id)
    assert (loaded.reporter_kind, loaded.resident, loaded.point, loaded.intake) == (
        "volunteer",
        None,
        None,
        None,
    )
    assert not loaded.reported_by_resident


def test_the_residents_name_and_phone_written_into_the_report_are_kept_apart(
    flow: IncidentFlow,
) -> None:
    incident = flow.get(
        public_report(
            flow, what="我是张桂芝，电话139 0443 7788也行，13904437788", where="张桂芝家门口"
        )
    )
    assert incident.what == "我是〔联系人〕，电话〔联系电话〕也行，〔联系电话〕"
    assert incident.where == "〔联系人〕家门口"
    assert incident.resident is not None
    assert incident.resident.fields == ZHANG
