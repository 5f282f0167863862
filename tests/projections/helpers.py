"""Shared helpers: read models over an application, and table dumps to compare."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import select

from aggregates.actor import Actor
from loop import demo
from loop.bootstrap import open_loop
from loop.rules.scoring import FUPING_SCORING
from loop.services.incidents import IncidentFlow
from loop.settings import Settings
from loop.storage.persistence import build_key_store, persistence_env
from projections import build
from projections.processing import Projector
from projections.store import Store
from tests.builders import handled, rewarded, scored
from tests.support import CHINA, FakeClock


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
    return open_loop(persistence_env(url), clock=clock or FakeClock(), key_store=keys).incidents


def projector_for(flow: IncidentFlow, url: str, batch_size: int = 500) -> Projector:
    projector = Projector(
        Store.from_url(url),
        flow.app.recorder,
        flow.app.mapper,
        batch_size=batch_size,
        build_batch_size=batch_size,  # the small batches these tests choose, rebuilds too
    )
    projector.flow = flow  # type: ignore[attr-defined]  # keeps the application's recorder open
    return projector


class World:
    """An application on a clock the test moves, with in-memory read models over it."""

    def __init__(self) -> None:
        self.clock = FakeClock(datetime(2026, 7, 31, 23, 0, tzinfo=CHINA))
        self.flow = open_loop(clock=self.clock, scoring=FUPING_SCORING).incidents
        self.views = build(Settings(database_url="memory://"), self.flow.app)

    @property
    def q(self) -> Any:
        self.views.projector.catch_up()
        return self.views.queries

    def report(self, who: Actor = demo.RIDER, module: str = "hazard_screening") -> UUID:
        self.clock.tick()
        ack = self.flow.report_new(
            who, channel="app", module=module, sense="seen", what="井盖丢失", where="幸福路"
        )
        return UUID(ack.incident_id)

    def reward(self, volunteer: Actor, *points: int) -> None:
        """Drive one of the volunteer's reports up to the reward for each of ``points``."""
        for n in points:
            incident = self.report(volunteer)
            handled(self.flow, incident)
            scored(self.flow, incident, n, basis="考评")
            rewarded(self.flow, incident)


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [i["incident_id"] for i in items]
