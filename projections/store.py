"""The read-model database: engine, control tables and transactions.

Two control tables sit beside the read models:

* ``projection_positions`` holds, per projection build (a name and a table
  suffix such as ``v1``), the last notification id applied to its tables. It is
  written in the same transaction as the rows, and only by a conditional update
  (``... WHERE position = :old``), so two processes can never both apply one batch.
* ``projection_live`` points each projection name at the build reads use. It
  moves only once a new build has caught up with the log.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
)
from sqlalchemy.pool import StaticPool

CONTROL = MetaData()

positions = Table(
    "projection_positions",
    CONTROL,
    Column("name", String(64), primary_key=True),
    Column("suffix", String(32), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("position", Integer, nullable=False),
    Column("tables", String(1000), nullable=False),
)

live = Table(
    "projection_live",
    CONTROL,
    Column("name", String(64), primary_key=True),
    Column("suffix", String(32), nullable=False),
    Column("version", Integer, nullable=False),
)


SCHEMA_LOCK = 0x6C69_7368_7502
"""The PostgreSQL advisory lock held while a projector creates its tables."""


def engine_for(url: str) -> Engine:
    """An engine for a read-model URL: ``memory://`` is one in-memory SQLite
    database shared by the process; ``sqlite:///file.db`` a WAL-journalled file;
    anything else is passed to SQLAlchemy as it is (e.g. ``postgresql+psycopg://``)."""
    if url.startswith("memory://"):
        engine = create_engine(
            "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
        _sqlite_transactions(engine, wal=False)
        return engine
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        _sqlite_transactions(engine, wal=True)
        return engine
    if url.startswith("postgresql://"):  # the driver the event store uses too
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True)


def _sqlite_transactions(engine: Engine, *, wal: bool) -> None:
    """Let SQLAlchemy, not the driver, begin SQLite transactions, and begin write
    transactions with ``BEGIN IMMEDIATE`` so that a second writer waits for the
    first to commit instead of failing when it tries to write.

    Read-model commits do not wait for the disk (WAL with ``synchronous=NORMAL``:
    never corrupt, but the last commits may be lost to a power cut). Their rows
    and position commit together and can always be derived again, so a lost
    commit is simply projected again; the events' own connections keep
    ``synchronous=FULL``, and each of their commits makes everything before it
    in the file durable too.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # first: switching a new file to WAL takes a lock another process starting
        # at the same moment may hold, and only a busy timeout waits for it
        cursor.execute("PRAGMA busy_timeout=30000")
        if wal:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get("write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Store:
    """Transactions on the read-model database.

    An in-memory database is one connection shared by every thread, so its
    transactions are serialised by a lock (a reader never sees a batch half applied).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.shared_connection = isinstance(engine.pool, StaticPool)
        self._lock = threading.RLock()

    @classmethod
    def from_url(cls, url: str) -> Store:
        return cls(engine_for(url))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def _locked(self) -> Iterator[None]:
        if self.shared_connection:
            with self._lock:
                yield
        else:
            yield

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: committed on exit, rolled back on error."""
        with self._locked(), self.engine.connect() as conn:
            conn = conn.execution_options(write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction: one consistent snapshot of the read models."""
        with self._locked(), self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def schema_lock(self) -> Iterator[None]:
        """On PostgreSQL, one process at a time creates tables and builds (an
        advisory lock on a connection of its own, released with it); elsewhere
        nothing: SQLite's write transactions already take turns."""
        if self.dialect != "postgresql":
            yield
            return
        with self.engine.connect() as conn:
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({SCHEMA_LOCK})")
            conn.commit()
            try:
                yield
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({SCHEMA_LOCK})")
                conn.commit()

    def create_control_tables(self) -> None:
        with self.write() as conn:
            CONTROL.create_all(conn)

    def dispose(self) -> None:
        self.engine.dispose()
