"""The same application on each event store: one test case, subclassed per backend."""
# PostgreSQL cases need a server: LISHU_TEST_POSTGRES_URL (see tests/conftest.py).

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from uuid import UUID

import pytest
from eventsourcing.cryptography import AESCipher
from eventsourcing.persistence import ProgrammingError, StoredEvent

from loop import demo
from loop.bootstrap import build_loop, open_loop
from loop.errors import ConcurrencyConflict, InvalidInput
from loop.services import audit
from loop.services.incidents import IncidentFlow
from loop.settings import Settings
from loop.storage.chain_readers import open_chain_reader
from loop.storage.persistence import application_env, persistence_env, postgres_conninfo
from loop.storage.verification import verify


class PersistenceContract:
    """What every backend must do; subclasses choose the database URL."""

    url: str

    @pytest.fixture
    def database_url(self, tmp_path: Path) -> str:
        return self.url.format(tmp=tmp_path)

    @pytest.fixture
    def flow(self, database_url: str) -> Iterator[IncidentFlow]:
        flow = build_loop(Settings(database_url=database_url)).incidents
        yield flow
        flow.app.close()

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
        history = audit.history(flow.app, UUID(ids["handled_locally"]))
        assert history[-1]["sentence_zh"] == "社区民警 o-xf-li 办结警情：已宣传"
        # Each event stored once: every aggregate's versions run 1..n without gap
        # or repeat, and the incidents hold exactly their versions' worth.
        stored = flow.app.recorder.select_notifications(1, 100_000)
        assert len(stored) == flow.app.recorder.max_notification_id()
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


class DurableContract(PersistenceContract):
    """What every store that outlives the process must do."""

    def test_an_error_while_chaining_stores_no_event(
        self, flow: IncidentFlow, database_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        first = flow.report_new(
            demo.RIDER, channel="app", module="hazard_screening", sense="seen",
            what="井盖丢失", where="幸福路",
        )  # fmt: skip

        def broken(*_: object) -> None:
            raise RuntimeError("chain computation failed")

        # chain_postgres first: importing it binds loop.storage.chain's chain_rows as it is then
        for module in ("loop.storage.chain_postgres", "loop.storage.chain"):
            monkeypatch.setattr(f"{module}.chain_rows", broken)
        with pytest.raises(RuntimeError, match="chain computation failed"):
            flow.take("accept", demo.OFFICER_XF, UUID(first.incident_id))
        monkeypatch.undo()
        # nothing of the refused write was kept: not the event, not a chain row
        assert flow.app.recorder.max_notification_id() == first.position
        assert flow.get(UUID(first.incident_id)).version == first.version
        with open_chain_reader(database_url) as reader:
            assert verify(reader).intact

    def test_events_survive_a_restart(self, database_url: str, flow: IncidentFlow) -> None:
        ids = demo.run(flow)
        reopened = build_loop(Settings(database_url=database_url)).incidents
        incident = UUID(ids["diverted"])
        assert audit.history(reopened.app, incident) == audit.history(flow.app, incident)
        assert audit.describe(reopened.get(incident)) == audit.describe(flow.get(incident))

    def test_two_officers_racing_on_one_incident_get_one_event_and_one_conflict(
        self, database_url: str, flow: IncidentFlow
    ) -> None:
        other = build_loop(Settings(database_url=database_url)).incidents
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
        flow.take("accept", demo.OFFICER_XF, incident)  # ...the first officer saved first
        fetch = other.app.repository.get
        other.app.repository.get = lambda *a, **k: stale if not k.get("version") else fetch(*a, **k)  # type: ignore[method-assign]
        with pytest.raises(ConcurrencyConflict):
            other.take("divert", demo.OFFICER_XF, incident, reason="非公安机关管辖")
        other.app.repository.get = fetch  # type: ignore[method-assign]
        events = [type(e).__name__ for e in flow.app.events.get(incident)]
        assert events == ["Discovered", "Reported", "AcceptedForHandling"]

    def test_concurrent_writers_keep_one_gapless_verifiable_log(self, database_url: str) -> None:
        """Four processes' worth of applications writing at once: every event is
        stored once, notification ids have no gap, and the hash chain verifies."""
        flows = [build_loop(Settings(database_url=database_url)).incidents for _ in range(4)]

        def report_some(flow: IncidentFlow) -> list[str]:
            acks = []
            for _ in range(5):
                ack = flow.report_new(
                    demo.RIDER,
                    channel="app",
                    module="hazard_screening",
                    sense="seen",
                    what="井盖丢失",
                    where="幸福路",
                )
                flow.take("accept", demo.OFFICER_XF, UUID(ack.incident_id))
                acks.append(ack.incident_id)
            return acks

        with ThreadPoolExecutor(len(flows)) as pool:
            ids = [i for acks in pool.map(report_some, flows) for i in acks]
        for flow in flows:
            flow.app.close()
        assert len(set(ids)) == 20
        reader_flow = build_loop(Settings(database_url=database_url)).incidents
        notifications = reader_flow.app.recorder.select_notifications(1, 1000)
        reader_flow.app.close()
        assert [n.id for n in notifications] == list(range(1, 61))  # 3 events each
        with open_chain_reader(database_url) as reader:
            report = verify(reader)
        assert report.intact, report.summary()
        assert report.events == 60


class TestSQLiteFile(DurableContract):
    url = "sqlite:///{tmp}/lishu.db"


class TestPostgres(DurableContract):
    url = ""

    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url

    def test_the_chained_recorder_refuses_the_unlocked_insert_function(
        self, database_url: str
    ) -> None:
        env = persistence_env(database_url) | {"POSTGRES_ENABLE_DB_FUNCTIONS": "y"}
        with pytest.raises(ProgrammingError, match="POSTGRES_ENABLE_DB_FUNCTIONS"):
            open_loop(env)

    def test_the_chain_digests_equal_the_sqlite_ones(
        self, database_url: str, tmp_path: Path
    ) -> None:
        """The same stored events give the same digests and log head on either store."""
        lite = build_loop(Settings(database_url=f"sqlite:///{tmp_path}/lishu.db")).incidents
        demo.run(lite)
        notifications = lite.app.recorder.select_notifications(1, 1000)
        lite.app.close()
        pg = build_loop(Settings(database_url=database_url)).incidents
        for n in notifications:  # one transaction per event, as the application wrote them
            stored = StoredEvent(UUID(str(n.originator_id)), n.originator_version, n.topic, n.state)
            pg.app.recorder.insert_events([stored])
        pg.app.close()
        with open_chain_reader(f"sqlite:///{tmp_path}/lishu.db") as reader:
            expected = verify(reader)
        with open_chain_reader(database_url) as reader:
            actual = verify(reader)
        assert actual.intact
        assert expected.intact
        assert (actual.events, actual.head) == (expected.events, expected.head)


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
        build_loop(Settings(database_url="memory://", policy="nowhere"))
    assert pg["APPLICATION_RECORDER_TOPIC"].endswith(":KeyedPostgresApplicationRecorder")
    assert postgres_conninfo("postgresql+psycopg://lishu:s%40cret@db.local:5433/lishu") == (
        "dbname=lishu host=db.local port=5433 user=lishu password=s@cret"
    )


@pytest.mark.parametrize("key", ["not base64!", "c2hvcnQ=", "QUFBQUFBQUFBQUFBQUFBQUFBQUFB"])
def test_a_bad_cipher_key_is_refused_before_anything_is_stored(key: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        build_loop(Settings(database_url="memory://", cipher_key=key))
    assert refused.value.details["field"] == "cipher_key"
    assert "16、24 或 32" in refused.value.message_zh


def test_a_cipher_key_turns_on_compression_and_encryption() -> None:
    assert "CIPHER_KEY" not in application_env(Settings(database_url="memory://"))
    key = AESCipher.create_key(32)
    env = application_env(Settings(database_url="memory://", cipher_key=key))
    assert env["CIPHER_KEY"] == key
    assert env["COMPRESSOR_TOPIC"] == "eventsourcing.compressor:ZlibCompressor"
    assert env["CIPHER_TOPIC"] == "eventsourcing.cryptography:AESCipher"
