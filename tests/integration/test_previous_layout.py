"""A database written before ``loop/`` was arranged in rooms opens, verifies and
reads as before: stored topics, table names and the chain are unchanged.

The fixture (``tests/fixtures/previous_layout``) is the seeded demo county as
the previous layout stored it: events with their chain, one snapshot, the key
store, and a seal of its head made then.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aggregates.incident import Incident
from aggregates.points_account import PointsAccount
from aggregates.reward_item import RewardItem
from aggregates.volunteer import Volunteer
from api.cli import app
from loop.bootstrap import build_loop
from loop.services import audit
from loop.settings import Settings
from projections import build

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "previous_layout"
KINDS = (Incident, Volunteer, PointsAccount, RewardItem)


@pytest.fixture
def database(tmp_path: Path) -> str:
    for name in ("lishu.db", "lishu-keys.db"):
        shutil.copy(FIXTURE / name, tmp_path / name)
    return f"sqlite:///{tmp_path / 'lishu.db'}"


def test_the_stored_history_verifies_against_the_seal_made_then(database: str) -> None:
    seal = (FIXTURE / "seal.json").read_text()
    # sealed with the key then shipped as the development default
    then = {"LISHU_SEAL_KEY": "lishu-development-seal-key"}
    result = CliRunner().invoke(
        app, ["verify", "--database-url", database, "--against", seal], env=then
    )
    assert result.exit_code == 0, result.output
    assert "344" in result.output


def test_every_record_loads_and_its_history_reads(database: str) -> None:
    loop = build_loop(Settings(database_url=database))
    try:
        recorder = loop.app.recorder
        ids = {n.originator_id for n in recorder.select_notifications(1, 10_000)}
        loaded = [loop.app.repository.get(i) for i in ids]
        kinds = {type(a) for a in loaded}
        assert kinds >= set(KINDS)
        incidents = [a for a in loaded if isinstance(a, Incident)]
        assert {i.stage for i in incidents} >= {"closed", "rejected", "handed_over"}
        for incident in incidents:
            entries = audit.history(loop.app, incident.id)
            assert len(entries) == incident.version
            assert loop.incidents.get(incident.id).stage == incident.stage
    finally:
        loop.close()


def test_the_snapshot_stored_then_loads_the_same_state_as_the_events(database: str) -> None:
    loop = build_loop(Settings(database_url=database))
    try:
        snapshots = loop.app.snapshots
        assert snapshots is not None
        ids = {n.originator_id for n in loop.app.recorder.select_notifications(1, 10_000)}
        (aggregate_id,) = [i for i in ids if snapshots.recorder.select_events(i, limit=1)]
        from_snapshot = loop.app.repository.get(aggregate_id)
        # ``version`` makes the library replay the events instead of the snapshot
        from_events = loop.app.repository.get(aggregate_id, version=from_snapshot.version)
        assert vars(from_snapshot) == vars(from_events)
    finally:
        loop.close()


def test_the_read_models_build_from_it(database: str) -> None:
    loop = build_loop(Settings(database_url=database))
    views = build(Settings(database_url="memory://"), loop.app)
    try:
        views.projector.setup()
        views.projector.catch_up()
        assert views.projector.positions()
        totals = views.queries.statistics("lishu")["totals"]
        assert totals["discovered"] == sum(
            1
            for n in loop.app.recorder.select_notifications(1, 10_000)
            if n.topic.endswith("Incident.Discovered")
        )
    finally:
        views.close()
        loop.close()
