"""Tampering with the SQLite file directly is detected and located by ``verify``."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import pytest
from typer.testing import CliRunner

from loop import demo
from loop.bootstrap import build_flow
from loop.chain import event_digest, log_link
from loop.cli import app
from loop.settings import Settings
from loop.verification import Seal, SQLiteChainReader, seal, verify

KEY = b"county-seal-key"


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "lishu.db"
    flow = build_flow(Settings(database_url=f"sqlite:///{path}"))
    demo.run(flow)
    flow.close()
    return path


@pytest.fixture
def sealed(database: Path) -> Seal:
    reader = SQLiteChainReader(str(database))
    new, _ = seal(reader, KEY, datetime(2026, 7, 11, tzinfo=UTC))
    reader.close()
    return new


@pytest.fixture
def db(database: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(database, isolation_level=None)
    yield connection
    connection.close()


def check(database: Path, against: Seal | None = None) -> set[tuple[str, str | None, int | None]]:
    reader = SQLiteChainReader(str(database))
    report = verify(reader, key=KEY, against=against)
    reader.close()
    return {(d.kind, d.incident_id, d.version) for d in report.damage}


def kinds(found: set[tuple[str, str | None, int | None]]) -> set[str]:
    return {kind for kind, _, _ in found}


def aggregate(db: sqlite3.Connection, versions: int) -> str:
    """An incident with exactly ``versions`` events."""
    for (key,) in db.execute(
        "SELECT originator_id FROM stored_events GROUP BY originator_id "
        "HAVING MAX(originator_version) = ? ORDER BY originator_id",
        (versions,),
    ):
        return str(key)
    raise AssertionError(f"no incident with {versions} events")


def other_than(db: sqlite3.Connection, key: str) -> tuple[str, int]:
    """Another incident and its number of events."""
    row = db.execute(
        "SELECT originator_id, MAX(originator_version) FROM stored_events "
        "WHERE originator_id != ? GROUP BY originator_id ORDER BY 2 DESC LIMIT 1",
        (key,),
    ).fetchone()
    return str(row[0]), int(row[1])


def state(db: sqlite3.Connection, key: str, version: int) -> bytes:
    (blob,) = db.execute(
        "SELECT state FROM stored_events WHERE originator_id=? AND originator_version=?",
        (key, version),
    ).fetchone()
    return bytes(blob)


def set_state(db: sqlite3.Connection, key: str, version: int, blob: bytes) -> None:
    db.execute(
        "UPDATE stored_events SET state=? WHERE originator_id=? AND originator_version=?",
        (blob, key, version),
    )


def test_an_untouched_log_verifies_clean_and_matches_its_seal(database: Path, sealed: Seal) -> None:
    reader = SQLiteChainReader(str(database))
    report = verify(reader, key=KEY, against=sealed)
    reader.close()
    with sqlite3.connect(database) as db:
        (stored,) = db.execute("SELECT COUNT(*) FROM stored_events").fetchone()
    assert report.intact
    assert report.events == sealed.events == stored > 0
    assert report.head == sealed.head
    assert report.summary() == f"完好 intact: {stored} events, chain head {sealed.head}"


def test_editing_one_byte_of_a_payload_is_located(database: Path, db: sqlite3.Connection) -> None:
    key = aggregate(db, 10)
    blob = bytearray(state(db, key, 3))
    blob[-5] ^= 0x01
    set_state(db, key, 3, bytes(blob))
    assert check(database) == {("altered", key, 3)}


def test_changing_a_timestamp_is_located(database: Path, db: sqlite3.Connection) -> None:
    key = aggregate(db, 10)
    blob = state(db, key, 4)
    moved = blob.replace(b'"_data_":"2026', b'"_data_":"2025', 1)
    assert moved != blob
    set_state(db, key, 4, moved)
    assert check(database) == {("altered", key, 4)}


def test_deleting_an_event_in_the_middle_is_located(database: Path, db: sqlite3.Connection) -> None:
    key = aggregate(db, 10)
    db.execute("DELETE FROM stored_events WHERE originator_id=? AND originator_version=5", (key,))
    found = check(database)
    assert ("deleted", key, 5) in found
    assert {kind for kind, _, _ in found} <= {"deleted", "altered"}


def test_deleting_an_event_and_its_chain_row_breaks_the_log(
    database: Path, db: sqlite3.Connection
) -> None:
    key = aggregate(db, 10)
    db.execute("DELETE FROM stored_events WHERE originator_id=? AND originator_version=5", (key,))
    db.execute("DELETE FROM event_chain WHERE originator_id=? AND originator_version=5", (key,))
    found = check(database)
    assert ("deleted", key, 5) in found
    assert any(kind == "log_broken" for kind, _, _ in found)


def test_deleting_the_last_event_of_an_incident_is_located(
    database: Path, db: sqlite3.Connection
) -> None:
    key = aggregate(db, 10)
    db.execute("DELETE FROM stored_events WHERE originator_id=? AND originator_version=10", (key,))
    assert check(database) == {("deleted", key, 10)}


def test_deleting_the_very_last_event_everywhere_fails_against_the_seal(
    database: Path, sealed: Seal, db: sqlite3.Connection
) -> None:
    db.execute("DELETE FROM stored_events WHERE rowid=(SELECT MAX(rowid) FROM stored_events)")
    db.execute(
        "DELETE FROM event_chain WHERE notification_id=(SELECT MAX(notification_id) "
        "FROM event_chain)"
    )
    assert kinds(check(database)) == {"seal_mismatch"}


def test_deleting_a_whole_incident_is_detected(database: Path, db: sqlite3.Connection) -> None:
    key, versions = other_than(db, aggregate(db, 10))
    db.execute("DELETE FROM stored_events WHERE originator_id=?", (key,))
    found = check(database)
    assert {(kind, k, v) for kind, k, v in found if kind == "deleted"} == {
        ("deleted", key, v) for v in range(1, versions + 1)
    }


def test_swapping_payloads_between_incidents_is_located(
    database: Path, db: sqlite3.Connection
) -> None:
    first = aggregate(db, 10)
    second, _ = other_than(db, first)
    a, b = state(db, first, 2), state(db, second, 2)
    set_state(db, first, 2, b)
    set_state(db, second, 2, a)
    assert check(database) == {("altered", first, 2), ("altered", second, 2)}


def test_reordering_events_is_located(database: Path, db: sqlite3.Connection) -> None:
    key = aggregate(db, 10)
    db.execute(
        "UPDATE stored_events SET originator_version=-1 WHERE originator_id=? "
        "AND originator_version=3",
        (key,),
    )
    db.execute(
        "UPDATE stored_events SET originator_version=3 WHERE originator_id=? "
        "AND originator_version=4",
        (key,),
    )
    db.execute(
        "UPDATE stored_events SET originator_version=4 WHERE originator_id=? "
        "AND originator_version=-1",
        (key,),
    )
    found = check(database)
    assert ("moved", key, 3) in found
    assert ("moved", key, 4) in found


def test_a_forged_event_with_a_plausible_digest_fails_against_the_seal(
    database: Path, sealed: Seal, db: sqlite3.Connection
) -> None:
    """The forger recomputes every digest and log link, but cannot re-sign the seal."""
    key = aggregate(db, 10)
    forged_state = state(db, key, 10).replace("办结".encode(), "撤销".encode())
    rows = db.execute(
        "SELECT rowid, originator_id, originator_version, topic, state "
        "FROM stored_events ORDER BY rowid"
    ).fetchall()
    position = 30
    db.execute("DELETE FROM stored_events")
    db.execute("DELETE FROM event_chain")
    forged = (key, 11, rows[0][3].rsplit(":", 1)[0] + ":Incident.Closed", forged_state)
    rewritten = [r[1:] for r in rows[:position]] + [forged] + [r[1:] for r in rows[position:]]
    digests: dict[tuple[str, int], bytes] = {}
    for k, version, topic, blob in sorted(rewritten, key=lambda r: (r[0], r[1])):
        previous = digests.get((k, version - 1), bytes(32))
        digests[k, version] = event_digest(previous, k, version, topic, bytes(blob))
    log = bytes(32)
    for nid, (k, version, topic, blob) in enumerate(rewritten, 1):
        db.execute(
            "INSERT INTO stored_events (rowid, originator_id, originator_version, topic, "
            "state) VALUES (?,?,?,?,?)",
            (nid, k, version, topic, blob),
        )
        log = log_link(log, nid, digests[k, version])
        db.execute(
            "INSERT INTO event_chain VALUES (?,?,?,?,?)",
            (nid, k, version, digests[k, version], log),
        )
    assert kinds(check(database)) == {"seal_mismatch"}
    # a rewritten seal row does not help the forger: it is not signed by the county's key
    db.execute("UPDATE chain_seals SET head=?, events=events+1", (log.hex(),))
    assert kinds(check(database)) == {"seal_mismatch"}
    # and the seal kept outside the database still disagrees
    assert kinds(check(database, against=sealed)) == {"seal_mismatch"}


def test_verify_and_seal_from_the_command_line(database: Path, db: sqlite3.Connection) -> None:
    runner = CliRunner()
    url = ["--database-url", f"sqlite:///{database}"]
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


def test_the_application_still_reads_what_it_wrote(database: Path) -> None:
    flow = build_flow(Settings(database_url=f"sqlite:///{database}"))
    reader = sqlite3.connect(database)
    (first,) = reader.execute(
        "SELECT originator_id FROM stored_events WHERE topic LIKE 'aggregates.incident:%' LIMIT 1"
    ).fetchone()
    assert flow.get(UUID(first)).version >= 1
