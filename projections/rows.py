"""Rows of a table held in memory for one batch, written back once at its end.

A projection that touches the same rows again and again (an incident's row at
every step) loads the rows its batch needs with a few ``IN`` queries, applies
the batch's events to plain dicts, and writes back only the rows that changed:
one ``DELETE`` and one multi-row ``INSERT`` per table and batch instead of
several statements per event. Plain SQL, the same on SQLite and PostgreSQL.

The inserts go to the driver as one ``executemany`` of the statement compiled
once, with each column's own bind processing applied here: SQLAlchemy's
per-row parameter handling took as long as the inserts themselves (a rebuild
writes a row or two for every event). SQLite's ``DateTime`` is stored in the
dialect's own text format, made for naive datetimes by ``isoformat`` (C) rather
than the dialect's Python formatting.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    DateTime,
    Delete,
    Dialect,
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


Processor = Callable[[Any], Any]


@dataclass(frozen=True)
class DriverInsert:
    """A table's INSERT as the driver's SQL, the columns in the order it takes
    them, and the bind processing of those that have any (by position)."""

    sql: str
    names: tuple[str, ...]
    converters: tuple[tuple[int, Processor], ...]
    positional: bool

    def params(self, rows: list[dict[str, Any]]) -> list[Any]:
        if not rows:
            return []
        pick = itemgetter(*self.names)
        values: list[Any] = (
            [pick(row) for row in rows] if len(self.names) > 1 else [(pick(row),) for row in rows]
        )
        if self.converters:  # column by column: one map over each converted column
            columns: list[Any] = list(zip(*values, strict=True))
            texts: _Texts | None = None  # one for the moments of every column
            for i, process in self.converters:
                if isinstance(process, _SQLiteMoments):
                    texts = _Texts(process) if texts is None else texts
                    columns[i] = map(texts.__getitem__, columns[i])
                else:
                    columns[i] = map(process, columns[i])
            values = list(zip(*columns, strict=True))
        if self.positional:
            return values
        return [dict(zip(self.names, v, strict=True)) for v in values]


_driver_inserts: dict[tuple[Table, str, tuple[str, ...] | None], DriverInsert] = {}


class _SQLiteMoments:
    """SQLite's ``DateTime`` bind processing, fast for naive datetimes: the same
    text (``YYYY-MM-DD HH:MM:SS.ffffff``) as the dialect's storage format."""

    def __init__(self, standard: Processor) -> None:
        self.standard = standard

    def __call__(self, value: Any) -> Any:
        if type(value) is datetime and value.tzinfo is None:
            return value.isoformat(" ", "microseconds")
        return None if value is None else self.standard(value)


class _Texts(dict[Any, Any]):
    """The texts of one batch's moments, each naive moment formatted once: rows
    share many (an interval ends when the next begins, an incident's intervals
    share its opening). An aware moment is formatted every time, as the dialect
    formats it in its own zone, and equal instants in two zones are not one text."""

    def __init__(self, process: _SQLiteMoments) -> None:
        super().__init__()
        self.process = process

    def __missing__(self, value: Any) -> Any:
        text = self.process(value)
        if value is None or (type(value) is datetime and value.tzinfo is None):
            self[value] = text
        return text


def driver_insert(
    table: Table, dialect: Dialect, columns: tuple[str, ...] | None = None
) -> DriverInsert:
    """``table``'s INSERT for the driver (computed once per table and dialect), of
    every column or of ``columns`` only (the others left to the database: an
    autoincrement key), for many rows at once (no ``RETURNING``)."""
    key = (table, dialect.name, columns)
    if key not in _driver_inserts:
        statement = _insert_statement(table)
        compiled = (
            statement.compile(dialect=dialect)
            if columns is None
            else statement.compile(dialect=dialect, column_keys=list(columns), for_executemany=True)
        )
        names = tuple(compiled.positiontup or compiled.binds)
        converters = []
        for i, name in enumerate(names):
            column_type = table.c[name].type
            process: Processor | None = column_type.dialect_impl(dialect).bind_processor(dialect)
            if process and dialect.name == "sqlite" and isinstance(column_type, DateTime):
                process = _SQLiteMoments(process)
            if process is not None:
                converters.append((i, process))
        _driver_inserts[key] = DriverInsert(
            str(compiled), names, tuple(converters), bool(compiled.positional)
        )
    return _driver_inserts[key]


def insert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts holding every column) in one driver ``executemany``."""
    insert = driver_insert(table, conn.dialect)
    conn.exec_driver_sql(insert.sql, insert.params(rows))


class Rows:
    """The rows of ``table`` the batch has loaded or made, by primary key."""

    def __init__(self, conn: Connection, table: Table) -> None:
        self.conn = conn
        self.table = table
        self.key_columns = [c.name for c in table.primary_key.columns]
        pick = itemgetter(*self.key_columns)
        self.key: Callable[[dict[str, Any]], Key] = (
            pick if len(self.key_columns) > 1 else lambda row: (pick(row),)
        )
        self.before: dict[Key, dict[str, Any]] = {}
        self.rows: dict[Key, dict[str, Any] | None] = {}

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
            insert_rows(self.conn, self.table, fresh)
        self.before.clear()
        self.rows.clear()
