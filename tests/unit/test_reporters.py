"""Who an incident is credited to: a volunteer reports as himself; the office logs
a call for one of its community's volunteers on duty, and for nobody else (a
name it may not credit is refused the same way whoever it names)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from aggregates.actor import Actor
from loop import demo
from loop.bootstrap import open_loop
from loop.errors import InvalidInput, NotPermitted, UnknownReporter
from loop.services.incidents import IncidentFlow
from loop.services.volunteers import Volunteers
from tests.builders import handled, rewarded, scored
from tests.support import FakeClock

CALL = {
    "channel": "phone",
    "urgency": "urgent",
    "module": "patrol_prevention",
    "sense": "seen",
    "what": "超市门口有人抢夺挎包",
    "where": "幸福超市门口",
}


@pytest.fixture
def flow() -> IncidentFlow:
    flow = open_loop(clock=FakeClock()).incidents
    demo.enrol(flow)
    return flow


def logged_for(flow: IncidentFlow, reporter: str | None, by: Actor = demo.AUXILIARY_XF) -> Any:
    given = dict(CALL) if reporter is None else {**CALL, "reporter_id": reporter}
    return flow.report_new(by, **given)


def refusal(flow: IncidentFlow, reporter: str) -> UnknownReporter:
    head = flow.app.recorder.max_notification_id()
    with pytest.raises(UnknownReporter) as refused:
        logged_for(flow, reporter)
    assert flow.app.recorder.max_notification_id() == head
    return refused.value


def test_the_office_logs_a_call_for_a_volunteer_on_duty_in_its_community(
    flow: IncidentFlow,
) -> None:
    ack = logged_for(flow, demo.METER.id)
    assert flow.get(UUID(ack.incident_id)).reporter_id == demo.METER.id
    Volunteers(flow.app).change_status(
        demo.OFFICER_XF, demo.METER.id, status="flexible", reason="年龄偏大"
    )
    assert logged_for(flow, demo.METER.id).stage == "reported"  # flexible duty is duty


@pytest.mark.parametrize(
    ("reporter", "why"),
    [
        (demo.TAXI.id, "another community's volunteer"),
        ("v-nobody", "nobody"),
        (demo.APPLICANT_WITH_RECORD.id, "declined, never admitted"),
        (demo.OFFICER_XF.id, "an officer, not a volunteer"),
    ],
)
def test_the_office_cannot_credit_anyone_else(flow: IncidentFlow, reporter: str, why: str) -> None:
    refused = refusal(flow, reporter)
    assert refused.code == "unknown_reporter", why
    assert refused.details == {"field": "reporter_id", "reporter_id": reporter}
    # the same words whoever it names: nothing tells which ids exist where
    nobody = refusal(flow, "v-nobody")
    assert refused.message_zh.replace(reporter, "?") == nobody.message_zh.replace("v-nobody", "?")


@pytest.mark.parametrize("status", ["suspended", "retired"])
def test_a_volunteer_off_duty_is_not_credited_with_a_call(flow: IncidentFlow, status: str) -> None:
    Volunteers(flow.app).change_status(demo.OFFICER_XF, demo.METER.id, status=status, reason="x")
    assert refusal(flow, demo.METER.id).code == "unknown_reporter"


def test_the_office_must_name_the_volunteer(flow: IncidentFlow) -> None:
    with pytest.raises(InvalidInput) as refused:
        logged_for(flow, None)
    assert refused.value.details["field"] == "reporter_id"


def test_a_volunteer_needs_no_id_and_may_name_only_himself(flow: IncidentFlow) -> None:
    own = {**CALL, "channel": "app", "urgency": "general"}
    assert flow.get(UUID(flow.report_new(demo.RIDER, **own).incident_id)).reporter_id == (
        demo.RIDER.id
    )
    named = flow.report_new(demo.RIDER, **own, reporter_id=demo.RIDER.id)
    assert flow.get(UUID(named.incident_id)).reporter_id == demo.RIDER.id
    head = flow.app.recorder.max_notification_id()
    for other in (demo.COURIER.id, "v-nobody"):
        with pytest.raises(NotPermitted):  # refused, not silently replaced by his own id
            flow.report_new(demo.RIDER, **own, reporter_id=other)
        with pytest.raises(NotPermitted):
            flow.discover(demo.RIDER, **{k: CALL[k] for k in ("module", "sense", "what", "where")},
                          reporter_id=other)  # fmt: skip
    assert flow.app.recorder.max_notification_id() == head


def test_a_call_logged_for_a_volunteer_is_rewarded_into_his_account(flow: IncidentFlow) -> None:
    """A named reporter holds an account, so the case never sticks at 考评已生效."""
    incident = UUID(logged_for(flow, demo.METER.id).incident_id)
    handled(flow, incident)
    scored(flow, incident, 10)
    rewarded(flow, incident)
    assert flow.get(incident).stage == "rewarded"
    assert flow.points_account(demo.METER.id).earned == 10
