"""Catalogue: the goods each Happiness Bank (幸福银行) holds, one row per item.

``catalogue`` keeps each donated item's bank (a community, or a station for all
its communities; split into county, station and community, each indexed, so
``scope_column`` selects a unit's banks), name, donors (a JSON list, first donor
first, as the item lists them), stock, price in points, the per-volunteer limit,
the pieces handed out in all, and when it was donated. Stock follows the
``RewardItem`` aggregate: a restock adds, a hand-out takes.

A batch is applied in memory to the rows it touches (``projections.rows``).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Column, Connection, DateTime, Index, Integer, MetaData, String, Table, Text

from projections.base import Projection, Tables, handles, level_indexes, unit_path, utc
from projections.rows import Rows


def donors_of(row: Any) -> list[str]:
    """The donor names of a catalogue row, first donor first."""
    names: list[str] = json.loads(row.donors)
    return names


def _donors(names: list[str]) -> str:
    return json.dumps(names, ensure_ascii=False)


class Catalogue(Projection):
    name = "catalogue"
    version = 1

    def define(self, metadata: MetaData, suffix: str) -> Tables:
        catalogue = Table(
            f"catalogue_{suffix}",
            metadata,
            Column("item_id", String(36), primary_key=True),
            Column("bank", String(200), nullable=False),
            Column("county", String(200)),
            Column("station", String(200)),
            Column("community", String(200)),
            Column("name", String(100), nullable=False),
            Column("donors", Text, nullable=False),
            Column("stock", Integer, nullable=False),
            Column("price", Integer, nullable=False),
            Column("limit_per_volunteer", Integer),
            Column("handed_out", Integer, nullable=False),
            Column("donated_at", DateTime, nullable=False),
        )
        Index(f"ix_catalogue_{suffix}_bank", catalogue.c.bank, catalogue.c.name)
        level_indexes(catalogue, "{level}", "bank")
        return {"catalogue": catalogue}

    def apply_batch(self, conn: Connection, tables: Tables, events: list[tuple[str, Any]]) -> None:
        if not events:
            return
        items = Rows(conn, tables["catalogue"])
        items.load("item_id", {str(e.originator_id) for _, e in events})
        for name, event in events:
            self.handlers[name](self, items, event)
        items.write()

    @staticmethod
    def _item(items: Rows, event: Any) -> dict[str, Any]:
        item = items.get(str(event.originator_id))
        assert item is not None, "a change to an item never donated"
        return item

    @handles("RewardItem.Donated")
    def donated(self, items: Rows, event: Any) -> None:
        county, station, community = unit_path(event.bank)
        items.put(
            {
                "item_id": str(event.originator_id),
                "bank": event.bank,
                "county": county,
                "station": station,
                "community": community,
                "name": event.name,
                "donors": _donors([event.donor]),
                "stock": int(event.stock),
                "price": int(event.price),
                "limit_per_volunteer": event.limit_per_volunteer,
                "handed_out": 0,
                "donated_at": utc(event.timestamp),
            }
        )

    @handles("RewardItem.Restocked")
    def restocked(self, items: Rows, event: Any) -> None:
        item = self._item(items, event)
        names = json.loads(item["donors"])
        if event.donor not in names:
            names.append(event.donor)
        items.put({**item, "stock": item["stock"] + int(event.quantity), "donors": _donors(names)})

    @handles("RewardItem.HandedOut")
    def handed_out(self, items: Rows, event: Any) -> None:
        item = self._item(items, event)
        quantity = int(event.quantity)
        items.put(
            {
                **item,
                "stock": item["stock"] - quantity,
                "handed_out": item["handed_out"] + quantity,
            }
        )
