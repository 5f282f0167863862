"""Personal data at rest in SQLite files: never in the events database in plain
text, and gone for good once the person is forgotten, while the history still
replays and verifies."""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import pytest
from cryptography.exceptions import InvalidTag
from typer.testing import CliRunner

from aggregates.actor import Actor
from aggregates.personal import ERASED_ZH
from api.cli import app
from loop import demo
from loop.bootstrap import build_loop
from loop.services import audit
from loop.services.incidents import IncidentFlow
from loop.services.personal import forget
from loop.settings import Settings
from loop.storage.chain_readers import SQLiteChainReader
from loop.storage.keys_file import record_key
from loop.storage.personal_cipher import open_sealed
from loop.storage.proof_keys import ProofKeys
from loop.storage.verification import seal, verify

ADMIN = Actor("admin-ls", "admin", demo.COUNTY)
AUDITOR = Actor("au-ls-zhou", "auditor", demo.COUNTY)
SEAL_KEY = b"a-test-seal-key-of-the-personal-data-tests"  # what the seals are checked with


def keys_for(events_db: Path) -> ProofKeys:
    """The seals' key, and the record key the store's rows were signed with (its keys file)."""
    return ProofKeys(SEAL_KEY, record_key(Settings(database_url=f"sqlite:///{events_db}")))


INFORMANT = {
    "name": "王秀兰",
    "phone": "13904431234",
    "id_number": "220322196503151234",
    "address": "梨树县幸福小区3栋2单元501",
}
VICTIM = {"name": "李德福", "phone": "13512349876"}
WHAT = "楼上装修噪音扰民，邻里争吵有动手迹象"  # not personal: stored as entered


def forms(text: str) -> list[bytes]:
    """Every way ``text`` could sit in the file: UTF-8, JSON-escaped, UTF-16."""
    escaped = json.dumps(text)[1:-1].encode()
    return sorted({text.encode(), escaped, text.encode("utf-16-le")})


def files(database: Path) -> list[Path]:
    """The database file and whatever journal files sit beside it."""
    return [p for p in database.parent.iterdir() if p.name.startswith(database.name)]


def hits(database: Path, texts: list[str]) -> list[tuple[str, str]]:
    found = []
    for path in files(database):
        raw = path.read_bytes()
        found += [(path.name, t) for t in texts for form in forms(t) if form in raw]
    return found


@pytest.fixture
def events_db(tmp_path: Path) -> Path:
    return tmp_path / "lishu.db"


@pytest.fixture
def keys_db(tmp_path: Path) -> Path:
    return tmp_path / "lishu-keys.db"


@pytest.fixture
def flow(events_db: Path) -> Iterator[IncidentFlow]:
    app_ = build_loop(Settings(database_url=f"sqlite:///{events_db}")).incidents
    yield app_
    app_.app.close()


def report(flow: IncidentFlow) -> UUID:
    ack = flow.report_new(
        demo.RIDER,
        channel="app",
        module="dispute_screening",
        sense="heard",
        what=WHAT,
        where="幸福小区3栋",
        informant={**INFORMANT, "subject_id": "person-wang"},
        victims=[{**VICTIM, "subject_id": "person-li"}],
    )
    return UUID(ack.incident_id)


def test_no_personal_data_in_the_events_database_file(
    flow: IncidentFlow, events_db: Path, keys_db: Path
) -> None:
    incident = report(flow)
    flow.take("accept", demo.OFFICER_XF, incident)
    flow.app.take_snapshot(incident)  # snapshots hold the data too

    # it was stored and reads back for the police...
    seen = audit.describe(flow.get(incident), demo.OFFICER_XF)
    assert seen["informant"]["fields"] == INFORMANT
    assert seen["victims"][0]["fields"] == VICTIM
    # ...the search does find what is stored as entered...
    assert hits(events_db, [WHAT]), "the search must see plain text in the file"
    # ...but none of the personal data, in the events file or its WAL
    assert {p.name for p in files(events_db)} >= {"lishu.db", "lishu.db-wal"}
    assert hits(events_db, [*INFORMANT.values(), *VICTIM.values()]) == []
    # the keys live in their own file, which holds no personal data either
    keys = sqlite3.connect(keys_db).execute("SELECT key FROM personal_keys").fetchall()
    assert len(keys) == 2
    assert hits(keys_db, [*INFORMANT.values(), *VICTIM.values()]) == []
    for (key,) in keys:
        assert all(key not in p.read_bytes() for p in files(events_db))
    tables = {
        name for (name,) in sqlite3.connect(events_db).execute("SELECT name FROM sqlite_master")
    }
    assert "personal_keys" not in tables


def sealed_values(events_db: Path, subject_id: str) -> list[dict[str, object]]:
    """Every stored ciphertext of ``subject_id``, read from the events file alone."""
    found: list[dict[str, object]] = []

    def collect(obj: dict[str, object]) -> dict[str, object]:
        if obj.get("_type_") == "personal_data":
            data = obj["_data_"]
            assert isinstance(data, dict)
            if data["s"] == subject_id:
                found.append(data)
        return obj

    with sqlite3.connect(events_db) as db:
        for table in ("stored_events", "stored_snapshots"):
            for (state,) in db.execute(f"SELECT state FROM {table}"):
                json.loads(bytes(state), object_hook=collect)
    return found


def test_a_forgotten_person_is_unrecoverable_yet_history_replays_and_verifies(
    flow: IncidentFlow, events_db: Path, keys_db: Path
) -> None:
    incident = report(flow)
    flow.take("accept", demo.OFFICER_XF, incident)
    flow.app.take_snapshot(incident)
    reader = SQLiteChainReader(str(events_db))
    published, before = seal(reader, keys_for(events_db), datetime(2026, 7, 11, tzinfo=UTC))
    reader.close()
    assert before.intact
    wang_key = flow.app.key_store.get("person-wang")
    assert wang_key is not None
    ciphertexts = sealed_values(events_db, "person-wang")
    assert len(ciphertexts) == 2  # the discovery and the snapshot
    assert open_sealed(wang_key, ciphertexts[0]).fields == INFORMANT

    forget(flow.app, ADMIN, "person-wang", "本人申请删除个人信息")
    flow.app.close()

    # the history replays after a restart, the informant shown as erased
    reopened = build_loop(Settings(database_url=f"sqlite:///{events_db}")).incidents
    timeline = audit.history(reopened.app, incident, AUDITOR)
    informant = timeline[0]["people"]["informant"]
    assert informant["erased"] is True
    assert set(informant["fields"].values()) == {ERASED_ZH}
    assert timeline[0]["people"]["victims"][0]["fields"] == VICTIM  # others untouched
    state = audit.describe(reopened.get(incident), AUDITOR)
    assert state["informant"]["fields"]["name"] == ERASED_ZH
    assert [e["event"] for e in timeline] == ["Discovered", "Reported", "AcceptedForHandling"]
    reopened.app.close()

    # the chain verifies: every stored byte of the history is unchanged
    reader = SQLiteChainReader(str(events_db))
    after = verify(reader, keys_for(events_db), against=published)
    reader.close()
    assert after.intact, after.summary()
    assert after.events == before.events + 1  # the erasure is a recorded fact
    cli = CliRunner().invoke(
        app,
        ["verify", "--database-url", f"sqlite:///{events_db}", "--against", published.to_json()],
        env={"LISHU_SEAL_KEY": SEAL_KEY.decode()},  # the county's key the seal was made with
    )
    assert cli.exit_code == 0, cli.output

    # nothing that remains opens the ciphertexts: the key is gone from every file...
    for path in [*files(events_db), *files(keys_db)]:
        assert wang_key not in path.read_bytes(), path.name
        assert base64.b64encode(wang_key) not in path.read_bytes(), path.name
    # ...and no key left in the key store opens them
    remaining = [
        bytes(k)
        for (k,) in sqlite3.connect(keys_db).execute("SELECT key FROM personal_keys")
        if k is not None
    ]
    assert len(remaining) == 1  # the victim's
    for stored in sealed_values(events_db, "person-wang"):
        for key in remaining:
            with pytest.raises(InvalidTag):
                open_sealed(key, stored)
    assert hits(events_db, list(INFORMANT.values())) == []
    assert hits(keys_db, list(INFORMANT.values())) == []
