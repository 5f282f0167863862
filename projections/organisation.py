"""Organisation: the registered units, one row each, as the registry holds them now.

``units`` keeps each unit's code, kind, parent, current names (zh-CN, English),
centre point, when it was registered and retired, and the unit it was merged
into. Queries read a unit's scope from it: the unit and every unit below it
(``projections.scoping``). A batch is applied in memory to the rows it touches.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Connection, DateTime, Float, Index, MetaData, String, Table

from projections.base import Projection, Tables, handles, utc
from projections.rows import Rows


class Organisation(Projection):
    name = "organisation"
    version = 1

    def define(self, metadata: MetaData, suffix: str) -> Tables:
        units = Table(
            f"org_units_{suffix}",
            metadata,
            Column("code", String(64), primary_key=True),
            Column("kind", String(20), nullable=False),
            Column("parent", String(64)),
            Column("name", String(60), nullable=False),
            Column("name_en", String(60), nullable=False),
            Column("latitude", Float),
            Column("longitude", Float),
            Column("registered_at", DateTime, nullable=False),
            Column("retired_at", DateTime),
            Column("merged_into", String(64)),
        )
        Index(f"ix_org_units_{suffix}_parent", units.c.parent, units.c.code)
        return {"units": units}

    def apply_batch(self, conn: Connection, tables: Tables, events: list[tuple[str, Any]]) -> None:
        if not events:
            return
        units = Rows(conn, tables["units"])
        units.load("code", {e.code for _, e in events if hasattr(e, "code")})
        for name, event in events:
            self.handlers[name](self, units, event)
        units.write()

    @staticmethod
    def _unit(units: Rows, code: str) -> dict[str, Any]:
        row = units.get(code)
        assert row is not None, "a change to a unit never registered"
        return row

    @handles("Organisation.UnitRegistered")
    def registered(self, units: Rows, event: Any) -> None:
        centre = event.centre or (None, None)
        units.put(
            {
                "code": event.code,
                "kind": event.kind,
                "parent": event.parent,
                "name": event.name,
                "name_en": event.name_en or "",
                "latitude": centre[0],
                "longitude": centre[1],
                "registered_at": utc(event.timestamp),
                "retired_at": None,
                "merged_into": None,
            }
        )

    @handles("Organisation.UnitRenamed")
    def renamed(self, units: Rows, event: Any) -> None:
        row = self._unit(units, event.code)
        units.put({**row, "name": event.name, "name_en": event.name_en or ""})

    @handles("Organisation.UnitMoved")
    def moved(self, units: Rows, event: Any) -> None:
        units.put({**self._unit(units, event.code), "parent": event.parent})

    @handles("Organisation.UnitMerged")
    def merged(self, units: Rows, event: Any) -> None:
        row = self._unit(units, event.code)
        at = utc(event.timestamp)
        units.put({**row, "parent": event.into, "merged_into": event.into, "retired_at": at})

    @handles("Organisation.UnitRetired")
    def retired(self, units: Rows, event: Any) -> None:
        units.put({**self._unit(units, event.code), "retired_at": utc(event.timestamp)})
