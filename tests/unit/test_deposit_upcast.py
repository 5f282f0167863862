"""Deposits stored when only incidents paid points (class version 1: ``incident_id``,
no source) and account snapshots taken before duty tasks (no no-shows) still
load, read, and count in the read models as before."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any
from uuid import UUID

from eventsourcing.domain import Snapshot
from eventsourcing.persistence import StoredEvent

from aggregates.points_account import PointsAccount, account_id
from loop import demo
from loop.bootstrap import open_loop
from loop.rules.narration import sentence
from loop.settings import Settings
from projections import build
from tests.builders import scored_case
from tests.support import FakeClock
from tests.unit.bank_helpers import admit


def as_v1(stored: StoredEvent, change: Any, *, snapshot: bool = False) -> StoredEvent:
    """``stored`` as version 1 wrote it: no class version, and ``change`` applied."""
    outer: dict[str, Any] = json.loads(stored.state)
    state = outer["state"] if snapshot else outer
    assert state.pop("class_version") == 2
    change(state)
    return replace(stored, state=json.dumps(outer, separators=(",", ":")).encode())


def v1_deposit(state: dict[str, Any]) -> None:
    assert state.pop("source") == "incident"
    state["incident_id"] = state.pop("source_id")


def test_a_deposit_stored_by_version_1_loads_as_an_incidents_deposit() -> None:
    flow = open_loop(clock=FakeClock()).incidents
    admit(flow, demo.RIDER)
    incident = scored_case(flow, demo.RIDER, 30)
    account = flow.points_account(demo.RIDER.id)
    account.deposit(
        demo.OFFICER_XF,
        flow.app.clock(),
        incident_id=str(incident),
        points=30,
        period="2026-07",
        cap=150,
        basis={"incident_id": str(incident)},
    )
    (event,) = account.collect_events()
    old = as_v1(flow.app.mapper.to_stored_event(event), v1_deposit)
    assert b"source" not in old.state
    assert b"incident_id" in old.state
    flow.app.recorder.insert_events([old])

    loaded = flow.points_account(demo.RIDER.id)
    assert loaded.deposits == {str(incident): {"amount": 30, "period": "2026-07"}}
    (deposit,) = [
        e for e in flow.app.events.get(loaded.id) if isinstance(e, PointsAccount.Deposited)
    ]
    assert (deposit.source, deposit.source_id) == ("incident", str(incident))
    assert "警情" in sentence(deposit)[0]

    views = build(Settings(database_url="memory://"), flow.app)
    views.projector.catch_up()
    figures = views.queries.volunteer_score(demo.RIDER.id)
    assert figures is not None
    assert (figures["earned"], figures["balance"]) == (30, 30)
    # and the deposit can still be taken back, as when its incident is rejected
    again = flow.points_account(demo.RIDER.id)
    taken = again.reverse(
        demo.OFFICER_XF,
        flow.app.clock(),
        incident_id=str(incident),
        reason="复核不实",
        period="2026-07",
        basis={},
    )
    assert taken == 30
    flow.app.commit(again)
    views.projector.catch_up()
    assert views.queries.volunteer_score(demo.RIDER.id)["earned"] == 0  # type: ignore[index]
    views.close()


def test_an_account_snapshot_taken_by_version_1_counts_no_no_shows() -> None:
    flow = open_loop(clock=FakeClock()).incidents
    admit(flow, demo.RIDER)
    snapshot = Snapshot.take(flow.points_account(demo.RIDER.id))

    def v1_account(state: dict[str, Any]) -> None:
        state.pop("no_shows")

    old = as_v1(flow.app.mapper.to_stored_event(snapshot), v1_account, snapshot=True)
    restored = flow.app.mapper.to_domain_event(old).mutate(None)

    assert isinstance(restored, PointsAccount)
    assert restored.id == account_id(demo.RIDER.id) == UUID(str(restored.id))
    assert restored.no_shows == {}
    assert restored.version == flow.points_account(demo.RIDER.id).version
