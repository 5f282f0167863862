"""Verify the stored history against its hash chain and seals, streaming.

Two passes over the stored rows, each in bounded memory:

* in notification order over the chain table: every chained event is still
  stored under the same aggregate and version, and the log chain recomputes;
* in aggregate order over the events table: versions run 1, 2, 3... without a
  gap, every event has a chain row, and each digest recomputes from the stored
  bytes and the aggregate's previous digest.

Both stores are read the same way through a ``ChainReader``: ``SQLiteChainReader``
on the file, ``PostgresChainReader`` (server-side cursors, one snapshot) on a
server; ``open_chain_reader`` picks one from the database URL.

Seals (``seal``) fix the log chain's head at a notification with an HMAC, so a
history rewritten wholesale, digests and all, still fails against them; a seal
printed and kept elsewhere (``verify(..., against=...)``) proves the same.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from loop.errors import InvalidInput
from loop.storage.application import LoopApplication
from loop.storage.chain import CHAIN_TABLE, GENESIS, event_digest, log_link
from loop.storage.persistence import postgres_conninfo, sqlite_path

EVENTS_TABLE = "stored_events"
POSTGRES_EVENTS_TABLE = f"{LoopApplication.name.lower()}_events"  # the library's name for it
SEALS_TABLE = "chain_seals"
BATCH = 5000
CHAIN_ALONE = (  # the log pass when every chain row's event is known to be in place
    f"SELECT notification_id, digest, log_chain FROM {CHAIN_TABLE} ORDER BY notification_id"
)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Damage:
    """One finding: what kind of damage, where."""

    kind: str  # altered | deleted | inserted | moved | log_broken | seal_mismatch
    incident_id: str | None
    version: int | None
    notification_id: int | None
    detail: str


@dataclass
class Report:
    events: int = 0
    head: str = GENESIS.hex()
    up_to: int = 0
    damage: list[Damage] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.damage

    def summary(self) -> str:
        if self.intact:
            return f"完好 intact: {self.events} events, chain head {self.head}"
        lines = [f"发现 {len(self.damage)} 处损坏 damaged: {len(self.damage)} finding(s)"]
        lines += [
            f"  {d.kind}: incident {d.incident_id} v{d.version} "
            f"(notification {d.notification_id}): {d.detail}"
            for d in self.damage
        ]
        return "\n".join(lines)


@dataclass(frozen=True)
class Seal:
    """The log chain's head at notification ``up_to``, as printed for publication."""

    seq: int
    up_to: int
    events: int
    head: str
    sealed_at: str
    previous: str
    mac: str

    def content(self) -> bytes:
        fields = (self.seq, self.up_to, self.events, self.head, self.sealed_at, self.previous)
        return json.dumps(fields, separators=(",", ":")).encode()

    def signed(self, key: bytes) -> Seal:
        mac = hmac.new(key, self.content(), hashlib.sha256).hexdigest()
        return Seal(**{**asdict(self), "mac": mac})

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Seal:
        return cls(**json.loads(text))


def _no_chain() -> InvalidInput:
    return InvalidInput(
        "该数据库中没有事件与哈希链",
        "this database holds no events or hash chain",
        field="database_url",
    )


class ChainReader(ABC):
    """What verification and sealing read and write, whatever the store."""

    placeholder = "?"

    @abstractmethod
    def _fetch_one(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
        """One row of a query, read in the reader's snapshot."""

    def count(self) -> int:
        """The number of chain rows."""
        row = self._fetch_one(f"SELECT COUNT(*) FROM {CHAIN_TABLE}")
        assert row is not None
        return int(row[0])

    def chained(self, notification_id: int) -> tuple[str, int]:
        """The aggregate key and version chained at a notification."""
        row = self._fetch_one(
            f"SELECT originator_id, originator_version FROM {CHAIN_TABLE} "
            f"WHERE notification_id = {self.placeholder}",
            (notification_id,),
        )
        assert row is not None
        return row[0], row[1]

    @abstractmethod
    def chain_in_log_order(self, with_events: bool = True) -> Iterator[tuple[Any, ...]]:
        """(notification id, digest, log chain, chained id, chained version,
        stored id or None, stored version or None), streamed.

        Without ``with_events`` the chain table is read alone, for the first
        three: enough once the aggregate pass has found every chain row's event
        in place.
        """

    @abstractmethod
    def events_in_aggregate_order(self) -> Iterator[tuple[Any, ...]]:
        """(id, version, topic, state, notification id, chained digest or None),
        streamed; ids are the chain's keys (UUID hex)."""

    @abstractmethod
    def seals(self) -> list[Seal]: ...

    @abstractmethod
    def add_seal(self, seal: Seal) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> ChainReader:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class SQLiteChainReader(ChainReader):
    """Reads events, chain rows and seals straight from an SQLite file.

    Reads share one read transaction, so both passes see the same snapshot of a
    file other processes go on writing (WAL); a seal is written in its own.
    """

    def __init__(self, path: str) -> None:
        try:  # an existing file only: a mistyped path must not create an empty one
            self.connection = sqlite3.connect(
                Path(path).resolve().as_uri() + "?mode=rw", uri=True, isolation_level=None
            )
        except sqlite3.OperationalError:
            raise _no_chain() from None
        (tables,) = self.connection.execute(
            "SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name IN (?,?)",
            (EVENTS_TABLE, CHAIN_TABLE),
        ).fetchone()
        if tables != 2:
            self.connection.close()
            raise _no_chain()

    def close(self) -> None:
        self.connection.close()

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        if not self.connection.in_transaction:
            self.connection.execute("BEGIN")
        return self.connection.execute(sql, params)

    def _stream(self, sql: str, params: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
        cursor = self._read(sql, params)
        return itertools.chain.from_iterable(iter(lambda: cursor.fetchmany(BATCH), []))

    def _fetch_one(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = self._read(sql, params).fetchone()
        return row

    def chain_in_log_order(self, with_events: bool = True) -> Iterator[tuple[Any, ...]]:
        if not with_events:
            return self._stream(CHAIN_ALONE)
        return self._stream(
            "SELECT c.notification_id, c.digest, c.log_chain, c.originator_id, "
            f"c.originator_version, e.originator_id, e.originator_version FROM {CHAIN_TABLE} c "
            f"LEFT JOIN {EVENTS_TABLE} e ON e.rowid = c.notification_id "
            "ORDER BY c.notification_id"
        )

    def events_in_aggregate_order(self) -> Iterator[tuple[Any, ...]]:
        return self._stream(
            f"SELECT e.originator_id, e.originator_version, e.topic, e.state, e.rowid, "
            f"c.digest FROM {EVENTS_TABLE} e LEFT JOIN {CHAIN_TABLE} c "
            "ON c.notification_id = e.rowid "
            "AND c.originator_id = e.originator_id "
            "AND c.originator_version = e.originator_version "
            "ORDER BY e.originator_id, e.originator_version"
        )

    def seals(self) -> list[Seal]:
        (exists,) = self._read(
            "SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name=?", (SEALS_TABLE,)
        ).fetchone()
        if not exists:
            return []
        rows = self._read(
            f"SELECT seq, up_to, events, head, sealed_at, previous, mac FROM {SEALS_TABLE} "
            "ORDER BY seq"
        ).fetchall()
        return [Seal(*row) for row in rows]

    def add_seal(self, seal: Seal) -> None:
        if self.connection.in_transaction:  # leave the reading snapshot
            self.connection.execute("COMMIT")
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            self.connection.execute(
                f"CREATE TABLE IF NOT EXISTS {SEALS_TABLE} (seq INTEGER PRIMARY KEY, "
                "up_to INTEGER, events INTEGER, head TEXT, sealed_at TEXT, previous TEXT, "
                "mac TEXT)"
            )
            self.connection.execute(
                f"INSERT INTO {SEALS_TABLE} VALUES (?,?,?,?,?,?,?)", _seal_row(seal)
            )
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("COMMIT")


class PostgresChainReader(ChainReader):
    """Reads events, chain rows and seals from PostgreSQL, in one snapshot.

    Rows stream through server-side cursors, ``BATCH`` at a time, so memory stays
    bounded however long the log; both passes read the same REPEATABLE READ
    snapshot, so events written meanwhile are simply not yet looked at.
    """

    _names = itertools.count()

    def __init__(self, conninfo: str, events_table: str = POSTGRES_EVENTS_TABLE) -> None:
        import psycopg

        self.connection = psycopg.connect(conninfo)
        self.connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        self.events = events_table
        row = self.connection.execute(
            "SELECT to_regclass(%s) IS NOT NULL AND to_regclass(%s) IS NOT NULL",
            (events_table, CHAIN_TABLE),
        ).fetchone()
        if not (row and row[0]):
            self.connection.close()
            raise _no_chain()

    def close(self) -> None:
        self.connection.close()

    def _stream(self, sql: str) -> Iterator[tuple[Any, ...]]:
        with self.connection.cursor(
            name=f"chain_reader_{next(self._names)}", binary=True
        ) as cursor:
            cursor.itersize = BATCH
            cursor.execute(sql)
            yield from cursor

    placeholder = "%s"

    def _fetch_one(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
        return self.connection.execute(sql, params).fetchone()

    def chain_in_log_order(self, with_events: bool = True) -> Iterator[tuple[Any, ...]]:
        if not with_events:
            return self._stream(CHAIN_ALONE)
        return self._stream(
            "SELECT c.notification_id, c.digest, c.log_chain, c.originator_id, "
            "c.originator_version, replace(e.originator_id::text, '-', ''), "
            "e.originator_version "
            f"FROM {CHAIN_TABLE} c LEFT JOIN {self.events} e "
            "ON e.notification_id = c.notification_id ORDER BY c.notification_id"
        )

    def events_in_aggregate_order(self) -> Iterator[tuple[Any, ...]]:
        return self._stream(
            "SELECT e.key, e.originator_version, e.topic, e.state, e.notification_id, "
            "c.digest FROM (SELECT replace(originator_id::text, '-', '') AS key, * "
            f"FROM {self.events}) e LEFT JOIN {CHAIN_TABLE} c "
            "ON c.notification_id = e.notification_id "
            "AND c.originator_id = e.key "
            "AND c.originator_version = e.originator_version "
            "ORDER BY e.originator_id, e.originator_version"
        )

    def seals(self) -> list[Seal]:
        row = self.connection.execute("SELECT to_regclass(%s) IS NOT NULL", (SEALS_TABLE,))
        exists = row.fetchone()
        if not (exists and exists[0]):
            return []
        rows = self.connection.execute(
            f"SELECT seq, up_to, events, head, sealed_at, previous, mac FROM {SEALS_TABLE} "
            "ORDER BY seq"
        ).fetchall()
        return [Seal(*r) for r in rows]

    def add_seal(self, seal: Seal) -> None:
        self.connection.commit()  # leave the reading snapshot; the seal is written afresh
        with self.connection.transaction():
            self.connection.execute(
                f"CREATE TABLE IF NOT EXISTS {SEALS_TABLE} (seq integer PRIMARY KEY, "
                "up_to bigint, events bigint, head text, sealed_at text, previous text, "
                "mac text)"
            )
            self.connection.execute(
                f"INSERT INTO {SEALS_TABLE} VALUES (%s,%s,%s,%s,%s,%s,%s)", _seal_row(seal)
            )


def _seal_row(seal: Seal) -> tuple[Any, ...]:
    return (seal.seq, seal.up_to, seal.events, seal.head, seal.sealed_at, seal.previous, seal.mac)


def open_chain_reader(database_url: str) -> ChainReader:
    """The reader for the database a URL names (SQLite file or PostgreSQL)."""
    scheme = urlsplit(database_url).scheme
    if scheme == "sqlite":
        return SQLiteChainReader(sqlite_path(database_url))
    if scheme.startswith("postgresql"):
        return PostgresChainReader(postgres_conninfo(database_url))
    raise InvalidInput(
        "校验与封存需要 SQLite 文件或 PostgreSQL 数据库",
        "verify and seal need an SQLite file or a PostgreSQL database",
        field="database_url",
    )


def verify(
    reader: ChainReader,
    *,
    key: bytes | None = None,
    against: Seal | None = None,
    progress: Progress | None = None,
) -> Report:
    """Check the whole log; with ``key``, also the stored seals; with ``against``,
    a seal kept outside the database.

    The aggregate pass runs first and counts the chain rows it found in place
    beside their events; when that is every chain row, the log pass reads the
    chain table alone, and otherwise joins the events again to say which
    chained event was deleted or moved.
    """
    report = Report()
    seals = reader.seals()
    checkpoints = {s.up_to: s for s in seals}
    if against is not None:
        checkpoints[against.up_to] = against
    total = reader.count() * 2
    events_damage, in_place = _check_aggregates(reader, progress, total)
    remaining = dict(checkpoints)
    log_damage = _check_log(reader, report, remaining, progress, total, with_events=False)
    if report.events != in_place:
        remaining = dict(checkpoints)
        log_damage = _check_log(reader, report, remaining, progress, total, with_events=True)
    report.damage = log_damage + events_damage
    for seal in remaining.values():  # sealed notifications no longer in the chain
        report.damage.append(
            Damage(
                "seal_mismatch",
                None,
                None,
                seal.up_to,
                f"seal {seal.seq} covers notification {seal.up_to}, which is gone",
            )
        )
    if key is not None:
        _check_macs(seals, key, report)
    return report


def _check_log(
    reader: ChainReader,
    report: Report,
    checkpoints: dict[int, Seal],
    progress: Progress | None,
    total: int,
    *,
    with_events: bool,
) -> list[Damage]:
    damage: list[Damage] = []
    log, n, nid = GENESIS, 0, 0
    for n, row in enumerate(reader.chain_in_log_order(with_events), 1):
        nid, digest, stored_log = row[0], row[1], row[2]
        if with_events and (row[5] != row[3] or row[6] != row[4]):
            damage.append(_misplaced(nid, *row[3:]))
        log = log_link(log, nid, bytes(digest))
        if log != stored_log:
            damage.append(
                Damage(
                    "log_broken",
                    *_where(reader, row),
                    nid,
                    "log chain does not recompute: an event before this "
                    "one was removed, inserted or its digest rewritten",
                )
            )
            log = bytes(stored_log)  # resynchronise, so each break is reported once
        seal = checkpoints.pop(nid, None) if checkpoints else None
        if seal is not None and (log.hex(), n) != (seal.head, seal.events):
            damage.append(
                Damage(
                    "seal_mismatch",
                    *_where(reader, row),
                    nid,
                    f"history up to seal {seal.seq} differs from the sealed head",
                )
            )
        if progress and n % BATCH == 0:
            progress(total // 2 + n, total)
    report.events, report.head, report.up_to = n, log.hex(), nid
    return damage


def _where(reader: ChainReader, row: tuple[Any, ...]) -> tuple[str, int]:
    """The aggregate key and version of a log pass row, looked up if not read."""
    return (row[3], row[4]) if len(row) > 3 else reader.chained(row[0])


def _misplaced(
    nid: int, key: str, version: int, event_key: str | None, event_version: int | None
) -> Damage:
    if event_key is None:
        return Damage(
            "deleted", key, version, nid, "chained event is missing from the events table"
        )
    return Damage(
        "moved", key, version, nid, f"notification now holds {event_key} v{event_version}"
    )


def _check_aggregates(
    reader: ChainReader, progress: Progress | None, total: int
) -> tuple[list[Damage], int]:
    """The damage found in aggregate order, and how many chain rows were in place."""
    damage: list[Damage] = []
    in_place = 0
    current, expected, previous = None, 1, GENESIS
    for n, row in enumerate(reader.events_in_aggregate_order(), 1):
        key, version, topic, state, nid, digest = row
        if key != current:
            current, expected, previous = key, 1, GENESIS
        if version != expected:
            damage.append(
                Damage(
                    "deleted",
                    key,
                    expected,
                    None,
                    f"versions jump from {expected - 1} to {version}",
                )
            )
        recomputed = event_digest(previous, key, version, topic, state)
        if digest is None:
            damage.append(Damage("inserted", key, version, nid, "stored event has no chain row"))
        else:
            in_place += 1
            if recomputed != digest:
                damage.append(
                    Damage(
                        "altered",
                        key,
                        version,
                        nid,
                        "stored bytes or the previous event do not match the digest",
                    )
                )
        previous, expected = (bytes(digest) if digest is not None else recomputed), version + 1
        if progress and n % BATCH == 0:
            progress(n, total)
    return damage, in_place


def _check_macs(seals: list[Seal], key: bytes, report: Report) -> None:
    previous = ""
    for seal in seals:
        if not hmac.compare_digest(seal.signed(key).mac, seal.mac) or seal.previous != previous:
            report.damage.append(
                Damage(
                    "seal_mismatch",
                    None,
                    None,
                    seal.up_to,
                    f"seal {seal.seq} is not signed by this county's key",
                )
            )
        previous = seal.mac


def seal(reader: ChainReader, key: bytes, now: datetime) -> tuple[Seal, Report]:
    """Verify, then seal the log up to its last notification (nothing if damaged)."""
    report = verify(reader, key=key)
    if not report.intact:
        raise ValueError(report.summary())
    seals = reader.seals()
    new = Seal(
        seq=len(seals) + 1,
        up_to=report.up_to,
        events=report.events,
        head=report.head,
        sealed_at=now.isoformat(),
        previous=seals[-1].mac if seals else "",
        mac="",
    )
    new = new.signed(key)
    reader.add_seal(new)
    return new, report
