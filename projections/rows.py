"""Rows of a table held in memory for one batch, written back once at its end.

A projection that touches the same rows again and again (an incident's row at
every step) loads the rows its batch needs with a few ``IN`` queries, applies
the batch's events to plain dicts, and writes back only the rows that changed:
one ``DELETE`` and one multi-row ``INSERT`` per table and batch instead of
several statements per event. Plain SQL, the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Delete,
    Insert,
    Select,
    Table,
    and_,
    bindparam,
    select,
)

CHUNK = 500
Key = tuple[Any, ...]

# Statements built once per table (and column): SQLAlchemy then compiles each once,
# where a statement built anew costs its construction and cache key every batch.
_loads: dict[tuple[Table, str], Select[Any]] = {}
_deletes: dict[Table, Delete] = {}
_inserts: dict[Table, Insert] = {}


def _load_statement(table: Table, column: str) -> Select[Any]:
    key = (table, column)
    if key not in _loads:
        _loads[key] = select(table).where(table.c[column].in_(bindparam("wanted", expanding=True)))
    return _loads[key]


def _delete_statement(table: Table, key_columns: list[str]) -> Delete:
    if table not in _deletes:
        match = and_(*(table.c[name] == bindparam(f"k_{name}") for name in key_columns))
        _deletes[table] = table.delete().where(match)
    return _deletes[table]


def _insert_statement(table: Table) -> Insert:
    if table not in _inserts:
        _inserts[table] = table.insert()
    return _inserts[table]


class Rows:
    """The rows of ``table`` the batch has loaded or made, by primary key."""

    def __init__(self, conn: Connection, table: Table) -> None:
        self.conn = conn
        self.table = table
        self.key_columns = [c.name for c in table.primary_key.columns]
        self.before: dict[Key, dict[str, Any]] = {}
        self.rows: dict[Key, dict[str, Any] | None] = {}

    def key(self, row: dict[str, Any]) -> Key:
        return tuple(row[name] for name in self.key_columns)

    def load(self, column: str, values: Iterable[Any], *where: ColumnElement[bool]) -> None:
        """Load the rows whose ``column`` is one of ``values`` (and ``where``)."""
        wanted = sorted(set(values))
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            query = _load_statement(self.table, column)
            if where:
                query = query.where(*where)
            for row in self.conn.execute(query, {"wanted": chunk}).mappings():
                values_ = dict(row)
                key = self.key(values_)
                if key not in self.rows:
                    self.before[key] = values_
                    self.rows[key] = dict(values_)

    def get(self, *key: Any) -> dict[str, Any] | None:
        return self.rows.get(key)

    def put(self, row: dict[str, Any]) -> dict[str, Any]:
        self.rows[self.key(row)] = row
        return row

    def delete(self, *key: Any) -> None:
        self.rows[key] = None

    def write(self) -> None:
        """Write back what changed: delete the old versions, insert the new."""
        stale = [key for key, before in self.before.items() if self.rows.get(key) != before]
        fresh = [
            row for key, row in self.rows.items() if row is not None and row != self.before.get(key)
        ]
        if stale:
            self.conn.execute(
                _delete_statement(self.table, self.key_columns),
                [
                    {f"k_{name}": value for name, value in zip(self.key_columns, key, strict=True)}
                    for key in stale
                ],
            )
        if fresh:
            self.conn.execute(_insert_statement(self.table), fresh)
        self.before.clear()
        self.rows.clear()
