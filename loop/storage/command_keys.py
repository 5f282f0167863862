"""Key records: that a keyed command ran, with its answer, stored with its events.

A retried command must get its first answer and have its effect once, whatever
crash came between its commit and its answer. So the record that its key was
used, with the answer, is written in the SAME transaction as the command's
events (and their chain rows): both are stored, or neither.

The store knows no command: a key record is opaque text, a key (the caller's
keyed digest of who sent which key), the digest of the request, the answer,
and when it may be forgotten (unix seconds; never if None). Its position is the
notification id of the last event its command stored in that transaction (None
if it stored none), taken from the ids the transaction was given.

The recorders here (SQLite, memory; PostgreSQL in ``command_keys_postgres``)
keep them in the ``command_keys`` table of the events database.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, runtime_checkable

from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.popo import POPOApplicationRecorder
from eventsourcing.sqlite import SQLiteCursor

from loop.storage.chain import ChainedSQLiteApplicationRecorder

KEYS_TABLE = "command_keys"


@dataclass(frozen=True)
class KeyRecord:
    """What is kept of one keyed command (all opaque to the store)."""

    key: str
    request: str
    answer: str
    expires_at: int | None = None


class KeptAnswer(NamedTuple):
    """A stored key record: its request digest, answer and position."""

    request: str
    answer: str
    position: int | None


PendingKey = tuple[KeyRecord, int]
"""A record to store with a batch, and how many of the batch's events there are up
to and including its command's last one (0: its command stored none)."""

KeyRow = tuple[str, str, str, int | None, int | None]
"""(key, request, answer, position, expires_at), as stored."""


@dataclass(frozen=True)
class Once:
    """A keyed command as the writer runs it: ``key`` and ``request`` are the
    caller's digests, ``answer`` turns the command's result into the answer kept
    with the key, ``expires_at`` is when the record may be forgotten."""

    key: str
    request: str
    answer: Callable[[Any], str]
    expires_at: int | None = None

    def record(self, result: Any) -> KeyRecord:
        """The key record of the command's result (its position comes on storing)."""
        return KeyRecord(self.key, self.request, self.answer(result), self.expires_at)


class Answered(NamedTuple):
    """What a keyed command is acknowledged with: the answer kept with its key and
    its position, the first time and on every retry (``replayed``); ``request`` is
    the digest it was first kept for."""

    answer: str
    position: int | None
    request: str
    replayed: bool

    @classmethod
    def kept(cls, found: KeptAnswer) -> Answered:
        return cls(found.answer, found.position, found.request, True)


def answered(
    keys: Mapping[str, PendingKey], key: str, positions: Sequence[int], replayed: bool
) -> Answered:
    """The answer of a key just stored with a batch whose events got ``positions``."""
    record, count = keys[key]
    position = positions[count - 1] if count else None
    return Answered(record.answer, position, record.request, replayed)


def key_rows(keys: Sequence[PendingKey], ids: Sequence[int]) -> list[KeyRow]:
    """The rows for ``keys``, positioned by the notification ids of their events."""
    return [
        (r.key, r.request, r.answer, ids[count - 1] if count else None, r.expires_at)
        for r, count in keys
    ]


def duplicate_key(key: str) -> IntegrityError:
    return IntegrityError(f"key record already stored: {key[:16]}…")


@runtime_checkable
class KeyedRecorder(Protocol):
    """A recorder that also stores key records (``insert_events(..., keys=...)``)."""

    def select_keys(self, keys: Sequence[str]) -> dict[str, KeptAnswer]: ...

    def insert_keys(self, records: Sequence[KeyRecord]) -> None: ...

    def delete_expired_keys(self, now: int) -> int: ...


class KeyedSQLiteApplicationRecorder(ChainedSQLiteApplicationRecorder):
    """The chained SQLite recorder, also writing key records in the events'
    transaction (a key already stored fails it: :class:`IntegrityError`)."""

    insert_keys_statement = f"INSERT INTO {KEYS_TABLE} VALUES (?,?,?,?,?)"

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {KEYS_TABLE} ("
            "key TEXT PRIMARY KEY, "
            "request TEXT NOT NULL, "
            "answer TEXT NOT NULL, "
            "position INTEGER, "
            "expires_at INTEGER)",
            f"CREATE INDEX IF NOT EXISTS {KEYS_TABLE}_expiry ON {KEYS_TABLE} (expires_at)",
        ]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        keys: Sequence[PendingKey] = kwargs.get("keys") or ()
        if keys:
            c.executemany(self.insert_keys_statement, key_rows(keys, ids or ()))
        return ids

    def insert_keys(self, records: Sequence[KeyRecord]) -> None:
        """Store key records of commands that stored no event, in one transaction."""
        with self.datastore.transaction(commit=True) as c:
            c.executemany(self.insert_keys_statement, key_rows([(r, 0) for r in records], ()))

    def select_keys(self, keys: Sequence[str]) -> dict[str, KeptAnswer]:
        if not keys:
            return {}
        marks = ",".join("?" * len(keys))
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT key, request, answer, position FROM {KEYS_TABLE} WHERE key IN ({marks})",
                list(keys),
            )
            return {row[0]: KeptAnswer(row[1], row[2], row[3]) for row in c.fetchall()}

    def delete_expired_keys(self, now: int) -> int:
        with self.datastore.transaction(commit=True) as c:
            c.execute(f"DELETE FROM {KEYS_TABLE} WHERE expires_at < ?", (now,))
            c.execute("SELECT changes()")
            return int(c.fetchone()[0])


class KeyedPOPOApplicationRecorder(POPOApplicationRecorder):
    """The in-memory recorder with key records (nothing survives the process; the
    same answers as the databases while it runs)."""

    def __init__(self) -> None:
        super().__init__()
        self._keys: dict[str, tuple[KeptAnswer, int | None]] = {}
        self._keys_lock = threading.RLock()

    def _insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        keys: Sequence[PendingKey] = kwargs.get("keys") or ()
        with self._database_lock, self._keys_lock:
            self._check_new([record for record, _ in keys])
            ids = super()._insert_events(stored_events, **kwargs)
            self._store(key_rows(keys, ids or ()))
            return ids

    def _check_new(self, records: Sequence[KeyRecord]) -> None:
        seen: set[str] = set()
        for record in records:
            if record.key in self._keys or record.key in seen:
                raise duplicate_key(record.key)
            seen.add(record.key)

    def _store(self, rows: Sequence[KeyRow]) -> None:
        for key, request, answer, position, expires_at in rows:
            self._keys[key] = (KeptAnswer(request, answer, position), expires_at)

    def insert_keys(self, records: Sequence[KeyRecord]) -> None:
        with self._keys_lock:
            self._check_new(records)
            self._store(key_rows([(r, 0) for r in records], ()))

    def select_keys(self, keys: Sequence[str]) -> dict[str, KeptAnswer]:
        with self._keys_lock:
            return {key: self._keys[key][0] for key in keys if key in self._keys}

    def delete_expired_keys(self, now: int) -> int:
        with self._keys_lock:
            expired = [k for k, (_, at) in self._keys.items() if at is not None and at < now]
            for key in expired:
                del self._keys[key]
            return len(expired)
