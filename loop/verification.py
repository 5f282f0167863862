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

from loop.bootstrap import postgres_conninfo, sqlite_path
from loop.chain import CHAIN_TABLE, GENESIS, event_digest, log_link
from loop.errors import InvalidInput
from loop.flow import IncidentFlow

EVENTS_TABLE = "stored_events"
POSTGRES_EVENTS_TABLE = f"{IncidentFlow.name.lower()}_events"  # the library's name for it
SEALS_TABLE = "chain_seals"
BATCH = 5000

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

    @abstractmethod
    def count(self) -> int:
        """The number of chain rows."""

    @abstractmethod
    def chain_in_log_order(self) -> Iterator[tuple[Any, ...]]:
        """(notification id, chained id, chained version, digest, log chain,
        stored id or None, stored version or None), streamed."""

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
    """Reads events, chain rows and seals straight from an SQLite file."""

    def __init__(self, path: str) -> None:
        try:  # an existing file only: a mistyped path must not create an empty one
            self.connection = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=rw", uri=True)
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

    def _stream(self, sql: str, params: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
        cursor = self.connection.execute(sql, params)
        while rows := cursor.fetchmany(BATCH):
            yield from rows

    def count(self) -> int:
        (n,) = self.connection.execute(f"SELECT COUNT(*) FROM {CHAIN_TABLE}").fetchone()
        return int(n)

    def chain_in_log_order(self) -> Iterator[tuple[Any, ...]]:
        return self._stream(
            f"SELECT c.notification_id, c.originator_id, c.originator_version, c.digest, "
            f"c.log_chain, e.originator_id, e.originator_version FROM {CHAIN_TABLE} c "
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
        self._create_seals_table()
        rows = self.connection.execute(
            f"SELECT seq, up_to, events, head, sealed_at, previous, mac FROM {SEALS_TABLE} "
            "ORDER BY seq"
        ).fetchall()
        return [Seal(*row) for row in rows]

    def add_seal(self, seal: Seal) -> None:
        self._create_seals_table()
        with self.connection:
            self.connection.execute(
                f"INSERT INTO {SEALS_TABLE} VALUES (?,?,?,?,?,?,?)", _seal_row(seal)
            )

    def _create_seals_table(self) -> None:
        self.connection.execute(
            f"CREATE TABLE IF NOT EXISTS {SEALS_TABLE} (seq INTEGER PRIMARY KEY, "
            "up_to INTEGER, events INTEGER, head TEXT, sealed_at TEXT, previous TEXT, mac TEXT)"
        )


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

    def count(self) -> int:
        row = self.connection.execute(f"SELECT COUNT(*) FROM {CHAIN_TABLE}").fetchone()
        assert row is not None
        return int(row[0])

    def chain_in_log_order(self) -> Iterator[tuple[Any, ...]]:
        return self._stream(
            f"SELECT c.notification_id, c.originator_id, c.originator_version, c.digest, "
            f"c.log_chain, replace(e.originator_id::text, '-', ''), e.originator_version "
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
    a seal kept outside the database."""
    report = Report()
    seals = reader.seals()
    checkpoints = {s.up_to: s for s in seals}
    if against is not None:
        checkpoints[against.up_to] = against
    total = reader.count() * 2
    _check_log(reader, report, checkpoints, progress, total)
    _check_aggregates(reader, report, progress, total)
    for seal in checkpoints.values():  # sealed notifications no longer in the chain
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
) -> None:
    log = GENESIS
    for n, row in enumerate(reader.chain_in_log_order(), 1):
        nid, key, version, digest, stored_log, event_key, event_version = row
        if event_key is None:
            report.damage.append(
                Damage(
                    "deleted", key, version, nid, "chained event is missing from the events table"
                )
            )
        elif (event_key, event_version) != (key, version):
            report.damage.append(
                Damage(
                    "moved",
                    key,
                    version,
                    nid,
                    f"notification now holds {event_key} v{event_version}",
                )
            )
        log = log_link(log, nid, bytes(digest))
        if log != bytes(stored_log):
            report.damage.append(
                Damage(
                    "log_broken",
                    key,
                    version,
                    nid,
                    "log chain does not recompute: an event before this "
                    "one was removed, inserted or its digest rewritten",
                )
            )
            log = bytes(stored_log)  # resynchronise, so each break is reported once
        seal = checkpoints.pop(nid, None)
        if seal is not None and (log.hex(), n) != (seal.head, seal.events):
            report.damage.append(
                Damage(
                    "seal_mismatch",
                    key,
                    version,
                    nid,
                    f"history up to seal {seal.seq} differs from the sealed head",
                )
            )
        report.events, report.head, report.up_to = n, log.hex(), nid
        if progress and n % BATCH == 0:
            progress(n, total)


def _check_aggregates(
    reader: ChainReader, report: Report, progress: Progress | None, total: int
) -> None:
    current, expected, previous = None, 1, GENESIS
    for n, row in enumerate(reader.events_in_aggregate_order(), 1):
        key, version, topic, state, nid, digest = row
        if key != current:
            current, expected, previous = key, 1, GENESIS
        if version != expected:
            report.damage.append(
                Damage(
                    "deleted",
                    key,
                    expected,
                    None,
                    f"versions jump from {expected - 1} to {version}",
                )
            )
        recomputed = event_digest(previous, key, version, topic, bytes(state))
        if digest is None:
            report.damage.append(
                Damage("inserted", key, version, nid, "stored event has no chain row")
            )
        elif recomputed != bytes(digest):
            report.damage.append(
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
            progress(report.events + n, total)


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
