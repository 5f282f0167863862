"""The same application on each event store: one test case, subclassed per backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest

from loop import audit, demo
from loop.bootstrap import build_flow, persistence_env
from loop.errors import ConcurrencyConflict, InvalidInput
from loop.flow import IncidentFlow
from loop.settings import Settings


class PersistenceContract:
    """What every backend must do; subclasses choose the database URL."""

    url: str

    @pytest.fixture
    def database_url(self, tmp_path: Path) -> str:
        return self.url.format(tmp=tmp_path)

    @pytest.fixture
    def flow(self, database_url: str) -> Iterator[IncidentFlow]:
        app = build_flow(Settings(database_url=database_url))
        yield app
        app.close()

    def test_the_demo_drives_every_branch_and_reads_back(self, flow: IncidentFlow) -> None:
        ids = demo.run(flow)
        stages = {branch: flow.get(UUID(i)).stage for branch, i in ids.items()}
        assert stages == {
            "handled_locally": "closed",
            "escalated_to_station": "closed",
            "escalated_to_county": "handling_county",
            "returned_by_station": "handling_community",
            "diverted": "rewarded",
            "diverted_after_arrival": "handed_over",
            "self_handled": "score_proposed",
            "urgent_phone": "handling_community",
            "duplicate": "rejected",
            "awaiting_triage": "reported",
        }
        history = audit.history(flow, UUID(ids["handled_locally"]))
        assert history[-1]["sentence_zh"] == "社区民警 o-xf-li 办结警情：已宣传"
        # Each event stored once: every aggregate's versions run 1..n without gap
        # or repeat, and the incidents hold exactly their versions' worth.
        stored = flow.recorder.select_notifications(1, 100_000)
        assert len(stored) == flow.recorder.max_notification_id()
        versions: dict[UUID, list[int]] = {}
        for n in stored:
            versions.setdefault(n.originator_id, []).append(n.originator_version)
        assert all(v == list(range(1, len(v) + 1)) for v in versions.values())
        incidents = [UUID(i) for i in ids.values()]
        assert sum(len(versions[i]) for i in incidents) == sum(
            flow.get(i).version for i in incidents
        )


class TestInMemory(PersistenceContract):
    url = "memory://"


class TestSQLiteFile(PersistenceContract):
    url = "sqlite:///{tmp}/lishu.db"

    def test_events_survive_a_restart(self, database_url: str, flow: IncidentFlow) -> None:
        ids = demo.run(flow)
        reopened = build_flow(Settings(database_url=database_url))
        incident = UUID(ids["diverted"])
        assert audit.history(reopened, incident) == audit.history(flow, incident)
        assert audit.describe(reopened.get(incident)) == audit.describe(flow.get(incident))

    def test_two_officers_racing_on_one_incident_get_one_event_and_one_conflict(
        self, database_url: str, flow: IncidentFlow
    ) -> None:
        other = build_flow(Settings(database_url=database_url))
        ack = flow.report_new(
            demo.RIDER,
            channel="app",
            module="hazard_screening",
            sense="seen",
            what="井盖丢失",
            where="幸福路",
        )
        incident = UUID(ack.incident_id)
        stale = other.get(incident)  # the second officer loaded it first...
        flow.accept(demo.OFFICER_XF, incident)  # ...the first officer saved first
        fetch = other.repository.get
        other.repository.get = lambda *a, **k: stale if not k.get("version") else fetch(*a, **k)  # type: ignore[method-assign]
        with pytest.raises(ConcurrencyConflict):
            other.divert(demo.OFFICER_XF, incident, reason="非公安机关管辖")
        other.repository.get = fetch  # type: ignore[method-assign]
        events = [type(e).__name__ for e in flow.events.get(incident)]
        assert events == ["Discovered", "Reported", "AcceptedForHandling"]


def test_database_urls_map_to_event_stores() -> None:
    assert persistence_env("sqlite:///lishu.db")["SQLITE_DBNAME"] == "lishu.db"
    assert persistence_env("sqlite:////var/lib/lishu/lishu.db")["SQLITE_DBNAME"] == (
        "/var/lib/lishu/lishu.db"
    )
    pg = persistence_env("postgresql+psycopg://lishu:s%40cret@db.local:5433/lishu")
    assert (pg["POSTGRES_HOST"], pg["POSTGRES_PORT"], pg["POSTGRES_PASSWORD"]) == (
        "db.local",
        "5433",
        "s@cret",
    )
    with pytest.raises(InvalidInput):
        persistence_env("mysql://x")
    with pytest.raises(InvalidInput):
        build_flow(Settings(database_url="memory://", policy="nowhere"))
