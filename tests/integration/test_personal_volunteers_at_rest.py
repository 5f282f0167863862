"""Volunteers' personal details at rest in SQLite files: applied through
``loop.services.volunteers``, never in the events file (nor its WAL, nor a snapshot) in
plain text; once the volunteer is forgotten, gone for good while his history,
points account and reports replay and the chain verifies."""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from typer.testing import CliRunner

from aggregates.actor import Actor
from aggregates.personal import ERASED_ZH
from aggregates.volunteer import volunteer_aggregate_id
from api.cli import app
from loop import demo
from loop.bootstrap import build_loop
from loop.services import audit
from loop.services.bank import Bank
from loop.services.incidents import IncidentFlow
from loop.services.personal import forget
from loop.services.volunteers import Volunteers
from loop.settings import Settings
from loop.storage.chain_readers import SQLiteChainReader
from loop.storage.keys_file import record_key
from loop.storage.personal_cipher import open_sealed
from loop.storage.proof_keys import ProofKeys
from loop.storage.verification import seal, verify
from tests.builders import rewarded_case
from tests.integration.test_personal_at_rest import files, hits, sealed_values

ADMIN = Actor("admin-ls", "admin", demo.COUNTY)
AUDITOR = Actor("au-ls-zhou", "auditor", demo.COUNTY)
SEAL_KEY = b"a-test-seal-key-of-the-personal-data-tests"  # what the seals are checked with


def keys_for(events_db: Path) -> ProofKeys:
    """The seals' key, and the record key the store's rows were signed with (its keys file)."""
    return ProofKeys(SEAL_KEY, record_key(Settings(database_url=f"sqlite:///{events_db}")))


WANG = Actor("v-xf-wang", "volunteer", demo.XINGFU)
DETAILS = {
    "name": "王德顺",
    "phone": "13904437788",
    "id_number": demo.sample_id_number(7),
    "address": "梨树县幸福小区8栋3单元402",
}
EMPLOYER = "美团外卖梨树站点"  # not personal: stored as entered


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


def enrol(flow: IncidentFlow) -> None:
    """Apply, review and admit him, then snapshot his record."""
    volunteers = Volunteers(flow.app, flow.scoring)
    volunteers.apply(
        demo.CADRE_XF,
        volunteer_id=WANG.id,
        employer=EMPLOYER,
        occupation="delivery_rider",
        **DETAILS,
    )
    for reviewer in ("employer", "community"):
        volunteers.review(demo.CADRE_XF, WANG.id, reviewer=reviewer, approved=True, note="好")
    volunteers.review(demo.OFFICER_XF, WANG.id, reviewer="station", approved=True, note="无前科")
    volunteers.admit(demo.STATION_OFFICER, WANG.id)
    flow.app.take_snapshot(volunteer_aggregate_id(WANG.id))  # snapshots hold the details too


def test_no_volunteer_details_in_the_events_database_file(
    flow: IncidentFlow, events_db: Path, keys_db: Path
) -> None:
    enrol(flow)

    # stored, and read back by his community...
    assert (
        Volunteers(flow.app, flow.scoring).view(demo.CADRE_XF, WANG.id)["personal"]["fields"]
        == DETAILS
    )
    # ...the search does see what is stored as entered...
    assert hits(events_db, [EMPLOYER])
    # ...and the snapshot was written: it holds his sealed details
    with sqlite3.connect(events_db) as db:
        assert db.execute("SELECT count(*) FROM stored_snapshots").fetchone() == (1,)
    assert len(sealed_values(events_db, WANG.id)) == 2  # the application and the snapshot
    # but none of his details are in the events file or its WAL
    assert {p.name for p in files(events_db)} >= {"lishu.db", "lishu.db-wal"}
    assert hits(events_db, list(DETAILS.values())) == []
    # his key lives in the key file, which holds no details either
    assert hits(keys_db, list(DETAILS.values())) == []
    key = flow.app.key_store.get(WANG.id)
    assert key is not None
    assert all(key not in p.read_bytes() for p in files(events_db))


def test_a_forgotten_volunteer_is_unrecoverable_yet_his_history_replays_and_verifies(
    flow: IncidentFlow, events_db: Path, keys_db: Path
) -> None:
    enrol(flow)
    Volunteers(flow.app, flow.scoring).apply(  # another volunteer, whose key stays
        demo.CADRE_XF,
        volunteer_id="v-xf-li",
        name="李某",
        phone="13904430001",
        id_number=demo.sample_id_number(8),
        address="幸福小区1栋",
        employer="中通快递",
        occupation="courier",
    )
    incident = rewarded_case(flow, WANG, 5)
    balance = Bank(flow.app, flow.scoring).balance(WANG.id).balance
    reader = SQLiteChainReader(str(events_db))
    published, before = seal(reader, keys_for(events_db), datetime(2026, 7, 11, tzinfo=UTC))
    reader.close()
    key = flow.app.key_store.get(WANG.id)
    assert key is not None
    stored = sealed_values(events_db, WANG.id)
    assert open_sealed(key, stored[0]).fields == DETAILS

    forget(flow.app, ADMIN, WANG.id, "本人退出义警队伍，申请删除个人信息")
    flow.app.close()

    # after a restart his record replays (from the snapshot), shown erased
    reopened = build_loop(Settings(database_url=f"sqlite:///{events_db}")).incidents
    volunteers = Volunteers(reopened.app, reopened.scoring)
    shown = volunteers.view(AUDITOR, WANG.id)
    assert volunteers.view(AUDITOR, "v-xf-li")["personal"]["fields"]["name"] == "李某"
    assert shown["status"] == "active"
    assert shown["personal"]["fields"] == dict.fromkeys(DETAILS, ERASED_ZH)
    timeline = audit.history(reopened.app, volunteer_aggregate_id(WANG.id), AUDITOR)
    assert timeline[0]["people"]["personal"]["erased"] is True
    assert [e["event"] for e in timeline][-1] == "Admitted"
    # his account and his report work on under his pseudonymous id
    assert reopened.get(incident).reporter_id == WANG.id
    assert audit.history(reopened.app, incident, AUDITOR)[0]["people"]["reporter_id"] == WANG.id
    assert Bank(reopened.app, reopened.scoring).balance(WANG.id).balance == balance
    reopened.app.close()

    # the chain verifies: every byte of the history unchanged, the erasure added
    reader = SQLiteChainReader(str(events_db))
    after = verify(reader, keys_for(events_db), against=published)
    reader.close()
    assert after.intact, after.summary()
    assert after.events == before.events + 1
    cli = CliRunner().invoke(
        app,
        ["verify", "--database-url", f"sqlite:///{events_db}"],
        env={"LISHU_SEAL_KEY": SEAL_KEY.decode()},  # the key its stored seal was made with
    )
    assert cli.exit_code == 0, cli.output

    # the key is gone from every file, and no remaining key opens his details
    for path in [*files(events_db), *files(keys_db)]:
        assert key not in path.read_bytes(), path.name
        assert base64.b64encode(key) not in path.read_bytes(), path.name
    remaining = [
        bytes(k)
        for (k,) in sqlite3.connect(keys_db).execute("SELECT key FROM personal_keys")
        if k is not None
    ]
    assert len(remaining) == 1  # 李某's
    still_stored = sealed_values(events_db, WANG.id)
    assert len(still_stored) == len(stored) == 2
    for value in still_stored:
        for other in remaining:
            with pytest.raises(InvalidTag):
                open_sealed(other, value)
    assert hits(events_db, list(DETAILS.values())) == []
    assert hits(keys_db, list(DETAILS.values())) == []
