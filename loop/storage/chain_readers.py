"""Reading the stored history for verification and sealing, whatever the store.

``SQLiteChainReader`` reads the file, ``PostgresChainReader`` a server (server-side
cursors, one REPEATABLE READ snapshot); ``open_chain_reader`` picks one from the
database URL. Every read of one reader sees the same snapshot, so a log other
processes go on writing is verified as it stood when the reading began. Rows
stream ``BATCH`` at a time, so memory stays bounded however long the log.
"""

from __future__ import annotations

import itertools
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar
from urllib.parse import urlsplit

from loop.errors import InvalidInput
from loop.storage.application import LoopApplication
from loop.storage.chain import CHAIN_TABLE
from loop.storage.persistence import postgres_conninfo, sqlite_path
from loop.storage.seals import Seal
from loop.storage.snapshots import SNAPSHOT_CHAIN_TABLE, SQLITE_SNAPSHOTS_TABLE

EVENTS_TABLE = "stored_events"
POSTGRES_EVENTS_TABLE = f"{LoopApplication.name.lower()}_events"  # the library's names
POSTGRES_SNAPSHOTS_TABLE = f"{LoopApplication.name.lower()}_snapshots"
SEALS_TABLE = "chain_seals"
BATCH = 5000
CHAIN_ALONE = (  # the log pass when every chain row's event is known to be in place
    f"SELECT notification_id, digest, log_chain FROM {CHAIN_TABLE} ORDER BY notification_id"
)
SEAL_COLUMNS = [f.name for f in fields(Seal)]


def no_chain() -> InvalidInput:
    return InvalidInput(
        "该数据库中没有事件与哈希链",
        "this database holds no events or hash chain",
        field="database_url",
    )


class ChainReader(ABC):
    """What verification and sealing read and write.

    Queries are written once with ``{p}`` for a placeholder and ``{snapshots}``,
    ``{skey}`` (a snapshot's aggregate key as the chain's UUID hex) filled in per
    store.
    """

    names: ClassVar[dict[str, str]]

    @abstractmethod
    def _stream(self, sql: str, params: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
        """The rows of a query, streamed, in the reader's snapshot."""

    @abstractmethod
    def _fetch_one(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
        """One row of a query, read in the reader's snapshot."""

    @abstractmethod
    def has_table(self, name: str) -> bool: ...

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
    def add_seal(self, seal: Seal) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    def _sql(self, sql: str) -> str:
        return sql.format(**self.names, mac=self._mac)

    @property
    def _mac(self) -> str:
        """The chain rows' MAC column; NULL for a chain from before rows were signed
        (read as it is: verifying writes nothing)."""
        found = getattr(self, "_mac_column", None)
        if found is None:
            found = "mac" if "mac" in self._columns(CHAIN_TABLE) else "NULL"
            self._mac_column = found
        return found

    def count(self) -> int:
        """The number of chain rows."""
        row = self._fetch_one(f"SELECT COUNT(*) FROM {CHAIN_TABLE}")
        assert row is not None
        return int(row[0])

    def chained(self, notification_id: int) -> tuple[str, int]:
        """The aggregate key and version chained at a notification."""
        row = self._fetch_one(
            self._sql(
                f"SELECT originator_id, originator_version FROM {CHAIN_TABLE} "
                "WHERE notification_id = {p}"
            ),
            (notification_id,),
        )
        assert row is not None
        return row[0], row[1]

    def last_notification(self) -> int | None:
        """The last chained notification, if any."""
        row = self._fetch_one(f"SELECT MAX(notification_id) FROM {CHAIN_TABLE}")
        return None if row is None or row[0] is None else int(row[0])

    def chain_backwards(self) -> Iterator[tuple[int, bytes, bytes | None]]:
        """(notification id, log chain value, MAC or None) from the last row back."""
        return self._stream(
            self._sql(
                f"SELECT notification_id, log_chain, {{mac}} FROM {CHAIN_TABLE} "
                "ORDER BY notification_id DESC"
            )
        )

    def first_signed(self) -> int | None:
        """The first notification whose chain row carries a MAC."""
        row = self._fetch_one(
            self._sql(f"SELECT MIN(notification_id) FROM {CHAIN_TABLE} WHERE {{mac}} IS NOT NULL")
        )
        return None if row is None or row[0] is None else int(row[0])

    def unsigned(self, after: int, before: int) -> list[int]:
        """The notifications between two (exclusive) whose chain rows carry no MAC."""
        return [
            int(r[0])
            for r in self._stream(
                self._sql(
                    f"SELECT notification_id FROM {CHAIN_TABLE} WHERE {{mac}} IS NULL "
                    "AND notification_id > {p} AND notification_id < {p} ORDER BY 1"
                ),
                (after, before),
            )
        ]

    def seals(self) -> list[Seal]:
        """The seal table's seals in order (none if the table is missing)."""
        if not self.has_table(SEALS_TABLE):
            return []
        have = self._columns(SEALS_TABLE)
        columns = [c for c in SEAL_COLUMNS if c in have]
        rows = self._stream(f"SELECT {', '.join(columns)} FROM {SEALS_TABLE} ORDER BY seq")
        return [Seal(**dict(zip(columns, row, strict=True))) for row in rows]

    @abstractmethod
    def _columns(self, table: str) -> set[str]: ...

    def snapshot_records(self) -> Iterator[tuple[Any, ...]]:
        """Each snapshot record in order: (seq, aggregate key, version, digest, MAC,
        the chain's digest at that version or None, the snapshot's topic and
        stored bytes or None)."""
        if not self.has_table(SNAPSHOT_CHAIN_TABLE):
            return iter(())
        return self._stream(
            self._sql(
                "SELECT s.seq, s.originator_id, s.originator_version, s.digest, s.mac, "
                f"c.digest, p.topic, p.state FROM {SNAPSHOT_CHAIN_TABLE} s "
                f"LEFT JOIN {CHAIN_TABLE} c ON c.originator_id = s.originator_id "
                "AND c.originator_version = s.originator_version "
                "LEFT JOIN {snapshots} p ON {skey} = s.originator_id "
                "AND p.originator_version = s.originator_version ORDER BY s.seq"
            )
        )

    def unrecorded_snapshots(self) -> list[tuple[str, int]]:
        """Stored snapshots no record vouches for: (aggregate key, version)."""
        if not self.has_table(self.names["snapshots"]):
            return []
        if not self.has_table(SNAPSHOT_CHAIN_TABLE):
            sql = "SELECT {skey}, p.originator_version FROM {snapshots} p ORDER BY 1, 2"
        else:
            sql = (
                "SELECT {skey}, p.originator_version FROM {snapshots} p "
                f"LEFT JOIN {SNAPSHOT_CHAIN_TABLE} s ON s.originator_id = {{skey}} "
                "AND s.originator_version = p.originator_version "
                "WHERE s.seq IS NULL ORDER BY 1, 2"
            )
        return [(str(k), int(v)) for k, v in self._stream(self._sql(sql))]

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

    Reads share one read transaction, so every pass sees the same snapshot of a
    file other processes go on writing (WAL); a seal is written in its own.
    """

    names: ClassVar[dict[str, str]] = {
        "p": "?",
        "snapshots": SQLITE_SNAPSHOTS_TABLE,
        "skey": "p.originator_id",
    }

    def __init__(self, path: str) -> None:
        try:  # an existing file only: a mistyped path must not create an empty one
            self.connection = sqlite3.connect(
                Path(path).resolve().as_uri() + "?mode=rw", uri=True, isolation_level=None
            )
        except sqlite3.OperationalError:
            raise no_chain() from None
        if not (self.has_table(EVENTS_TABLE) and self.has_table(CHAIN_TABLE)):
            self.connection.close()
            raise no_chain()

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

    def has_table(self, name: str) -> bool:
        row = self._fetch_one(
            "SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name=?", (name,)
        )
        return bool(row and row[0])

    def _columns(self, table: str) -> set[str]:
        return {str(r[1]) for r in self._read(f"PRAGMA table_info({table})").fetchall()}

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

    def add_seal(self, seal: Seal) -> None:
        if self.connection.in_transaction:  # leave the reading snapshot
            self.connection.execute("COMMIT")
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            self.connection.execute(
                f"CREATE TABLE IF NOT EXISTS {SEALS_TABLE} (seq INTEGER PRIMARY KEY, "
                "up_to INTEGER, events INTEGER, head TEXT, sealed_at TEXT, previous TEXT, "
                "mac TEXT, snapshots INTEGER, macs_from INTEGER)"
            )
            have = self._columns(SEALS_TABLE)
            for column in ("snapshots", "macs_from"):  # a table from before they existed
                if column not in have:
                    self.connection.execute(
                        f"ALTER TABLE {SEALS_TABLE} ADD COLUMN {column} INTEGER"
                    )
            self.connection.execute(
                f"INSERT INTO {SEALS_TABLE} ({', '.join(SEAL_COLUMNS)}) "
                f"VALUES ({','.join('?' * len(SEAL_COLUMNS))})",
                seal_row(seal),
            )
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("COMMIT")


class PostgresChainReader(ChainReader):
    """Reads events, chain rows and seals from PostgreSQL, in one snapshot.

    Rows stream through server-side cursors; every pass reads the same
    REPEATABLE READ snapshot, so events written meanwhile are not yet looked at.
    """

    names: ClassVar[dict[str, str]] = {
        "p": "%s",
        "snapshots": POSTGRES_SNAPSHOTS_TABLE,
        "skey": "replace(p.originator_id::text, '-', '')",
    }
    _cursors = itertools.count()

    def __init__(self, conninfo: str, events_table: str = POSTGRES_EVENTS_TABLE) -> None:
        import psycopg

        self.connection = psycopg.connect(conninfo)
        self.connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        self.events = events_table
        if not (self.has_table(events_table) and self.has_table(CHAIN_TABLE)):
            self.connection.close()
            raise no_chain()

    def close(self) -> None:
        self.connection.close()

    def _stream(self, sql: str, params: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
        with self.connection.cursor(
            name=f"chain_reader_{next(self._cursors)}", binary=True
        ) as cursor:
            cursor.itersize = BATCH
            cursor.execute(sql, params)
            yield from cursor

    def _fetch_one(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
        return self.connection.execute(sql, params).fetchone()

    def has_table(self, name: str) -> bool:
        row = self._fetch_one("SELECT to_regclass(%s) IS NOT NULL", (name,))
        return bool(row and row[0])

    def _columns(self, table: str) -> set[str]:
        rows = self.connection.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s",
            (table,),
        ).fetchall()
        return {str(r[0]) for r in rows}

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

    def add_seal(self, seal: Seal) -> None:
        self.connection.commit()  # leave the reading snapshot; the seal is written afresh
        with self.connection.transaction():
            self.connection.execute(
                f"CREATE TABLE IF NOT EXISTS {SEALS_TABLE} (seq integer PRIMARY KEY, "
                "up_to bigint, events bigint, head text, sealed_at text, previous text, "
                "mac text, snapshots bigint, macs_from bigint)"
            )
            have = self._columns(SEALS_TABLE)
            for column in ("snapshots", "macs_from"):  # a table from before they existed
                if column not in have:  # (an ALTER would wait for every reader of it)
                    self.connection.execute(f"ALTER TABLE {SEALS_TABLE} ADD COLUMN {column} bigint")
            self.connection.execute(
                f"INSERT INTO {SEALS_TABLE} ({', '.join(SEAL_COLUMNS)}) "
                f"VALUES ({','.join(['%s'] * len(SEAL_COLUMNS))})",
                seal_row(seal),
            )


def seal_row(seal: Seal) -> tuple[Any, ...]:
    return tuple(getattr(seal, column) for column in SEAL_COLUMNS)


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
