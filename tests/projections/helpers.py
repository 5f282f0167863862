"""Shared helpers: read models over an application, and table dumps to compare."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from loop.bootstrap import build_key_store, persistence_env
from loop.flow import IncidentFlow
from loop.settings import Settings
from projections.processing import Projector
from projections.store import Store
from tests.support import FakeClock


def dump(projector: Projector) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every live read-model table, by table kind, in key order."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    with projector.store.read() as conn:
        for name in sorted(projector.projections):
            for kind, table in projector.live_tables(conn, name).items():
                query = select(table).order_by(*table.primary_key.columns)
                rows[f"{name}.{kind}"] = [tuple(r) for r in conn.execute(query)]
    return rows


def file_flow(path: Path, clock: FakeClock | None = None) -> IncidentFlow:
    url = f"sqlite:///{path}"
    keys = build_key_store(Settings(database_url=url))
    return IncidentFlow(persistence_env(url), clock=clock or FakeClock(), key_store=keys)


def projector_for(flow: IncidentFlow, url: str, batch_size: int = 500) -> Projector:
    projector = Projector(Store.from_url(url), flow.recorder, flow.mapper, batch_size=batch_size)
    projector.flow = flow  # type: ignore[attr-defined]  # keeps the application's recorder open
    return projector
