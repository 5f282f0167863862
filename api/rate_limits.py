"""Rate limits kept in the service's own database, so that every API process (and
every worker of ``lishu serve``) counts against one total.

:class:`DatabaseStorage` is a storage for the ``limits`` library: the callers keep
``limits``' items and its :class:`~limits.strategies.MovingWindowRateLimiter`
(``hit``, ``test``, ``get_window_stats``), and only the place the hits are kept
changes. A moving window is one row per hit in ``api_rate_hits`` (the key, when,
and when it leaves every window of that key); a hit counts the key's rows within
the window and adds its own in one write transaction, the key locked first: on
PostgreSQL by a transaction-scoped advisory lock on the key, on SQLite by the
write transaction itself (``BEGIN IMMEDIATE``: one writer at a time), in memory
by the store's lock. So hits racing from any number of processes never let more
than the limit through. A key's hits that left its window go when it is next
hit, everyone's at most once a minute per process.

The fixed-window methods of a storage (``incr``, ``get``, ``get_expiry``) keep a
counter per key in ``api_rate_counters``, under the same lock.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from limits.storage import MovingWindowSupport, Storage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import (
    Column,
    Connection,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.exc import SQLAlchemyError

from projections.store import Store

metadata = MetaData()
hits = Table(
    "api_rate_hits",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(255), nullable=False),
    Column("at", Float, nullable=False),
    Column("expires", Float, nullable=False),
    Index("api_rate_hits_key_at", "key", "at"),
    Index("api_rate_hits_expires", "expires"),
)
counters = Table(
    "api_rate_counters",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("count", Integer, nullable=False),
    Column("expires", Float, nullable=False),
)

KEY_LOCK = 0x6C69_7368
"""The first half of the PostgreSQL advisory lock a key is hit under (the second
is the key's ``hashtext``; two keys that share one merely wait for each other)."""
PRUNE_EVERY = 60.0
"""Seconds between the removals of every key's expired hits, per process."""


class DatabaseStorage(Storage, MovingWindowSupport):
    """A ``limits`` storage in the tables of ``store`` (SQLite or PostgreSQL)."""

    STORAGE_SCHEME = None  # made with a store, not from a URI

    def __init__(self, store: Store, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.store = store
        self.clock = clock
        self._pruned = 0.0

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    def _lock(self, conn: Connection, key: str) -> None:
        """Hold ``key`` until the transaction ends (SQLite: already one writer)."""
        if self.store.dialect == "postgresql":
            conn.execute(
                text("SELECT pg_advisory_xact_lock(CAST(:space AS integer), hashtext(:key))"),
                {"space": KEY_LOCK, "key": key},
            )

    def _prune(self, conn: Connection, key: str, now: float) -> None:
        conn.execute(delete(hits).where(hits.c.key == key, hits.c.expires <= now))
        if now - self._pruned >= PRUNE_EVERY:
            self._pruned = now
            conn.execute(delete(hits).where(hits.c.expires <= now))
            conn.execute(delete(counters).where(counters.c.expires <= now))

    # the moving window

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        """Add ``amount`` hits to ``key`` if its window (``expiry`` seconds) then
        holds at most ``limit``; whether they were added."""
        if amount > limit:
            return False
        with self.store.write() as conn:
            self._lock(conn, key)
            now = self.clock()
            self._prune(conn, key, now)
            held = conn.execute(
                select(func.count()).where(hits.c.key == key, hits.c.at > now - expiry)
            ).scalar_one()
            if held + amount > limit:
                return False
            conn.execute(insert(hits), [{"key": key, "at": now, "expires": now + expiry}] * amount)
        return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:  # noqa: ARG002
        """When the oldest hit of ``key`` within the window was, and how many there are."""
        with self.store.read() as conn:
            now = self.clock()
            oldest, held = conn.execute(
                select(func.min(hits.c.at), func.count()).where(
                    hits.c.key == key, hits.c.at > now - expiry
                )
            ).one()
        return (float(oldest), int(held)) if held else (now, 0)

    # a fixed window: one counter per key

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        with self.store.write() as conn:
            self._lock(conn, key)
            now = self.clock()
            row = conn.execute(
                select(counters.c.count.label("held"), counters.c.expires).where(
                    counters.c.key == key
                )
            ).first()
            if row is None or row.expires <= now:
                conn.execute(delete(counters).where(counters.c.key == key))
                conn.execute(
                    insert(counters), {"key": key, "count": amount, "expires": now + expiry}
                )
                return amount
            count = int(row.held) + amount
            conn.execute(counters.update().where(counters.c.key == key).values(count=count))
            return count

    def get(self, key: str) -> int:
        with self.store.read() as conn:
            row = conn.execute(
                select(counters.c.count.label("held"), counters.c.expires).where(
                    counters.c.key == key
                )
            ).first()
        return int(row.held) if row is not None and row.expires > self.clock() else 0

    def get_expiry(self, key: str) -> float:
        with self.store.read() as conn:
            row = conn.execute(select(counters.c.expires).where(counters.c.key == key)).first()
        now = self.clock()
        return float(row.expires) if row is not None and row.expires > now else now

    def check(self) -> bool:
        try:
            with self.store.read() as conn:
                conn.execute(select(func.count()).select_from(counters))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self.store.write() as conn:
            removed = conn.execute(delete(hits)).rowcount + conn.execute(delete(counters)).rowcount
        return int(removed)

    def clear(self, key: str) -> None:
        with self.store.write() as conn:
            conn.execute(delete(hits).where(hits.c.key == key))
            conn.execute(delete(counters).where(counters.c.key == key))


def setup(store: Store) -> None:
    """Make the tables (at the service's start)."""
    with store.write() as conn:
        metadata.create_all(conn)


def shared_limiter(store: Store) -> MovingWindowRateLimiter:
    """A moving-window limiter whose hits every process on ``store`` shares."""
    return MovingWindowRateLimiter(DatabaseStorage(store))
