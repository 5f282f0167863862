"""The tamper matrix: what someone who can write to the database (and holds no
key) might do, each case found and located by ``verify``, on SQLite and on
PostgreSQL.

Every case starts from a private copy of one history: the demo, an incident
chased to 55 events (snapshotted at version 50), sealed twice (the seals also in
the witness file), two events after the last seal, read models caught up. Each
test first verifies the untouched copy clean with the very check it then expects
to fail, so no case passes by a check that cannot fail.

Not here: editing an account's role. Accounts are still a table of the read
side; once they are events, a role edited in the table is a read-model row that
differs from the rebuild (the read-model case below), and an edited role event is
an altered event (the first case), both without a change to ``verify``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from uuid import UUID

import pytest
from typer.testing import CliRunner

from api.cli import app
from loop import demo
from loop.bootstrap import build_loop, open_loop
from loop.settings import Settings
from loop.storage.chain import event_digest, log_link
from loop.storage.chain_readers import open_chain_reader
from loop.storage.persistence import application_env, build_key_store, sqlite_path
from loop.storage.proof_keys import ProofKeys, proof_keys
from loop.storage.sealing import seal_now
from loop.storage.seals import Seal
from loop.storage.snapshots import snapshot_digest
from loop.storage.verification import SealRefused, verify
from loop.storage.witness import Witness
from projections import build
from projections.checking import compare
from tests.api.served import keys_file_of_tests
from tests.integration.test_tamper_evidence import Store, aggregate, other_than, set_state, state
from tests.postgres import create_postgres_database, drop_postgres_database

KEYS_FILE = keys_file_of_tests()
"""The installation keys every history of these tests is written and sealed with."""
KEYS = proof_keys(Settings(keys_file=str(KEYS_FILE)))
FORGED_WHAT = "一切正常，无需处置"
TRUE_WHAT = "夜间多人聚集携带器械，疑似准备斗殴"

Finding = tuple[str, str | None, int | None, int | None]


def settings_for(url: str, witness: Path) -> Settings:
    return Settings(database_url=url, witness_path=str(witness), keys_file=str(KEYS_FILE))


def write_history(url: str, witness: Path) -> None:
    settings = settings_for(url, witness)
    flow = build_loop(settings).incidents
    ids = demo.run(flow)
    seal_now(settings)
    long = UUID(ids["escalated_to_county"])
    for n in range(55 - flow.get(long).version):
        flow.take("chase", demo.OFFICER_HP, long, asked="县局", answer=f"第{n}次答复")
    views = build(settings, flow.app)
    views.projector.catch_up()
    views.store.dispose()
    seal_now(settings)
    quiet = UUID(ids["awaiting_triage"])
    flow.take("accept", demo.OFFICER_HP, quiet)  # the unsealed tail: two events after the last seal
    flow.take("record_outcome", demo.OFFICER_HP, quiet, summary="积水已清除，撒布融雪剂")
    flow.app.close()


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def history(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[tuple[str, Path]]:
    """The history every case copies: its URL and its witness file."""
    folder = tmp_path_factory.mktemp(f"history-{backend}")
    witness = folder / "witness.jsonl"
    if backend == "sqlite":
        url = f"sqlite:///{folder}/lishu.db"
        write_history(url, witness)
        yield url, witness
        return
    server = str(request.getfixturevalue("postgres_server"))
    url = create_postgres_database(server)
    write_history(url, witness)
    yield url, witness
    drop_postgres_database(server, url)


@dataclass
class Case:
    """A private copy of the history, and the means to tamper with it."""

    url: str
    witness: Path
    db: Store
    long: str
    """The incident with 55 events, snapshotted at version 50."""

    def check(self, keys: ProofKeys = KEYS, against: Seal | None = None) -> set[Finding]:
        with open_chain_reader(self.url) as reader:
            report = verify(
                reader, keys, against=against, witness=Witness(self.witness).read().seals
            )
        return {(d.kind, d.incident_id, d.version, d.notification_id) for d in report.damage}

    def seals(self) -> list[Seal]:
        with open_chain_reader(self.url) as reader:
            return reader.seals()

    def chained(self, key: str, version: int) -> tuple[int, bytes, bytes]:
        """A chain row: (notification id, digest, log chain value)."""
        ((nid, digest, log),) = self.db.run(
            "SELECT notification_id, digest, log_chain FROM event_chain "
            "WHERE originator_id=? AND originator_version=?",
            (key, version),
        )
        return int(nid), bytes(digest), bytes(log)

    def at(self, nid: int) -> tuple[str, int]:
        """The aggregate key and version chained at a notification."""
        ((key, version),) = self.db.run(
            "SELECT originator_id, originator_version FROM event_chain WHERE notification_id=?",
            (nid,),
        )
        return str(key), int(version)

    def head(self) -> tuple[int, bytes]:
        ((nid, log),) = self.db.run(
            "SELECT notification_id, log_chain FROM event_chain "
            "ORDER BY notification_id DESC LIMIT 1"
        )
        return int(nid), bytes(log)


@pytest.fixture
def case(
    backend: str, history: tuple[str, Path], tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Case]:
    source, witness = history
    shutil.copyfile(witness, tmp_path / "witness.jsonl")
    if backend == "sqlite":
        shutil.copyfile(sqlite_path(source), tmp_path / "lishu.db")
        url = f"sqlite:///{tmp_path}/lishu.db"
    else:
        server = str(request.getfixturevalue("postgres_server"))
        url = create_postgres_database(server, template=urlsplit(source).path.lstrip("/"))
    db = Store(url)
    (long,) = db.run(
        "SELECT originator_id FROM event_chain GROUP BY originator_id "
        "HAVING MAX(originator_version) = 55"
    )
    yield Case(url, tmp_path / "witness.jsonl", db, str(long[0]))
    db.close()
    if backend == "postgres":
        drop_postgres_database(str(request.getfixturevalue("postgres_server")), url)


def snapshot_state(case: Case, key: str, version: int) -> bytes:
    ((blob,),) = case.db.run(
        "SELECT state FROM {snapshots} WHERE {key}=? AND originator_version=?", (key, version)
    )
    return bytes(blob)


def forge_snapshot(case: Case) -> bytes:
    forged = snapshot_state(case, case.long, 50).replace(TRUE_WHAT.encode(), FORGED_WHAT.encode())
    case.db.run(
        "UPDATE {snapshots} SET state=? WHERE {key}=? AND originator_version=50",
        (forged, case.long),
    )
    return forged


# -- the cases: each tampers, and returns the findings that must be reported -------------


def edit_an_event(case: Case) -> set[Finding]:
    key = aggregate(case.db, 10)
    blob = bytearray(state(case.db, key, 3))
    blob[-5] ^= 0x01
    set_state(case.db, key, 3, bytes(blob))
    return {("altered", key, 3, case.chained(key, 3)[0])}


def edit_a_snapshot(case: Case) -> set[Finding]:
    assert forge_snapshot(case) != b""
    return {("snapshot_altered", case.long, 50, None)}


def edit_a_snapshot_and_rewrite_its_record(case: Case) -> set[Finding]:
    """The forger recomputes the record's digest too; only the MAC is beyond him."""
    forged = forge_snapshot(case)
    _, chained, _ = case.chained(case.long, 50)
    topic = "eventsourcing.domain:Snapshot"
    digest = snapshot_digest(chained, case.long, 50, topic, forged)
    case.db.run(
        "UPDATE snapshot_chain SET digest=? WHERE originator_id=? AND originator_version=50",
        (digest, case.long),
    )
    return {("snapshot_altered", case.long, 50, None)}


def insert_a_snapshot(case: Case) -> set[Finding]:
    other, _ = other_than(case.db, case.long)
    case.db.run(
        "INSERT INTO {snapshots} (originator_id, originator_version, topic, state) "
        "VALUES ({id}, 2, ?, ?)",
        (other, "eventsourcing.domain:Snapshot", snapshot_state(case, case.long, 50)),
    )
    return {("snapshot_inserted", other, 2, None)}


def delete_a_snapshot(case: Case) -> set[Finding]:
    case.db.run("DELETE FROM {snapshots} WHERE {key}=?", (case.long,))
    return {("snapshot_deleted", case.long, 50, None)}


def delete_a_snapshot_and_its_record(case: Case) -> set[Finding]:
    case.db.run("DELETE FROM {snapshots} WHERE {key}=?", (case.long,))
    case.db.run("DELETE FROM snapshot_chain WHERE originator_id=?", (case.long,))
    return {("snapshot_deleted", None, None, None)}  # the seal counted one record


def delete_an_event_in_the_middle(case: Case) -> set[Finding]:
    """Its chain row too: the gap, the next event of the incident (chained to the
    deleted one), the break in the log after it and both seals say so."""
    key = aggregate(case.db, 10)
    nid, _, _ = case.chained(key, 5)
    sealed = [(s.up_to, *case.at(s.up_to)) for s in case.seals()]
    case.db.run("DELETE FROM {events} WHERE {key}=? AND originator_version=5", (key,))
    case.db.run("DELETE FROM event_chain WHERE notification_id=?", (nid,))
    return {
        ("deleted", key, 5, None),
        ("altered", key, 6, case.chained(key, 6)[0]),
        ("log_broken", *case.at(nid + 1), nid + 1),
        *(("seal_mismatch", k, v, up_to) for up_to, k, v in sealed),
    }


def delete_the_tail_after_a_seal(case: Case) -> set[Finding]:
    last = case.seals()[-1]
    case.db.run("DELETE FROM {events} WHERE {nid} > ?", (last.up_to - 3,))
    case.db.run("DELETE FROM event_chain WHERE notification_id > ?", (last.up_to - 3,))
    with pytest.raises(SealRefused, match=r"shorter|log_truncated"):
        seal_now(settings_for(case.url, case.witness))  # and the shortened log is not sealed
    return {("log_truncated", None, None, last.up_to)}


def append_an_event(case: Case) -> set[Finding]:
    """Appended with a digest and log link recomputed: only the record MAC is missing."""
    key = aggregate(case.db, 10)
    _, previous_digest, _ = case.chained(key, 10)
    head, log = case.head()
    topic = "aggregates.incident:Incident.Closed"
    blob = state(case.db, key, 10)
    digest = event_digest(previous_digest, key, 11, topic, blob)
    case.db.run(
        "INSERT INTO {events} (originator_id, originator_version, topic, state) "
        "VALUES ({id}, 11, ?, ?)",
        (key, topic, blob),
    )
    ((new,),) = case.db.run("SELECT MAX({nid}) FROM {events}")
    case.db.run(
        "INSERT INTO event_chain VALUES (?,?,?,?,?,?)",
        (new, key, 11, digest, log_link(log, int(new), digest), b"\x00" * 32),
    )
    assert int(new) == head + 1
    return {("unauthenticated", key, 11, head + 1)}


def append_an_event_without_a_chain_row(case: Case) -> set[Finding]:
    key = aggregate(case.db, 10)
    case.db.run(
        "INSERT INTO {events} (originator_id, originator_version, topic, state) "
        "VALUES ({id}, 11, ?, ?)",
        (key, "aggregates.incident:Incident.Closed", state(case.db, key, 10)),
    )
    ((new,),) = case.db.run("SELECT MAX({nid}) FROM {events}")
    return {("inserted", key, 11, int(new))}


def reorder_two_events(case: Case) -> set[Finding]:
    key = aggregate(case.db, 10)
    for old, new in ((3, -1), (4, 3), (-1, 4)):
        case.db.run(
            "UPDATE {events} SET originator_version=? WHERE {key}=? AND originator_version=?",
            (new, key, old),
        )
    three, four = case.chained(key, 3)[0], case.chained(key, 4)[0]
    return {
        ("moved", key, 3, three),  # notification 3's chain row names v3; it holds v4
        ("moved", key, 4, four),
        ("inserted", key, 4, three),  # the event now stored as v4 has no chain row as v4
        ("inserted", key, 3, four),
        ("altered", key, 5, case.chained(key, 5)[0]),  # chained to the true v4
    }


def swap_two_aggregates_rows(case: Case) -> set[Finding]:
    first = aggregate(case.db, 10)
    second, _ = other_than(case.db, first)
    a, b = state(case.db, first, 2), state(case.db, second, 2)
    set_state(case.db, first, 2, b)
    set_state(case.db, second, 2, a)
    return {
        ("altered", first, 2, case.chained(first, 2)[0]),
        ("altered", second, 2, case.chained(second, 2)[0]),
    }


def forge_a_seal_in_the_table(case: Case) -> set[Finding]:
    last = case.seals()[-1]
    head, log = case.head()
    case.db.run(
        "INSERT INTO chain_seals (seq, up_to, events, head, sealed_at, previous, mac) "
        "VALUES (?,?,?,?,?,?,?)",
        (last.seq + 1, head, head, log.hex(), last.sealed_at, last.mac, "not-a-mac"),
    )
    return {("seal_unauthentic", None, None, head)}


def drop_the_seals_table(case: Case) -> set[Finding]:
    seals = case.seals()
    case.db.run("DROP TABLE chain_seals")
    return {("seal_missing", None, None, s.up_to) for s in seals}


def shorten_the_seals_table(case: Case) -> set[Finding]:
    last = case.seals()[-1]
    case.db.run("DELETE FROM chain_seals WHERE seq=?", (last.seq,))
    return {("seal_missing", None, None, last.up_to)}


def resign_a_seal_with_a_wrong_key(case: Case) -> set[Finding]:
    last = case.seals()[-1]
    wrong = last.signed(b"a key that is not the county's")
    case.db.run("UPDATE chain_seals SET mac=? WHERE seq=?", (wrong.mac, last.seq))
    return {
        ("seal_unauthentic", None, None, last.up_to),
        ("seal_missing", None, None, last.up_to),  # it is not the seal the witness holds
    }


CASES: dict[str, Callable[[Case], set[Finding]]] = {
    f.__name__: f
    for f in (
        edit_an_event,
        edit_a_snapshot,
        edit_a_snapshot_and_rewrite_its_record,
        insert_a_snapshot,
        delete_a_snapshot,
        delete_a_snapshot_and_its_record,
        delete_an_event_in_the_middle,
        delete_the_tail_after_a_seal,
        append_an_event,
        append_an_event_without_a_chain_row,
        reorder_two_events,
        swap_two_aggregates_rows,
        forge_a_seal_in_the_table,
        drop_the_seals_table,
        shorten_the_seals_table,
        resign_a_seal_with_a_wrong_key,
    )
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_tampering_is_found_and_located(case: Case, name: str) -> None:
    assert case.check() == set()  # untouched, the same check finds nothing
    expected = CASES[name](case)
    assert case.check() == expected


def test_a_fabricated_seal_given_to_check_against_is_refused(case: Case) -> None:
    """A history rewritten and re-chained, with a seal made up to match it."""
    head, log = case.head()
    genuine = case.seals()[-1]
    assert case.check(against=genuine) == set()
    made_up = Seal(
        genuine.seq, head, head, log.hex(), genuine.sealed_at, genuine.previous, "not-a-mac"
    )
    assert case.check(against=made_up) == {("seal_unauthentic", None, None, head)}
    resigned = made_up.signed(b"a key that is not the county's")
    assert case.check(against=resigned) == {("seal_unauthentic", None, None, head)}


def test_seals_checked_with_another_county_s_key_do_not_authenticate(case: Case) -> None:
    assert case.check() == set()
    other = ProofKeys(seal=b"another county's seal key", record=KEYS.record)
    assert {kind for kind, *_ in case.check(other)} == {"seal_unauthentic"}


def test_an_edited_read_model_row_is_found_by_comparing_with_a_rebuild(case: Case) -> None:
    flow = build_loop(settings_for(case.url, case.witness)).incidents
    views = build(settings_for(case.url, case.witness), flow.app)
    try:
        assert compare(views.projector) == []  # untouched: the rebuild agrees row for row
        ((volunteer, earned),) = case.db.run(
            "SELECT volunteer_id, earned FROM scores_v1 ORDER BY earned DESC LIMIT 1"
        )
        case.db.run("UPDATE scores_v1 SET earned=? WHERE volunteer_id=?", (earned + 100, volunteer))
        (incident,) = case.db.run("SELECT incident_id FROM backlog_v2 ORDER BY incident_id LIMIT 1")
        case.db.run(
            "UPDATE backlog_v2 SET owner_unit=? WHERE incident_id=?",
            ("lishu/chaoyang/nowhere", incident[0]),
        )
        found = {(d.table, tuple(d.key.values())) for d in compare(views.projector)}
        assert found == {("scores.scores", (volunteer,)), ("backlog.backlog", (incident[0],))}
        differing = {d.table: d for d in compare(views.projector)}["scores.scores"]
        assert differing.live is not None
        assert differing.rebuilt is not None
        assert (differing.live["earned"], differing.rebuilt["earned"]) == (earned + 100, earned)
        command = ["verify", "--database-url", case.url, "--witness", str(case.witness)]
        runner = CliRunner(env={"LISHU_KEYS_FILE": str(KEYS_FILE)})
        printed = runner.invoke(app, [*command, "--read-models"])
        assert printed.exit_code == 1
        assert "read models differ: 2 row(s)" in printed.output
        assert f"scores.scores [volunteer_id={volunteer}]: earned: live {earned + 100}, " in (
            printed.output
        )
        assert runner.invoke(app, command).exit_code == 0  # the events are intact
    finally:
        views.store.dispose()
        flow.app.close()


def test_a_forged_snapshot_is_not_used_and_the_events_answer(case: Case) -> None:
    flow = build_loop(settings_for(case.url, case.witness)).incidents
    try:
        assert flow.get(UUID(case.long)).what == TRUE_WHAT
        assert flow.app.snapshots.rejected == {}  # type: ignore[union-attr]
    finally:
        flow.app.close()
    forge_snapshot(case)
    flow = build_loop(settings_for(case.url, case.witness)).incidents
    try:
        incident = flow.get(UUID(case.long))
        assert (incident.what, incident.version) == (TRUE_WHAT, 55)
        assert list(flow.app.snapshots.rejected) == [(case.long, 50)]  # type: ignore[union-attr]
        assert flow.get(UUID(case.long), version=52).what == TRUE_WHAT
        # with an older snapshot that authenticates, a load starts from that one
        assert flow.app.snapshots is not None
        assert list(flow.app.snapshots.get(UUID(case.long), desc=True, limit=1)) == []
        flow.app.take_snapshot(UUID(case.long), version=40)
        (older,) = flow.app.snapshots.get(UUID(case.long), desc=True, limit=1)
        assert older.originator_version == 40
        assert flow.get(UUID(case.long)).what == TRUE_WHAT
    finally:
        flow.app.close()


def test_without_a_record_key_no_snapshot_is_taken_or_used(case: Case) -> None:
    settings = settings_for(case.url, case.witness)
    unsigned = open_loop(application_env(settings), key_store=build_key_store(settings))
    flow = unsigned.incidents
    try:
        assert flow.app.record_key is None
        assert flow.get(UUID(case.long)).version == 55  # replayed: nothing vouches for v50
        assert flow.app.snapshots is not None
        assert list(flow.app.snapshots.get(UUID(case.long))) == []
        flow.app.take_snapshot(UUID(case.long))  # nothing can vouch for it: not stored
        ((count,),) = case.db.run("SELECT COUNT(*) FROM {snapshots}")
        assert count == 1  # only the signed one taken at version 50
    finally:
        unsigned.close()
