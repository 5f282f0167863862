"""Checking the live read models against a rebuild from the log, row by row.

Each projection is built again, beside the live tables, into tables of its own
(suffix ``check<pid>``) that nobody reads and no projector knows: they are in no
position row, so no round advances, switches or drops them. The check build is
brought up to exactly the live build's position, and both are compared in one
read transaction, in the database (``EXCEPT`` both ways), so nothing is held in
memory but the rows that differ. While a live projector moves on, the check build
follows it and compares again, until both stand at the same position in one
snapshot. The check tables are dropped afterwards.

Someone who edits a backlog or score row in the database is found here: the
log, verified by ``lishu verify``, rebuilds the true rows.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, select
from sqlalchemy.schema import CreateTable

from projections.base import Projection, Tables, event_name
from projections.errors import ProjectionNotReady
from projections.processing import BUILD_BATCH_SIZE, Projector
from projections.store import live, positions

ATTEMPTS = 100


@dataclass(frozen=True)
class RowDifference:
    """A row the live table and the rebuild disagree on, by its primary key."""

    table: str
    key: dict[str, Any]
    live: dict[str, Any] | None
    rebuilt: dict[str, Any] | None

    def describe(self) -> str:
        key = ", ".join(f"{k}={v}" for k, v in self.key.items())
        if self.rebuilt is None:
            return f"{self.table} [{key}]: only in the live table (not in the rebuild)"
        if self.live is None:
            return f"{self.table} [{key}]: missing from the live table"
        changed = [k for k in self.rebuilt if self.live.get(k) != self.rebuilt[k]]
        values = "; ".join(
            f"{k}: live {self.live[k]!r}, rebuilt {self.rebuilt[k]!r}" for k in changed
        )
        return f"{self.table} [{key}]: {values}"


def compare(projector: Projector, names: Sequence[str] | None = None) -> list[RowDifference]:
    """Every row on which a live read model differs from its rebuild."""
    projector.setup()
    chosen = [projector.projection(n) for n in names] if names else projector.projections.values()
    found: list[RowDifference] = []
    for projection in chosen:
        found += _compare_one(projector, projection)
    return found


def _compare_one(projector: Projector, projection: Projection) -> list[RowDifference]:
    suffix = f"check{os.getpid()}"
    tables = projector.tables(projection, suffix)
    with projector.store.write() as conn:
        for table in tables.values():
            table.drop(conn, checkfirst=True)  # left by a check that was interrupted
            conn.execute(CreateTable(table))
    try:
        position = 0
        for _ in range(ATTEMPTS):
            with projector.store.read() as conn:
                target = _live_position(conn, projection.name)
            position = _advance(projector, projection, tables, position, target)
            with projector.store.read() as conn:  # one snapshot: position and rows
                if _live_position(conn, projection.name) == position:
                    live_tables = projector.live_tables(conn, projection.name)
                    return [
                        difference
                        for kind, table in live_tables.items()
                        for difference in _differences(
                            conn, f"{projection.name}.{kind}", table, tables[kind]
                        )
                    ]
        raise ProjectionNotReady(
            f"投影 {projection.name} 一直在前进，未能在同一位置比较",
            f"projection {projection.name} kept moving; no position to compare at was found",
            name=projection.name,
        )
    finally:
        with projector.store.write() as conn:
            for table in tables.values():
                table.drop(conn, checkfirst=True)
        projector._tables.pop((projection.name, suffix), None)


def _live_position(conn: Connection, name: str) -> int:
    row = conn.execute(
        select(positions.c.position)
        .join(live, (live.c.name == positions.c.name) & (live.c.suffix == positions.c.suffix))
        .where(live.c.name == name)
    ).first()
    if row is None:
        raise ProjectionNotReady(
            f"投影 {name} 尚无在用的版本，无法比较",
            f"projection {name} has no live build to compare",
            name=name,
        )
    return int(row.position)


def _advance(
    projector: Projector, projection: Projection, tables: Tables, position: int, target: int
) -> int:
    """Apply the log to the check tables from ``position`` up to exactly ``target``."""
    while position < target:
        notifications = projector.recorder.select_notifications(
            start=position, limit=BUILD_BATCH_SIZE, stop=target, inclusive_of_start=False
        )
        if not notifications:
            return target
        events = [
            (name, projector.mapper.to_domain_event(n))
            for n in notifications
            if (name := event_name(n.topic)) in projection.handlers
        ]
        with projector.store.write() as conn:
            projection.apply_batch(conn, tables, events)
        position = notifications[-1].id
    return position


def _differences(
    conn: Connection, label: str, live_table: Table, rebuilt: Table
) -> list[RowDifference]:
    key = [c.name for c in live_table.primary_key.columns]
    only_live = _rows(conn, live_table, rebuilt)
    only_rebuilt = _rows(conn, rebuilt, live_table)
    by_key = {tuple(row[k] for k in key): row for row in only_rebuilt}
    found = []
    for row in only_live:
        ident = tuple(row[k] for k in key)
        found.append(
            RowDifference(label, dict(zip(key, ident, strict=True)), row, by_key.pop(ident, None))
        )
    for ident, row in by_key.items():
        found.append(RowDifference(label, dict(zip(key, ident, strict=True)), None, row))
    return found


def _rows(conn: Connection, table: Table, other: Table) -> list[dict[str, Any]]:
    """Rows of ``table`` that ``other`` does not hold, column for column."""
    query = select(*table.c).except_(select(*(other.c[c.name] for c in table.c)))
    return [dict(row._mapping) for row in conn.execute(query)]
