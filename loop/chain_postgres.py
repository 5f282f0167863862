"""The hash chain on PostgreSQL: the library's recorder, also writing chain rows.

The same digests and log links as on SQLite (``loop.chain``), in the same
transaction as the events. The library locks the events table in EXCLUSIVE mode
before inserting (so notification ids commit in order); the chain rows are
computed after that lock is taken, so the log chain's head read here cannot
move before this transaction commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import ProgrammingError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from loop.chain import CHAIN_TABLE, GENESIS, chain_rows, predecessors


class ChainedPostgresApplicationRecorder(PostgresApplicationRecorder):
    """The library's PostgreSQL recorder, also writing each event's chain row."""

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
                "UNIQUE (originator_id, originator_version))"
            ).format(chain=chain)
        )
        self.select_log_head = SQL(
            "SELECT log_chain FROM {chain} ORDER BY notification_id DESC LIMIT 1"
        ).format(chain=chain)
        self.select_heads = SQL(
            "SELECT originator_id, digest FROM {chain} "
            "WHERE (originator_id, originator_version) IN "
            "(SELECT * FROM unnest(%s::text[], %s::bigint[]))"
        ).format(chain=chain)
        self.insert_chain_rows = SQL(
            "INSERT INTO {chain} SELECT * FROM "
            "unnest(%s::bigint[], %s::text[], %s::bigint[], %s::bytea[], %s::bytea[])"
        ).format(chain=chain)

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        assert ids is not None
        # Still inside the transaction that holds the events table's EXCLUSIVE lock.
        curs.execute(self.select_log_head, prepare=True)
        row = curs.fetchone()
        log = bytes(row["log_chain"]) if row else GENESIS
        wanted = {k: v for k, v in predecessors(stored_events).items() if v >= 1}
        heads: dict[str, bytes] = {}
        if wanted:
            curs.execute(self.select_heads, (list(wanted), list(wanted.values())), prepare=True)
            heads = {r["originator_id"]: bytes(r["digest"]) for r in curs.fetchall()}
        rows = chain_rows(stored_events, ids, log, heads)
        curs.execute(self.insert_chain_rows, [list(column) for column in zip(*rows, strict=True)])
        return ids
