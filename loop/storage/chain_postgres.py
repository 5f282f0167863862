"""The hash chain on PostgreSQL: the library's recorder, also writing chain rows.

The same digests and log links as on SQLite (``loop.storage.chain``), in the same
transaction as the events. The library locks the events table in EXCLUSIVE mode
before inserting (so notification ids commit in order); the chain rows are
computed after that lock is taken, so the log chain's head read here cannot
move before this transaction commits.

The same transaction notifies :data:`NOTIFY_CHANNEL` with the highest
notification id it inserted, in place of the library's bare ``NOTIFY`` on a
channel named after the table: PostgreSQL delivers it on commit (never for a
rolled-back insert), and projection workers listening on the recorder's
``channel_name`` (``projections.runner``) catch up at once instead of at their
next poll.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ProgrammingError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg import Cursor, Rollback
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from loop.storage.chain import CHAIN_TABLE, GENESIS, chain_rows, predecessors

NOTIFY_CHANNEL = "lishu_events"
"""Notified after each insert; payload: the highest notification id committed."""


class ChainedPostgresApplicationRecorder(PostgresApplicationRecorder):
    """The library's PostgreSQL recorder, also writing each event's chain row,
    signed with ``record_key`` when the application sets one."""

    record_key: bytes | None = None

    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        if datastore.enable_db_functions:
            # The stored function inserts without the table lock and without us.
            raise ProgrammingError("the chained recorder needs POSTGRES_ENABLE_DB_FUNCTIONS off")
        chain = SQL("{0}.{1}").format(Identifier(datastore.schema), Identifier(CHAIN_TABLE))
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {chain} ("
                "notification_id bigint PRIMARY KEY, "
                "originator_id text NOT NULL, "
                "originator_version bigint NOT NULL, "
                "digest bytea NOT NULL, "
                "log_chain bytea NOT NULL, "
                "mac bytea, "
                "UNIQUE (originator_id, originator_version))"
            ).format(chain=chain)
        )
        self.add_mac_column = SQL("ALTER TABLE {chain} ADD COLUMN mac bytea").format(chain=chain)
        # Verification finds unsigned rows here, not by a scan.
        self.unsigned_index = SQL(
            "CREATE INDEX IF NOT EXISTS {name} ON {chain} (notification_id) WHERE mac IS NULL"
        ).format(name=Identifier(f"{CHAIN_TABLE}_unsigned"), chain=chain)
        # One query for the log's head (the row with no originator) and the digest
        # before this batch of each aggregate that already has events.
        self.select_heads = SQL(
            "(SELECT NULL::text AS originator_id, log_chain AS digest FROM {chain} "
            "ORDER BY notification_id DESC LIMIT 1) UNION ALL "
            "SELECT originator_id, digest FROM {chain} "
            "WHERE (originator_id, originator_version) IN "
            "(SELECT * FROM unnest(%s::text[], %s::bigint[]))"
        ).format(chain=chain)
        self.insert_chain_rows = SQL(
            "INSERT INTO {chain} (notification_id, originator_id, originator_version, "
            "digest, log_chain, mac) SELECT * FROM "
            "unnest(%s::bigint[], %s::text[], %s::bigint[], %s::bytea[], %s::bytea[], "
            "%s::bytea[])"
        ).format(chain=chain)
        self.notify_statement = SQL("SELECT pg_notify(%s, %s)")
        # The events of several aggregates, each after its own version and at most
        # so many, in one query (a group-commit batch's loads: ``loop.storage.batch_loads``).
        self.select_events_after_statement = SQL(
            "SELECT e.originator_id, e.originator_version, e.topic, e.state "
            "FROM unnest(%s::{kind}[], %s::bigint[]) AS w(originator_id, after) "
            "CROSS JOIN LATERAL (SELECT * FROM {schema}.{table} AS t "
            "WHERE t.originator_id = w.originator_id AND t.originator_version > w.after "
            "ORDER BY t.originator_version LIMIT %s) AS e "
            "ORDER BY e.originator_id, e.originator_version"
        ).format(
            kind=SQL(datastore.originator_id_type),
            schema=Identifier(datastore.schema),
            table=Identifier(events_table_name),
        )
        # The library's subscription listens on this channel too.
        self.channel_name = NOTIFY_CHANNEL
        self._pending = threading.local()

    def create_table(self) -> None:
        super().create_table()
        # A chain table from before rows were signed gains the column. Only then:
        # ALTER TABLE waits for every open reader of the table (a verification in
        # progress), and everything after it waits for the ALTER.
        with self.datastore.get_connection() as conn:
            found = conn.execute(
                "SELECT 1 FROM information_schema.columns "
                "WHERE table_schema = %s AND table_name = %s AND column_name = 'mac'",
                (self.datastore.schema, CHAIN_TABLE),
            ).fetchone()
            if found is None:
                conn.execute(self.add_mac_column)
            indexed = conn.execute(
                "SELECT 1 FROM pg_indexes WHERE schemaname = %s AND indexname = %s",
                (self.datastore.schema, f"{CHAIN_TABLE}_unsigned"),
            ).fetchone()
            if indexed is None:
                conn.execute(self.unsigned_index)

    def select_events_after(self, after: Mapping[UUID, int], limit: int) -> list[StoredEvent]:
        """The stored events of each aggregate in ``after`` beyond the version it
        maps to, the first ``limit`` of each, in one round trip: by aggregate, then
        version."""
        if not after:
            return []
        keys: list[UUID] | list[str] = list(after)
        if self.datastore.originator_id_type == "text":
            keys = [str(key) for key in after]
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                self.select_events_after_statement,
                (keys, list(after.values()), limit),
                prepare=True,
            )
            return [
                StoredEvent(
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                for row in curs.fetchall()
            ]

    def _notify_channel(self, curs: Cursor[DictRow]) -> None:
        """Nothing yet: the notification is sent once the ids are known
        (:meth:`_notify_committed`), with the highest of them as its payload."""

    def _notify_committed(self, curs: Cursor[DictRow], ids: Sequence[int]) -> None:
        curs.execute(self.notify_statement, (self.channel_name, str(max(ids))), prepare=True)

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        # The library queues: lock the table, notify, insert returning the ids.
        super()._insert_stored_events(curs, stored_events, **kwargs)
        # Queue the chain heads' query behind them in the same pipeline, so it is
        # answered, after the lock is held, in the round trip that returns the ids.
        wanted = {k: v for k, v in predecessors(stored_events).items() if v >= 1}
        heads = curs.connection.cursor()
        heads.execute(self.select_heads, (list(wanted), list(wanted.values())), prepare=True)
        self._pending.heads = heads

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """The library's insert, except that an error raised while the ids are read
        and the chain rows written rolls the whole transaction back. (The library
        keeps such an error until its transaction block has ended, to spare psycopg
        a pipeline warning, and so would commit the events without their chain.)"""
        failed: Exception | None = None
        ids: Sequence[int] | None = None
        with self.datastore.get_connection() as conn:  # which translates psycopg's errors
            with conn.pipeline() as pipeline, conn.transaction() as transaction:
                if stored_events:
                    with conn.cursor() as curs:
                        try:
                            self._insert_stored_events(curs, stored_events, **kwargs)
                            pipeline.sync()  # a uniqueness violation is raised here
                            ids = self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
                        except Exception as error:
                            failed = error
                            raise Rollback(transaction) from None
            if failed is not None:
                raise failed
        return ids

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        assert ids is not None
        with self._pending.heads as found:
            rows = found.fetchall()
        del self._pending.heads
        log = next((bytes(r["digest"]) for r in rows if r["originator_id"] is None), GENESIS)
        heads = {r["originator_id"]: bytes(r["digest"]) for r in rows if r["originator_id"]}
        chain = chain_rows(stored_events, ids, log, heads, self.record_key)
        # Sent with the commit: a failure here aborts the events' transaction too.
        curs.execute(self.insert_chain_rows, [list(c) for c in zip(*chain, strict=True)])
        # Queued in the same transaction, delivered by the server on its commit.
        self._notify_committed(curs, ids)
        return ids
