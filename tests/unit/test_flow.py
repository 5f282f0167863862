"""The application service: inputs, refusals, routing and what a user may do."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID, uuid4

import pytest

from aggregates.actor import Actor
from loop import demo
from loop.bootstrap import open_loop
from loop.errors import IllegalStep, IncidentNotFound, InvalidInput, NotPermitted
from loop.rules.stages import LOOP, STAGES
from loop.services.incidents import IncidentFlow
from tests.support import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def flow(clock: FakeClock) -> IncidentFlow:
    return open_loop(clock=clock).incidents


def report(flow: IncidentFlow, actor: Actor = demo.RIDER, **extra: str) -> UUID:
    details = {
        "module": "hazard_screening",
        "sense": "seen",
        "what": "井盖丢失",
        "where": "幸福路",
        **extra,
    }
    ack = flow.report_new(actor, channel="app" if actor.role == "volunteer" else "phone", **details)
    return UUID(ack.incident_id)


def test_a_volunteer_reports_as_himself_and_names_nobody_else(flow: IncidentFlow) -> None:
    incident = report(flow)
    assert flow.get(incident).reporter_id == demo.RIDER.id
    assert flow.get(incident).community == demo.XINGFU
    assert flow.get(report(flow, reporter_id=demo.RIDER.id)).reporter_id == demo.RIDER.id
    head = flow.app.recorder.max_notification_id()
    with pytest.raises(NotPermitted) as refused:  # not silently replaced by his own id
        report(flow, reporter_id=demo.COURIER.id)
    assert "义警（本人）" in refused.value.message_zh
    assert flow.app.recorder.max_notification_id() == head


def test_a_phone_report_needs_the_volunteer_it_is_logged_for(flow: IncidentFlow) -> None:
    with pytest.raises(InvalidInput) as refused:
        report(flow, demo.OFFICER_XF)
    assert refused.value.details["field"] == "reporter_id"


def test_a_volunteer_cannot_pretend_to_phone_in(flow: IncidentFlow) -> None:
    with pytest.raises(InvalidInput):
        flow.report_new(
            demo.RIDER,
            channel="phone",
            module="hazard_screening",
            sense="seen",
            what="x",
            where="y",
        )


def test_urgency_sets_the_response_deadline(flow: IncidentFlow, clock: FakeClock) -> None:
    demo.enrol(flow)  # the office logs the call for a volunteer on duty
    general = flow.get(report(flow))
    urgent = flow.get(
        UUID(
            flow.report_new(
                demo.AUXILIARY_XF,
                channel="phone",
                urgency="urgent",
                module="patrol_prevention",
                sense="seen",
                what="抢夺",
                where="超市",
                reporter_id=demo.METER.id,
            ).incident_id
        )
    )
    assert general.due_at == clock.now + timedelta(hours=24)
    assert urgent.due_at == clock.now + timedelta(minutes=1)


def test_the_handover_keeps_the_time_the_department_received_it(flow: IncidentFlow) -> None:
    incident = report(flow)
    flow.take("divert", demo.OFFICER_XF, incident, reason="非公安机关管辖")
    with pytest.raises(InvalidInput):
        flow.take(
            "hand_over",
            demo.CADRE_XF,
            incident,
            department="县住建局",
            received_by="刘科长",
            received_at=datetime(2026, 7, 11, 10, 0),
        )  # no time zone
    for outside in ("2026-07-11T09:05:01+08:00", "2019-12-31T23:59:59+08:00"):
        with pytest.raises(InvalidInput) as refused:  # after now, before the records begin
            flow.take(
                "hand_over",
                demo.CADRE_XF,
                incident,
                department="县住建局",
                received_by="刘科长",
                received_at=datetime.fromisoformat(outside),
            )
        assert refused.value.details["field"] == "received_at"
    received = datetime.fromisoformat("2026-07-11T08:30:00+08:00")  # the clock: 09:00
    flow.take(
        "hand_over",
        demo.CADRE_XF,
        incident,
        department="县住建局",
        received_by="刘科长",
        received_at=received,
    )
    handover = flow.get(incident).handover
    assert handover is not None
    assert handover["received_at"] == received


def test_a_duplicate_must_name_an_existing_other_incident(flow: IncidentFlow) -> None:
    incident = report(flow)
    version = flow.get(incident).version
    with pytest.raises(IncidentNotFound):
        flow.take(
            "reject", demo.OFFICER_XF, incident, kind="duplicate", reason="重复", related_id=uuid4()
        )
    with pytest.raises(InvalidInput):
        flow.take(
            "reject", demo.OFFICER_XF, incident, kind="merged", reason="合并", related_id=incident
        )
    with pytest.raises(InvalidInput):
        flow.take("reject", demo.OFFICER_XF, incident, kind="duplicate", reason="重复")
    assert flow.get(incident).version == version


def test_illegal_steps_say_where_the_incident_is_and_what_may_come_next(
    flow: IncidentFlow,
) -> None:
    incident = report(flow)
    with pytest.raises(IllegalStep) as refused:
        flow.take("reward", demo.OFFICER_XF, incident)
    error = refused.value.as_dict()
    assert error["code"] == "illegal_step"
    assert error["details"]["stage"] == "reported"
    assert error["details"]["legal_steps"] == ["accept", "escalate", "divert", "reject"]
    assert "已反馈待研判" in error["message_zh"]
    assert "legal next steps: accept, escalate, divert, reject" in error["message_en"]


def test_refusals_name_who_may_act(flow: IncidentFlow) -> None:
    incident = report(flow)
    with pytest.raises(NotPermitted) as refused:
        flow.take("accept", demo.STATION_OFFICER, incident)
    assert refused.value.details["allowed"] == [{"roles": ["community_officer"], "scope": "owner"}]
    assert refused.value.details["stage"] == "reported"
    assert "社区民警（当前承办单位）" in refused.value.message_zh


def test_an_incident_out_of_reach_is_not_found_like_one_that_does_not_exist(
    flow: IncidentFlow,
) -> None:
    incident = report(flow)
    with pytest.raises(IncidentNotFound) as hidden:
        flow.take("accept", demo.OFFICER_HP, incident)
    with pytest.raises(IncidentNotFound) as absent:
        flow.take("accept", demo.OFFICER_HP, uuid4())
    assert hidden.value.message_zh == absent.value.message_zh
    assert set(hidden.value.details) == set(absent.value.details) == {"incident_id"}
    with pytest.raises(IncidentNotFound):  # another volunteer's report
        flow.take("report", demo.COURIER, incident, channel="app")
    with pytest.raises(IncidentNotFound):
        flow.read(demo.TAXI, incident)
    assert flow.read(demo.RIDER, incident).id == incident


def test_a_role_that_may_never_take_a_step_is_refused_before_anything_is_read(
    flow: IncidentFlow,
) -> None:
    for incident in (report(flow), uuid4()):  # the same answer whether it exists or not
        with pytest.raises(NotPermitted) as refused:
            flow.take("accept", demo.RIDER, incident)
        assert "stage" not in refused.value.details
        assert "unit" not in refused.value.details
        said = refused.value.message_zh
        assert said.startswith("「义警」（lishu/chaoyang/xingfu）无权执行「受理处置」"), said


def test_each_user_is_offered_only_the_steps_they_may_take(flow: IncidentFlow) -> None:
    incident = report(flow)
    assert flow.allowed_steps(demo.OFFICER_XF, incident) == [
        "accept",
        "escalate",
        "divert",
        "reject",
    ]
    assert flow.allowed_steps(demo.RIDER, incident) == []
    assert flow.allowed_steps(demo.OFFICER_HP, incident) == []
    flow.take("escalate", demo.OFFICER_XF, incident, reason="复杂")
    assert flow.allowed_steps(demo.STATION_OFFICER, incident) == ["accept", "return"]
    assert flow.allowed_steps(demo.OFFICER_XF, incident) == ["chase"]


def test_the_loop_diagram_is_mermaid_with_zh_labels_and_the_current_stage_marked() -> None:
    diagram = LOOP.mermaid("handling_station")
    assert diagram.splitlines()[0] == "---"
    assert "stateDiagram-v2" in diagram
    for stage, label in STAGES.items():
        assert f'state "{label}" as {stage}' in diagram
    assert "Class handling_station s_active" in diagram
    assert "s_active" not in LOOP.mermaid().replace("classDef s_active", "")
    assert "score_proposed --> scored: sign_score [completes_signatures]" in diagram
