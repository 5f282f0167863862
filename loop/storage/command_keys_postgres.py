"""Key records on PostgreSQL: the chained recorder, also writing key records.

The same records as on SQLite (``loop.storage.command_keys``), inserted after the
events and their chain rows in the events' transaction, positioned by the ids
that transaction was given. A key already stored fails the whole transaction at
its commit (a unique violation, raised as :class:`IntegrityError`), so a command
and its key record are stored together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresDatastore
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from loop.storage.chain_postgres import ChainedPostgresApplicationRecorder
from loop.storage.command_keys import KEYS_TABLE, KeptAnswer, KeyRecord, KeyRow, key_rows


def _columns(rows: Sequence[KeyRow]) -> list[list[Any]]:
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[]] * 5


class KeyedPostgresApplicationRecorder(ChainedPostgresApplicationRecorder):
    """The chained PostgreSQL recorder, also writing key records."""

    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        keys = SQL("{0}.{1}").format(Identifier(datastore.schema), Identifier(KEYS_TABLE))
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {keys} ("
                "key text PRIMARY KEY, "
                "request text NOT NULL, "
                "answer text NOT NULL, "
                "position bigint, "
                "expires_at bigint)"
            ).format(keys=keys)
        )
        self.sql_create_statements.append(
            SQL("CREATE INDEX IF NOT EXISTS {index} ON {keys} (expires_at)").format(
                index=Identifier(f"{KEYS_TABLE}_expiry"), keys=keys
            )
        )
        self.insert_keys_statement = SQL(
            "INSERT INTO {keys} SELECT * FROM "
            "unnest(%s::text[], %s::text[], %s::text[], %s::bigint[], %s::bigint[])"
        ).format(keys=keys)
        self.select_keys_statement = SQL(
            "SELECT key, request, answer, position FROM {keys} WHERE key = ANY(%s::text[])"
        ).format(keys=keys)
        self.delete_keys_statement = SQL("DELETE FROM {keys} WHERE expires_at < %s").format(
            keys=keys
        )

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        keys = kwargs.get("keys") or ()
        if keys:
            # Sent with the commit, like the chain rows: a duplicate aborts it all.
            curs.execute(self.insert_keys_statement, _columns(key_rows(keys, ids or ())))
        return ids

    def insert_keys(self, records: Sequence[KeyRecord]) -> None:
        """Store key records of commands that stored no event, in one transaction."""
        rows = key_rows([(r, 0) for r in records], ())
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self.insert_keys_statement, _columns(rows))

    def select_keys(self, keys: Sequence[str]) -> dict[str, KeptAnswer]:
        if not keys:
            return {}
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self.select_keys_statement, (list(keys),), prepare=True)
            return {
                r["key"]: KeptAnswer(r["request"], r["answer"], r["position"])
                for r in curs.fetchall()
            }

    def delete_expired_keys(self, now: int) -> int:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self.delete_keys_statement, (now,))
            return int(curs.rowcount)
