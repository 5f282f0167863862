"""Reading the past: history, state at a version, state as of a moment."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from loop import demo
from loop.bootstrap import open_loop
from loop.errors import IncidentNotFound
from loop.services import audit
from loop.services.incidents import IncidentFlow
from tests.support import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def flow(clock: FakeClock) -> IncidentFlow:
    return open_loop(clock=clock).incidents


@pytest.fixture
def escalated(flow: IncidentFlow, clock: FakeClock) -> UUID:
    """Reported at 09:00, escalated at 10:00, accepted by the station at 11:00."""
    ack = flow.report_new(
        demo.RIDER,
        channel="app",
        module="anti_fraud",
        sense="heard",
        what="冒充公检法电话",
        where="幸福路",
    )
    incident = UUID(ack.incident_id)
    clock.advance(timedelta(hours=1))
    flow.take("escalate", demo.OFFICER_XF, incident, reason="涉嫌诈骗")
    clock.advance(timedelta(hours=1))
    flow.take("accept", demo.STATION_OFFICER, incident)
    return incident


def test_history_lists_every_event_with_actor_time_and_sentence(
    flow: IncidentFlow, escalated: UUID
) -> None:
    entries = audit.history(flow.app, escalated)
    assert [e["event"] for e in entries] == [
        "Discovered",
        "Reported",
        "Escalated",
        "AcceptedForHandling",
    ]
    assert [e["version"] for e in entries] == [1, 2, 3, 4]
    assert entries[2]["actor"] == {
        "id": "o-xf-li",
        "role": "community_officer",
        "unit": demo.XINGFU,
    }
    assert entries[2]["at"] == "2026-07-11T10:00:00+08:00"
    assert entries[2]["stage"] == "escalated_to_station"
    assert entries[2]["owner_unit"] == demo.STATION
    assert (
        entries[2]["sentence_zh"] == "社区民警 o-xf-li 将警情由社区提格上交派出所，理由：涉嫌诈骗"
    )
    assert entries[2]["sentence_en"].startswith("community_officer o-xf-li escalated it")


def test_state_at_a_version_is_the_state_right_after_that_event(
    flow: IncidentFlow, escalated: UUID
) -> None:
    at_two = audit.state_at(flow.app, escalated, 2)
    assert (at_two["version"], at_two["stage"], at_two["owner_unit"]) == (
        2,
        "reported",
        demo.XINGFU,
    )
    assert at_two["escalations"] == []
    at_three = audit.state_at(flow.app, escalated, 3)
    assert at_three["stage"] == "escalated_to_station"
    assert at_three["escalations"] == [{"from": "community", "to": "station", "reason": "涉嫌诈骗"}]


def test_state_at_a_version_that_does_not_exist_is_refused(
    flow: IncidentFlow, escalated: UUID
) -> None:
    with pytest.raises(IncidentNotFound) as refused:
        audit.state_at(flow.app, escalated, 9)
    assert refused.value.details["latest_version"] == 4


def test_state_as_of_a_moment_takes_the_last_event_recorded_by_then(
    flow: IncidentFlow, clock: FakeClock, escalated: UUID
) -> None:
    start = clock.now - timedelta(hours=2)
    assert audit.state_as_of(flow.app, escalated, start)["stage"] == "reported"
    assert (
        audit.state_as_of(flow.app, escalated, start + timedelta(minutes=59))["stage"] == "reported"
    )
    assert audit.state_as_of(flow.app, escalated, start + timedelta(hours=1))["version"] == 3
    assert audit.state_as_of(flow.app, escalated, clock.now + timedelta(days=9))["version"] == 4


def test_state_before_the_discovery_is_refused(
    flow: IncidentFlow, clock: FakeClock, escalated: UUID
) -> None:
    with pytest.raises(IncidentNotFound) as refused:
        audit.state_as_of(flow.app, escalated, clock.now - timedelta(days=1))
    assert "尚未发现" in refused.value.message_zh


def test_unknown_incidents_are_not_found(flow: IncidentFlow) -> None:
    for read in (lambda i: audit.history(flow.app, i), lambda i: audit.state_at(flow.app, i, 1)):
        with pytest.raises(IncidentNotFound):
            read(uuid4())


def test_long_histories_are_snapshotted_and_read_back_at_every_version(
    flow: IncidentFlow, escalated: UUID
) -> None:
    for n in range(60):
        flow.take("chase", demo.OFFICER_XF, escalated, asked="朝阳派出所", answer=f"第{n}次答复")
    assert [s.originator_version for s in flow.app.snapshots.get(escalated)] == [50]  # type: ignore[union-attr]
    assert audit.state_at(flow.app, escalated, 53)["follow_ups"][-1]["answer"] == "第48次答复"
    assert audit.state_at(flow.app, escalated, 10)["follow_ups"][-1]["answer"] == "第5次答复"
    assert len(audit.history(flow.app, escalated)) == 64
