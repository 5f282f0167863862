"""Tampering with the stored events directly is detected and located by ``verify``.

Every case runs on the SQLite file and on PostgreSQL (a fresh database per
test; it needs LISHU_TEST_POSTGRES_URL, see tests/conftest.py): the SQL below is
written once, with the few names that differ filled in per store.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID, uuid4

import pytest
from eventsourcing.cryptography import AESCipher
from eventsourcing.persistence import MapperDeserialisationError, StoredEvent
from typer.testing import CliRunner

from loop import demo
from loop.bootstrap import build_loop
from loop.cli import app
from loop.settings import Settings
from loop.storage.chain import event_digest, log_link
from loop.storage.chain_readers import (
    POSTGRES_EVENTS_TABLE,
    POSTGRES_SNAPSHOTS_TABLE,
    open_chain_reader,
)
from loop.storage.keys_file import record_key
from loop.storage.persistence import postgres_conninfo, sqlite_path
from loop.storage.proof_keys import ProofKeys
from loop.storage.seals import Seal
from loop.storage.verification import seal, verify
from tests.api.served import keys_file_of_tests
from tests.postgres import create_postgres_database, drop_postgres_database

KEYS_FILE = keys_file_of_tests()
"""The installation keys every store of these tests is written with."""
KEYS = ProofKeys(seal=b"county-seal-key", record=record_key(Settings(keys_file=str(KEYS_FILE))))
"""A county's seal key; the record key the demo was written with."""


def settings_for(url: str, cipher_key: str | None = None) -> Settings:
    return Settings(database_url=url, cipher_key=cipher_key, keys_file=str(KEYS_FILE))


class Store:
    """Direct SQL on one store's tables, bypassing the application.

    Statements use ``?`` placeholders and ``{events}`` (the events table),
    ``{nid}`` (its notification id column), ``{key}`` (the aggregate id as the
    chain's UUID hex), ``{snapshots}`` (the snapshots table) and ``{id}`` (how an
    aggregate id is written into it, from a UUID hex).
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.postgres = url.startswith("postgresql")
        self.connection: Any
        if self.postgres:
            import psycopg

            self.connection = psycopg.connect(postgres_conninfo(url), autocommit=True)
            self.names = {
                "events": POSTGRES_EVENTS_TABLE,
                "nid": "notification_id",
                "key": "replace(originator_id::text, '-', '')",
                "snapshots": POSTGRES_SNAPSHOTS_TABLE,
                "id": "?::uuid",
            }
        else:
            self.connection = sqlite3.connect(sqlite_path(url), isolation_level=None)
            self.names = {
                "events": "stored_events",
                "nid": "rowid",
                "key": "originator_id",
                "snapshots": "stored_snapshots",
                "id": "?",
            }

    def run(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        sql = sql.format(**self.names)
        if self.postgres:
            sql = sql.replace("?", "%s")
        cursor = self.connection.execute(sql, params)
        return list(cursor.fetchall()) if cursor.description else []

    def close(self) -> None:
        self.connection.close()


def build_demo(url: str, cipher_key: str | None = None) -> str:
    flow = build_loop(settings_for(url, cipher_key)).incidents
    demo.run(flow)
    flow.app.close()
    return url


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def demo_source(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[str]:
    """The demo's 60 events, written once per store; each test tampers with a copy."""
    if backend == "sqlite":
        yield build_demo(f"sqlite:///{tmp_path_factory.mktemp('demo')}/lishu.db")
        return
    server = str(request.getfixturevalue("postgres_server"))
    url = build_demo(create_postgres_database(server))
    yield url
    drop_postgres_database(server, url)


@pytest.fixture
def empty_url(backend: str, request: pytest.FixtureRequest) -> str:
    if backend == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return f"sqlite:///{request.getfixturevalue('tmp_path')}/lishu.db"


@pytest.fixture
def database(backend: str, demo_source: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a private copy of a store holding the demo's 60 events."""
    if backend == "sqlite":
        copy = request.getfixturevalue("tmp_path") / "lishu.db"
        shutil.copyfile(sqlite_path(demo_source), copy)
        yield f"sqlite:///{copy}"
        return
    server = str(request.getfixturevalue("postgres_server"))
    url = create_postgres_database(server, template=urlsplit(demo_source).path.lstrip("/"))
    yield url
    drop_postgres_database(server, url)


@pytest.fixture
def sealed(database: str) -> Seal:
    with open_chain_reader(database) as reader:
        new, _ = seal(reader, KEYS, datetime(2026, 7, 11, tzinfo=UTC))
    return new


@pytest.fixture
def db(database: str) -> Iterator[Store]:
    store = Store(database)
    yield store
    store.close()


def check(database: str, against: Seal | None = None) -> set[tuple[str, str | None, int | None]]:
    with open_chain_reader(database) as reader:
        report = verify(reader, KEYS, against=against)
    return {(d.kind, d.incident_id, d.version) for d in report.damage}


def kinds(found: set[tuple[str, str | None, int | None]]) -> set[str]:
    return {kind for kind, _, _ in found}


def aggregate(db: Store, versions: int) -> str:
    """An incident with exactly ``versions`` events."""
    for (key,) in db.run(
        "SELECT {key} FROM {events} GROUP BY {key} "
        "HAVING MAX(originator_version) = ? ORDER BY {key}",
        (versions,),
    ):
        return str(key)
    raise AssertionError(f"no incident with {versions} events")


def other_than(db: Store, key: str) -> tuple[str, int]:
    """Another incident and its number of events."""
    (row,) = db.run(
        "SELECT {key}, MAX(originator_version) FROM {events} "
        "WHERE {key} != ? GROUP BY {key} ORDER BY 2 DESC, 1 LIMIT 1",
        (key,),
    )
    return str(row[0]), int(row[1])


def state(db: Store, key: str, version: int) -> bytes:
    ((blob,),) = db.run(
        "SELECT state FROM {events} WHERE {key}=? AND originator_version=?", (key, version)
    )
    return bytes(blob)


def set_state(db: Store, key: str, version: int, blob: bytes) -> None:
    db.run(
        "UPDATE {events} SET state=? WHERE {key}=? AND originator_version=?",
        (blob, key, version),
    )


def test_an_untouched_log_verifies_clean_and_matches_its_seal(
    database: str, sealed: Seal, db: Store
) -> None:
    with open_chain_reader(database) as reader:
        report = verify(reader, KEYS, against=sealed)
    ((stored,),) = db.run("SELECT COUNT(*) FROM {events}")
    assert report.intact
    assert report.events == sealed.events == stored > 0
    assert report.head == sealed.head
    assert report.summary() == f"完好 intact: {stored} events, chain head {sealed.head}"


def grow(url: str) -> None:
    """Append a copy of every stored event, each incident under a new id."""
    flow = build_loop(settings_for(url)).incidents
    stored = flow.app.recorder.select_notifications(1, 10_000)
    keys = {n.originator_id: uuid4() for n in stored}
    flow.app.recorder.insert_events(
        [StoredEvent(keys[n.originator_id], n.originator_version, n.topic, n.state) for n in stored]
    )
    flow.app.close()


def test_verification_reads_one_snapshot_while_the_log_grows(database: str, db: Store) -> None:
    ((before,),) = db.run("SELECT COUNT(*) FROM {events}")
    with open_chain_reader(database) as reader:
        assert reader.count() == before  # the reading snapshot starts here
        grow(database)  # another writer appends as many events meanwhile
        report = verify(reader)
    ((after,),) = db.run("SELECT COUNT(*) FROM {events}")
    assert after == 2 * before
    assert report.intact, report.summary()
    assert report.events == before
    assert check(database) == set()  # and the grown log verifies on its own


def test_editing_one_byte_of_a_payload_is_located(database: str, db: Store) -> None:
    key = aggregate(db, 10)
    blob = bytearray(state(db, key, 3))
    blob[-5] ^= 0x01
    set_state(db, key, 3, bytes(blob))
    assert check(database) == {("altered", key, 3)}


def test_changing_a_timestamp_is_located(database: str, db: Store) -> None:
    key = aggregate(db, 10)
    blob = state(db, key, 4)
    moved = blob.replace(b'"_data_":"2026', b'"_data_":"2025', 1)
    assert moved != blob
    set_state(db, key, 4, moved)
    assert check(database) == {("altered", key, 4)}


def test_deleting_an_event_in_the_middle_is_located(database: str, db: Store) -> None:
    key = aggregate(db, 10)
    db.run("DELETE FROM {events} WHERE {key}=? AND originator_version=5", (key,))
    found = check(database)
    assert ("deleted", key, 5) in found
    assert {kind for kind, _, _ in found} <= {"deleted", "altered"}


def test_deleting_an_event_and_its_chain_row_breaks_the_log(database: str, db: Store) -> None:
    key = aggregate(db, 10)
    db.run("DELETE FROM {events} WHERE {key}=? AND originator_version=5", (key,))
    db.run("DELETE FROM event_chain WHERE {key}=? AND originator_version=5", (key,))
    found = check(database)
    assert ("deleted", key, 5) in found
    assert any(kind == "log_broken" for kind, _, _ in found)


def test_deleting_the_last_event_of_an_incident_is_located(database: str, db: Store) -> None:
    key = aggregate(db, 10)
    db.run("DELETE FROM {events} WHERE {key}=? AND originator_version=10", (key,))
    assert check(database) == {("deleted", key, 10)}


def test_deleting_the_very_last_event_everywhere_fails_against_the_seal(
    database: str, sealed: Seal, db: Store
) -> None:
    db.run("DELETE FROM {events} WHERE {nid}=(SELECT MAX({nid}) FROM {events})")
    db.run(
        "DELETE FROM event_chain WHERE notification_id=(SELECT MAX(notification_id) "
        "FROM event_chain)"
    )
    assert kinds(check(database)) == {"log_truncated"}


def test_deleting_a_whole_incident_is_detected(database: str, db: Store) -> None:
    key, versions = other_than(db, aggregate(db, 10))
    db.run("DELETE FROM {events} WHERE {key}=?", (key,))
    found = check(database)
    assert {(kind, k, v) for kind, k, v in found if kind == "deleted"} == {
        ("deleted", key, v) for v in range(1, versions + 1)
    }


def test_swapping_payloads_between_incidents_is_located(database: str, db: Store) -> None:
    first = aggregate(db, 10)
    second, _ = other_than(db, first)
    a, b = state(db, first, 2), state(db, second, 2)
    set_state(db, first, 2, b)
    set_state(db, second, 2, a)
    assert check(database) == {("altered", first, 2), ("altered", second, 2)}


def test_reordering_events_is_located(database: str, db: Store) -> None:
    key = aggregate(db, 10)
    db.run(
        "UPDATE {events} SET originator_version=-1 WHERE {key}=? AND originator_version=3",
        (key,),
    )
    db.run(
        "UPDATE {events} SET originator_version=3 WHERE {key}=? AND originator_version=4",
        (key,),
    )
    db.run(
        "UPDATE {events} SET originator_version=4 WHERE {key}=? AND originator_version=-1",
        (key,),
    )
    found = check(database)
    assert ("moved", key, 3) in found
    assert ("moved", key, 4) in found


def test_a_forged_event_with_a_plausible_digest_fails_against_the_seal(
    database: str, sealed: Seal, db: Store
) -> None:
    """The forger recomputes every digest and log link, but cannot re-sign the seal."""
    key = aggregate(db, 10)
    forged_state = state(db, key, 10).replace("办结".encode(), "撤销".encode())
    rows = db.run(
        "SELECT {nid}, {key}, originator_version, topic, state FROM {events} ORDER BY {nid}"
    )
    position = 30
    db.run("DELETE FROM {events}")
    db.run("DELETE FROM event_chain")
    forged = (key, 11, rows[0][3].rsplit(":", 1)[0] + ":Incident.Closed", forged_state)
    rewritten = [r[1:] for r in rows[:position]] + [forged] + [r[1:] for r in rows[position:]]
    digests: dict[tuple[str, int], bytes] = {}
    for k, version, topic, blob in sorted(rewritten, key=lambda r: (r[0], r[1])):
        previous = digests.get((k, version - 1), bytes(32))
        digests[k, version] = event_digest(previous, k, version, topic, bytes(blob))
    log = bytes(32)
    for nid, (k, version, topic, blob) in enumerate(rewritten, 1):
        db.run(
            "INSERT INTO {events} ({nid}, originator_id, originator_version, topic, "
            "state) VALUES (?,?,?,?,?)",
            (nid, k, version, topic, blob),
        )
        log = log_link(log, nid, digests[k, version])
        db.run(
            "INSERT INTO event_chain VALUES (?,?,?,?,?,NULL)",  # no record key to sign
            (nid, k, version, digests[k, version], log),
        )
    found = check(database)
    # the seal no longer matches, and nothing the forger wrote carries the writers' MAC
    assert kinds(found) == {"seal_mismatch", "unauthenticated"}
    assert ("unauthenticated", rows[0][1], 1) in found  # rewritten from the first row on
    # a rewritten seal row does not help the forger: it is not signed by the county's key
    db.run("UPDATE chain_seals SET head=?, events=events+1", (log.hex(),))
    assert kinds(check(database)) == {"seal_unauthentic", "unauthenticated"}
    # and the seal kept outside the database still disagrees
    assert "seal_mismatch" in kinds(check(database, against=sealed))


def test_verify_and_seal_from_the_command_line(database: str, db: Store, tmp_path: Path) -> None:
    runner = CliRunner(
        env={"LISHU_KEYS_FILE": str(KEYS_FILE), "LISHU_WITNESS_PATH": str(tmp_path / "w.jsonl")}
    )
    url = ["--database-url", database]
    sealed = runner.invoke(app, ["seal", *url])
    assert sealed.exit_code == 0, sealed.output
    published = Seal.from_json(sealed.output)
    clean = runner.invoke(app, ["verify", *url, "--against", sealed.output])
    assert clean.exit_code == 0
    assert f"chain head {published.head}" in clean.output
    key = aggregate(db, 10)
    set_state(db, key, 2, state(db, key, 2) + b" ")
    damaged = runner.invoke(app, ["verify", *url])
    assert damaged.exit_code == 1
    assert f"altered: incident {key} v2" in damaged.output
    refused = runner.invoke(app, ["seal", *url])
    assert refused.exit_code == 1


def test_the_application_still_reads_what_it_wrote(database: str, db: Store) -> None:
    flow = build_loop(settings_for(database)).incidents
    key = aggregate(db, 10)
    assert flow.get(UUID(key)).version == 10
    flow.app.close()


@pytest.fixture
def encrypted(empty_url: str) -> tuple[str, str]:
    """A store written with payload compression and encryption on, and its key."""
    cipher_key = AESCipher.create_key(32)
    return build_demo(empty_url, cipher_key=cipher_key), cipher_key


def test_verification_needs_no_key_for_compressed_and_encrypted_payloads(
    encrypted: tuple[str, str],
) -> None:
    url, _ = encrypted
    db = Store(url)
    try:
        key = aggregate(db, 10)
        stored = state(db, key, 3)
        assert b"_data_" not in stored  # not the readable JSON of a plain store
        with open_chain_reader(url) as reader:
            clean = verify(reader)
        assert clean.intact, clean.summary()
        ((stored_events,),) = db.run("SELECT COUNT(*) FROM {events}")
        assert clean.events == stored_events > 0
        tampered = bytearray(stored)
        tampered[20] ^= 0x01
        set_state(db, key, 3, bytes(tampered))
        assert check(url) == {("altered", key, 3)}
    finally:
        db.close()


def test_an_encrypted_store_reads_back_only_with_its_key(encrypted: tuple[str, str]) -> None:
    url, cipher_key = encrypted
    db = Store(url)
    incident = UUID(aggregate(db, 10))
    db.close()
    keyed = build_loop(settings_for(url, cipher_key)).incidents
    assert keyed.get(incident).version == 10
    keyed.app.close()
    for wrong in (None, AESCipher.create_key(32)):
        flow = build_loop(settings_for(url, wrong)).incidents
        with pytest.raises(MapperDeserialisationError):
            flow.get(incident)
        flow.app.close()


def test_verify_refuses_a_store_it_cannot_read_and_creates_nothing(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = tmp_path / "nowhere.db"
    result = runner.invoke(app, ["verify", "--database-url", f"sqlite:///{missing}"])
    assert result.exit_code == 2
    assert "holds no events or hash chain" in result.output
    assert not missing.exists()
    result = runner.invoke(app, ["seal", "--database-url", "memory://"])
    assert result.exit_code == 2
    assert "need an SQLite file or a PostgreSQL database" in result.output
