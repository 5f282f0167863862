"""Snapshot records on PostgreSQL: the same records as on SQLite (``loop.storage.snapshots``).

The library's snapshot insert runs outside a transaction (autocommit); here the
snapshot and its record are written in one, with the record table locked so
that records are numbered in the order they commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ProgrammingError, StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder, PostgresDatastore
from psycopg.sql import SQL, Identifier

from loop.storage.chain import CHAIN_TABLE, originator_key
from loop.storage.snapshots import (
    SNAPSHOT_CHAIN_TABLE,
    Record,
    SnapshotRecorder,
    record_mac,
    snapshot_digest,
    with_records,
)


class ChainedPostgresSnapshotRecorder(PostgresAggregateRecorder, SnapshotRecorder):
    """The library's PostgreSQL snapshot table, writing each snapshot's record beside it."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        schema = Identifier(datastore.schema)
        names = {
            "ledger": SQL("{0}.{1}").format(schema, Identifier(SNAPSHOT_CHAIN_TABLE)),
            "chain": SQL("{0}.{1}").format(schema, Identifier(CHAIN_TABLE)),
            "snapshots": SQL("{0}.{1}").format(schema, Identifier(events_table_name)),
        }
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {ledger} ("
                "seq bigint PRIMARY KEY, "
                "originator_id text NOT NULL, "
                "originator_version bigint NOT NULL, "
                "digest bytea NOT NULL, "
                "mac bytea, "
                "UNIQUE (originator_id, originator_version))"
            ).format(**names)
        )
        self.lock_ledger = SQL("LOCK TABLE {ledger} IN EXCLUSIVE MODE").format(**names)
        self.select_chained = SQL(
            "SELECT digest FROM {chain} WHERE originator_id = %s AND originator_version = %s"
        ).format(**names)
        self.next_seq = SQL("SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM {ledger}").format(**names)
        self.insert_record = SQL("INSERT INTO {ledger} VALUES (%s, %s, %s, %s, %s)").format(**names)
        self.select_with_records_statement = SQL(
            "SELECT p.originator_version, p.topic, p.state, s.seq, s.mac, c.digest "
            "FROM {snapshots} p LEFT JOIN {ledger} s ON s.originator_id = %s "
            "AND s.originator_version = p.originator_version "
            "LEFT JOIN {chain} c ON c.originator_id = %s "
            "AND c.originator_version = p.originator_version WHERE p.originator_id = %s"
        ).format(**names)
        self.select_legacy = SQL(
            "SELECT replace(p.originator_id::text, '-', '') AS key, p.originator_version, "
            "p.topic, p.state, c.digest FROM {snapshots} p JOIN {chain} c "
            "ON c.originator_id = replace(p.originator_id::text, '-', '') "
            "AND c.originator_version = p.originator_version ORDER BY 1, 2"
        ).format(**names)
        self.ledger_exists = SQL("SELECT to_regclass(%s) IS NOT NULL AS found")

    def create_table(self) -> None:
        with self.datastore.get_connection() as conn:
            row = conn.execute(
                self.ledger_exists, (f"{self.datastore.schema}.{SNAPSHOT_CHAIN_TABLE}",)
            ).fetchone()
        new = not (row and row["found"])
        super().create_table()
        if new:  # snapshots taken before records existed: recorded unsigned, never used
            with self.datastore.get_connection() as conn, conn.transaction():
                conn.execute(self.lock_ledger)
                for seq, r in enumerate(conn.execute(self.select_legacy).fetchall(), 1):
                    digest = snapshot_digest(
                        bytes(r["digest"]),
                        r["key"],
                        r["originator_version"],
                        r["topic"],
                        bytes(r["state"]),
                    )
                    conn.execute(
                        self.insert_record, (seq, r["key"], r["originator_version"], digest, None)
                    )

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        key: bytes = kwargs.pop("record_key")
        if not stored_events:
            return None
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            curs.execute(self.lock_ledger)
            self._insert_stored_events(curs, stored_events, **kwargs)
            for stored in stored_events:
                aggregate = originator_key(stored.originator_id)
                version = stored.originator_version
                chained = curs.execute(self.select_chained, (aggregate, version)).fetchone()
                if chained is None:
                    raise ProgrammingError(f"no chained event {aggregate} v{version}")
                seq = int(curs.execute(self.next_seq).fetchone()["seq"])  # type: ignore[index]
                digest = snapshot_digest(
                    bytes(chained["digest"]), aggregate, version, stored.topic, bytes(stored.state)
                )
                curs.execute(
                    self.insert_record,
                    (seq, aggregate, version, digest, record_mac(key, seq, digest)),
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
        statement = self.select_with_records_statement
        params: list[Any] = [key, key, originator_id]
        if gt is not None:
            statement += SQL(" AND p.originator_version > %s")
            params.append(gt)
        if lte is not None:
            statement += SQL(" AND p.originator_version <= %s")
            params.append(lte)
        statement += SQL(
            " ORDER BY p.originator_version DESC" if desc else " ORDER BY p.originator_version"
        )
        if limit is not None:
            statement += SQL(" LIMIT %s")
            params.append(limit)
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, params, prepare=True)
            rows = [
                (
                    r["originator_version"],
                    r["topic"],
                    bytes(r["state"]),
                    r["seq"],
                    r["mac"],
                    r["digest"],
                )
                for r in curs.fetchall()
            ]
        return with_records(originator_id, rows)
