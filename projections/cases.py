"""Cases: one row per incident, the publicity board, and statistics.

``cases`` keeps each incident's facts and milestones (reported, outcome and its
source, reward, publicity, closing). ``statistics`` keeps counters by unit (the
incident's community, its station and its county each get a row), Asia/Shanghai
month, module (the app's six) and metric, so the figures the county quotes
(disputes found and mediated, hazards found, clues collected) are indexed reads.

Metrics: ``discovered``, ``reported``, ``escalated``, ``diverted``,
``outcome:<source>`` (handled_locally, self_handled, station, county,
department), ``rewarded`` and ``points``, ``publicized``, ``closed``,
``rejected:<kind>``.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    select,
)

from projections.base import Projection, Tables, handles, month_of, unit_path, utc


class Cases(Projection):
    name = "cases"
    version = 1

    def define(self, metadata: MetaData, suffix: str) -> Tables:
        cases = Table(
            f"cases_{suffix}",
            metadata,
            Column("incident_id", String(36), primary_key=True),
            Column("county", String(200), nullable=False),
            Column("station", String(200), nullable=False),
            Column("community", String(200), nullable=False),
            Column("module", String(32), nullable=False),
            Column("sense", String(16), nullable=False),
            Column("what", String(500), nullable=False),
            Column("place", String(200), nullable=False),
            Column("reporter_id", String(100), nullable=False),
            Column("channel", String(16)),
            Column("urgency", String(16)),
            Column("stage", String(32), nullable=False),
            Column("opened_at", DateTime, nullable=False),
            Column("outcome_source", String(32)),
            Column("outcome_summary", String(500)),
            Column("outcome_at", DateTime),
            Column("points", Integer),
            Column("publicity_title", String(200)),
            Column("publicized_at", DateTime),
            Column("closed_at", DateTime),
            Column("rejection_kind", String(16)),
        )
        for level in ("county", "station", "community"):
            Index(f"ix_cases_{suffix}_{level}_pub", cases.c[level], cases.c.publicized_at)
        statistics = Table(
            f"statistics_{suffix}",
            metadata,
            Column("unit", String(200), primary_key=True),
            Column("period", String(7), primary_key=True),
            Column("module", String(32), primary_key=True),
            Column("metric", String(40), primary_key=True),
            Column("value", Integer, nullable=False),
        )
        return {"cases": cases, "statistics": statistics}

    # -- writing --------------------------------------------------------------------

    def __init__(self) -> None:
        self._pending: dict[int, Counter[tuple[str, str, str, str]]] = {}

    def _count(self, tables: Tables, case: Any, at: datetime, metric: str, by: int = 1) -> None:
        """Add to the counters of the case's community, station and county; the
        batch's sums are written once, in ``flush``."""
        pending = self._pending.setdefault(id(tables["statistics"]), Counter())
        period = month_of(at)
        for unit in (case.county, case.station, case.community):
            pending[(unit, period, case.module, metric)] += by

    def flush(self, conn: Connection, tables: Tables) -> None:
        statistics = tables["statistics"]
        pending = self._pending.pop(id(statistics), Counter())
        for (unit, period, module, metric), by in sorted(pending.items()):
            done = conn.execute(
                statistics.update()
                .where(
                    statistics.c.unit == unit,
                    statistics.c.period == period,
                    statistics.c.module == module,
                    statistics.c.metric == metric,
                )
                .values(value=statistics.c.value + by)
            )
            if done.rowcount == 0:
                conn.execute(
                    statistics.insert(),
                    {
                        "unit": unit,
                        "period": period,
                        "module": module,
                        "metric": metric,
                        "value": by,
                    },
                )

    @staticmethod
    def _case(conn: Connection, tables: Tables, event: Any) -> Any:
        cases = tables["cases"]
        return conn.execute(
            select(cases).where(cases.c.incident_id == str(event.originator_id))
        ).one()

    @staticmethod
    def _update(conn: Connection, tables: Tables, event: Any, **values: Any) -> None:
        cases = tables["cases"]
        conn.execute(
            cases.update()
            .where(cases.c.incident_id == str(event.originator_id))
            .values(stage=event.stage, **values)
        )

    @handles("Incident.Discovered")
    def discovered(self, conn: Connection, tables: Tables, event: Any) -> None:
        county, station, community = unit_path(event.community)
        row = {
            "incident_id": str(event.originator_id),
            "county": county,
            "station": station,
            "community": community,
            "module": event.module,
            "sense": event.sense,
            "what": event.what,
            "place": event.where,
            "reporter_id": event.reporter_id,
            "stage": event.stage,
            "opened_at": utc(event.timestamp),
        }
        conn.execute(tables["cases"].insert(), row)
        self._count(tables, self._case(conn, tables, event), event.timestamp, "discovered")

    @handles("Incident.Reported")
    def reported(self, conn: Connection, tables: Tables, event: Any) -> None:
        self._update(conn, tables, event, channel=event.channel, urgency=event.urgency)
        self._count(tables, self._case(conn, tables, event), event.timestamp, "reported")

    @handles("Incident.Escalated", "Incident.Diverted")
    def moved_on(self, conn: Connection, tables: Tables, event: Any) -> None:
        self._update(conn, tables, event)
        metric = "escalated" if type(event).__name__ == "Escalated" else "diverted"
        self._count(tables, self._case(conn, tables, event), event.timestamp, metric)

    @handles(
        "Incident.AcceptedForHandling",
        "Incident.Returned",
        "Incident.HandedOver",
        "Incident.FollowUpChased",
        "Incident.ScoreProposed",
        "Incident.ScoreSigned",
    )
    def stepped(self, conn: Connection, tables: Tables, event: Any) -> None:
        self._update(conn, tables, event)

    @handles("Incident.OutcomeRecorded")
    def outcome(self, conn: Connection, tables: Tables, event: Any) -> None:
        self._update(
            conn,
            tables,
            event,
            outcome_source=event.source,
            outcome_summary=event.summary,
            outcome_at=utc(event.timestamp),
        )
        case = self._case(conn, tables, event)
        self._count(tables, case, event.timestamp, f"outcome:{event.source}")

    @handles("Incident.Rewarded")
    def rewarded(self, conn: Connection, tables: Tables, event: Any) -> None:
        self._update(conn, tables, event, points=event.points)
        case = self._case(conn, tables, event)
        self._count(tables, case, event.timestamp, "rewarded")
        self._count(tables, case, event.timestamp, "points", event.points)

    @handles("Incident.Publicized")
    def publicized(self, conn: Connection, tables: Tables, event: Any) -> None:
        self._update(
            conn, tables, event, publicity_title=event.title, publicized_at=utc(event.timestamp)
        )
        self._count(tables, self._case(conn, tables, event), event.timestamp, "publicized")

    @handles("Incident.Closed")
    def closed(self, conn: Connection, tables: Tables, event: Any) -> None:
        self._update(conn, tables, event, closed_at=utc(event.timestamp))
        self._count(tables, self._case(conn, tables, event), event.timestamp, "closed")

    @handles("Incident.Rejected")
    def rejected(self, conn: Connection, tables: Tables, event: Any) -> None:
        self._update(conn, tables, event, closed_at=utc(event.timestamp), rejection_kind=event.kind)
        case = self._case(conn, tables, event)
        self._count(tables, case, event.timestamp, f"rejected:{event.kind}")
