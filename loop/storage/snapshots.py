"""Snapshots the service trusts only when they match the chain at their version.

A snapshot is a copy of an aggregate's state at a version, stored outside the
events so that loading need not replay them all. Whoever can write to the
database could edit one and change what is served. So every snapshot is
written together with a *snapshot record* (table ``snapshot_chain``, in the same
transaction):

* ``seq``, its place in the order snapshots were taken (1, 2, 3...);
* its digest: SHA-256, as for an event (``loop.storage.chain.event_digest``), over the
  aggregate key, version, topic and stored bytes, chained to the digest of the
  event at that version in the hash chain;
* a MAC of ``seq`` and that digest with the county's record key
  (``loop.storage.proof_keys``).

A load uses a snapshot only if its record's MAC authenticates what is stored
now: the snapshot's bytes and the chain's digest at its version. Otherwise it
falls back to the events (an older trusted snapshot, or the first event), and
reports the rejected snapshot in the log (``lishu verify`` says the same, see
``loop.storage.snapshot_checks``). Without a record key no snapshot is taken or used.

The record is checked on the load path only when a snapshot is read: it comes
with the snapshot in the same query (two indexed joins), then two hashes over
the snapshot's bytes.
"""

from __future__ import annotations

import hmac
import logging
import sys
from collections.abc import Iterator, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    AggregateRecorder,
    EventStore,
    Mapper,
    ProgrammingError,
    Recording,
    StoredEvent,
)
from eventsourcing.sqlite import SQLiteAggregateRecorder, SQLiteCursor

from loop.storage.chain import (
    CHAIN_TABLE,
    ChainedSQLiteApplicationRecorder,
    event_digest,
    originator_key,
)

log = logging.getLogger(__name__)

SNAPSHOT_CHAIN_TABLE = "snapshot_chain"
SQLITE_SNAPSHOTS_TABLE = "stored_snapshots"

Record = tuple[int, bytes | None, bytes | None]
"""(seq, MAC or None, the chain's digest at the snapshot's version or None)."""


def snapshot_digest(
    chained: bytes, key: str, version: int, topic: str, state: bytes | str
) -> bytes:
    """A stored snapshot's digest, chained to the event digest at its version."""
    return event_digest(chained, key, version, topic, state)


def record_mac(key: bytes, seq: int, digest: bytes) -> bytes:
    return hmac.digest(key, b"lishu snapshot\x00" + seq.to_bytes(8, "big") + digest, "sha256")


def record_authentic(
    record_key: bytes, record: Record, aggregate: str, stored: StoredEvent
) -> bool:
    """Whether a snapshot record vouches for ``stored`` as it is now."""
    seq, mac, chained = record
    if mac is None or chained is None:
        return False
    digest = snapshot_digest(
        bytes(chained), aggregate, stored.originator_version, stored.topic, stored.state
    )
    return hmac.compare_digest(record_mac(record_key, seq, digest), bytes(mac))


class SnapshotRecorder(AggregateRecorder):
    """What the checked store needs beside the library's recorder interface."""

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        raise NotImplementedError

    def select_with_records(
        self,
        originator_id: UUID,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> list[tuple[StoredEvent, list[Record]]]:
        """The stored snapshots in the range, each with its records and the chain's
        digest at its version, in one query."""
        raise NotImplementedError


class ChainedSQLiteSnapshotRecorder(SQLiteAggregateRecorder, SnapshotRecorder):
    """The library's SQLite snapshot table, writing each snapshot's record beside it."""

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {SNAPSHOT_CHAIN_TABLE} ("
            "seq INTEGER PRIMARY KEY, "
            "originator_id TEXT NOT NULL, "
            "originator_version INTEGER NOT NULL, "
            "digest BLOB NOT NULL, "
            "mac BLOB, "
            "UNIQUE (originator_id, originator_version))",
        ]

    def _create_table(self, c: SQLiteCursor) -> None:
        c.execute(
            "SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name=?",
            (SNAPSHOT_CHAIN_TABLE,),
        )
        new = c.fetchone()[0] == 0
        super()._create_table(c)
        if new:  # snapshots taken before records existed: recorded unsigned, never used
            c.execute(
                f"SELECT p.originator_id, p.originator_version, p.topic, p.state, c.digest "
                f"FROM {self.events_table_name} p JOIN {CHAIN_TABLE} c "
                "ON c.originator_id = p.originator_id "
                "AND c.originator_version = p.originator_version "
                "ORDER BY p.originator_id, p.originator_version"
            )
            legacy = [
                (r[0], r[1], snapshot_digest(bytes(r[4]), r[0], r[1], r[2], bytes(r[3])))
                for r in c.fetchall()
            ]
            c.executemany(
                f"INSERT INTO {SNAPSHOT_CHAIN_TABLE} "
                "(originator_id, originator_version, digest, mac) VALUES (?,?,?,NULL)",
                legacy,
            )

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        key: bytes = kwargs["record_key"]
        super()._insert_events(c, stored_events, **kwargs)
        for stored in stored_events:
            aggregate = originator_key(stored.originator_id)
            c.execute(
                f"SELECT digest FROM {CHAIN_TABLE} WHERE originator_id=? AND originator_version=?",
                (aggregate, stored.originator_version),
            )
            chained = c.fetchone()
            if chained is None:
                raise ProgrammingError(f"no chained event {aggregate} v{stored.originator_version}")
            c.execute(f"SELECT COALESCE(MAX(seq), 0) + 1 FROM {SNAPSHOT_CHAIN_TABLE}")
            seq = int(c.fetchone()[0])
            digest = snapshot_digest(
                bytes(chained[0]),
                aggregate,
                stored.originator_version,
                stored.topic,
                bytes(stored.state),
            )
            c.execute(
                f"INSERT INTO {SNAPSHOT_CHAIN_TABLE} VALUES (?,?,?,?,?)",
                (seq, aggregate, stored.originator_version, digest, record_mac(key, seq, digest)),
            )
        return None

    def select_with_records(
        self,
        originator_id: UUID,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> list[tuple[StoredEvent, list[Record]]]:
        key = originator_key(originator_id)
        sql = (
            "SELECT p.originator_version, p.topic, p.state, s.seq, s.mac, c.digest "
            f"FROM {self.events_table_name} p "
            f"LEFT JOIN {SNAPSHOT_CHAIN_TABLE} s ON s.originator_id = p.originator_id "
            "AND s.originator_version = p.originator_version "
            f"LEFT JOIN {CHAIN_TABLE} c ON c.originator_id = p.originator_id "
            "AND c.originator_version = p.originator_version WHERE p.originator_id = ? "
        )
        params: list[Any] = [key]
        if gt is not None:
            sql += "AND p.originator_version > ? "
            params.append(gt)
        if lte is not None:
            sql += "AND p.originator_version <= ? "
            params.append(lte)
        sql += f"ORDER BY p.originator_version {'DESC' if desc else 'ASC'}"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        with self.datastore.transaction(commit=False) as c:
            c.execute(sql, params)
            rows = [tuple(r) for r in c.fetchall()]
        return with_records(originator_id, rows)


def with_records(
    originator_id: UUID, rows: Sequence[tuple[Any, ...]]
) -> list[tuple[StoredEvent, list[Record]]]:
    """(version, topic, state, seq, MAC, chained digest) rows, grouped by snapshot."""
    found: dict[int, tuple[StoredEvent, list[Record]]] = {}
    for version, topic, state, seq, mac, chained in rows:
        if version not in found:
            found[version] = (StoredEvent(originator_id, version, topic, state), [])
        if seq is not None:
            found[version][1].append(
                (int(seq), mac, bytes(chained) if chained is not None else None)
            )
    return list(found.values())


class CheckedSnapshotStore(EventStore[UUID]):
    """The application's snapshot store: writes records, uses only what they vouch for.

    ``rejected`` holds each snapshot a load refused in this process, by aggregate
    key and version, with the reason (also logged, once each).
    """

    def __init__(
        self, mapper: Mapper[UUID], recorder: SnapshotRecorder, record_key: bytes | None
    ) -> None:
        super().__init__(mapper, recorder)
        self.snapshot_recorder = recorder
        self.record_key = record_key
        self.rejected: dict[tuple[str, int], str] = {}

    def put(
        self, domain_events: Sequence[DomainEventProtocol[UUID]], **kwargs: Any
    ) -> list[Recording[UUID]]:
        """Store snapshots with their records; nothing without a record key (it
        could never be trusted)."""
        if self.record_key is None:
            return []
        stored = [self.mapper.to_stored_event(e) for e in domain_events]
        self.snapshot_recorder.insert_events(stored, record_key=self.record_key, **kwargs)
        return []

    def get(
        self,
        originator_id: UUID,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Iterator[DomainEventProtocol[UUID]]:
        """The stored snapshots in the range that authenticate (up to ``limit``),
        skipping any that do not."""
        if self.record_key is None:
            return iter(())
        return self._trusted(originator_id, gt, lte, desc, limit)

    def _trusted(
        self,
        originator_id: UUID,
        gt: int | None,
        lte: int | None,
        desc: bool,
        limit: int | None,
    ) -> Iterator[DomainEventProtocol[UUID]]:
        assert self.record_key is not None
        aggregate = originator_key(originator_id)
        found, upper = 0, lte
        while True:  # newest first, as the repository asks: one at a time past refusals
            batch = self.snapshot_recorder.select_with_records(
                originator_id, gt=gt, lte=upper, desc=desc, limit=limit if desc else None
            )
            for stored, records in batch:
                if any(record_authentic(self.record_key, r, aggregate, stored) for r in records):
                    yield self.mapper.to_domain_event(stored)
                    found += 1
                    if limit is not None and found >= limit:
                        return
                else:
                    self._reject(aggregate, stored.originator_version, bool(records))
            if not (batch and desc and limit is not None):
                return
            upper = batch[-1][0].originator_version - 1

    def _reject(self, aggregate: str, version: int, recorded: bool) -> None:
        reason = (
            "its record does not authenticate it (edited, or not of this chain)"
            if recorded
            else "it has no record (inserted)"
        )
        if (aggregate, version) not in self.rejected:
            self.rejected[aggregate, version] = reason
            log.error(
                "snapshot of %s at version %s not used, replaying its events instead: %s",
                aggregate,
                version,
                reason,
            )


def checked_snapshot_store(
    app_recorder: object, mapper: Mapper[UUID], record_key: bytes | None, create_table: bool
) -> CheckedSnapshotStore | None:
    """The checked store beside a chained application recorder (SQLite or
    PostgreSQL); None for any other (the library's plain store then serves)."""
    recorder: SnapshotRecorder
    if isinstance(app_recorder, ChainedSQLiteApplicationRecorder):
        recorder = ChainedSQLiteSnapshotRecorder(
            app_recorder.datastore, events_table_name=SQLITE_SNAPSHOTS_TABLE
        )
    else:
        if "loop.storage.chain_postgres" not in sys.modules:  # then it cannot be one
            return None
        from loop.storage.chain_postgres import ChainedPostgresApplicationRecorder
        from loop.storage.snapshots_postgres import ChainedPostgresSnapshotRecorder

        if not isinstance(app_recorder, ChainedPostgresApplicationRecorder):
            return None

        recorder = ChainedPostgresSnapshotRecorder(
            app_recorder.datastore,
            events_table_name=app_recorder.events_table_name.replace("_events", "_snapshots"),
        )
    if create_table:
        recorder.create_table()
    return CheckedSnapshotStore(mapper, recorder, record_key)
