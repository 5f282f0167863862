"""Cases: one row per incident, the publicity board, and statistics.

``cases`` keeps each incident's facts and milestones (reported, outcome and its
source, reward, publicity, closing), indexed by unit and by reporter with the
time it was opened, so a unit's or a volunteer's newest incidents are one page
read along an index. ``statistics`` keeps counters by unit (the incident's
community, its station and its county each get a row), Asia/Shanghai month,
module (the app's six) and metric, so the figures the county quotes (disputes
found and mediated, hazards found, clues collected) are indexed reads.

Metrics: ``discovered``, ``reported``, ``escalated``, ``diverted``,
``outcome:<source>`` (handled_locally, self_handled, station, county,
department), ``rewarded`` and ``points`` (what the Happiness Bank credited,
after the period's cap), ``publicized``, ``closed``, ``rejected:<kind>``.

The figures say what the log says now: a case rejected after its reward (its
deposit reversed with the rejection) counts no longer as rewarded, publicized or
closed and its points leave the total, each taken back in the month it was
counted; it leaves the publicity board too. A counter back at zero has no row.
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
)

from projections.base import Projection, Tables, handles, level_indexes, month_of, unit_path, utc
from projections.rows import Rows


class Cases(Projection):
    name = "cases"
    version = 3  # 3: credited points and the reward's time; corrections taken back

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
            Column("credited", Integer),
            Column("rewarded_at", DateTime),
            Column("publicity_title", String(200)),
            Column("publicized_at", DateTime),
            Column("closed_at", DateTime),
            Column("rejection_kind", String(16)),
        )
        level_indexes(cases, "{level}", "publicized_at", tag="_pub")
        level_indexes(cases, "{level}", "opened_at", "incident_id", tag="_opened")
        Index(
            f"ix_cases_{suffix}_reporter",
            cases.c.reporter_id,
            cases.c.opened_at,
            cases.c.incident_id,
        )
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

    def apply_batch(self, conn: Connection, tables: Tables, events: list[tuple[str, Any]]) -> None:
        if not events:
            return
        batch = _Batch(conn, tables)
        batch.cases.load("incident_id", {str(e.originator_id) for _, e in events})
        for name, event in events:
            self.handlers[name](self, batch, event)
        batch.cases.write()
        statistics = tables["statistics"]
        periods = sorted({period for _, period, *_ in batch.counts})
        batch.statistics.load(
            "unit", {unit for unit, *_ in batch.counts}, statistics.c.period.in_(periods)
        )
        for (unit, period, module, metric), by in batch.counts.items():
            row = batch.statistics.get(unit, period, module, metric)
            value = (row["value"] if row else 0) + by
            if value == 0:
                batch.statistics.delete(unit, period, module, metric)
                continue
            batch.statistics.put(
                {"unit": unit, "period": period, "module": module, "metric": metric, "value": value}
            )
        batch.statistics.write()

    @staticmethod
    def _count(batch: _Batch, case: dict[str, Any], at: datetime, metric: str, by: int = 1) -> None:
        """Add to the counters of the case's community, station and county."""
        period = month_of(at)
        for unit in (case["county"], case["station"], case["community"]):
            batch.counts[(unit, period, case["module"], metric)] += by

    @staticmethod
    def _update(batch: _Batch, event: Any, **values: Any) -> dict[str, Any]:
        case = batch.cases.get(str(event.originator_id))
        assert case is not None, "a step of an incident never discovered"
        return batch.cases.put({**case, "stage": event.stage, **values})

    @handles("Incident.Discovered")
    def discovered(self, batch: _Batch, event: Any) -> None:
        county, station, community = unit_path(event.community)
        case = batch.cases.put(
            {
                "incident_id": str(event.originator_id),
                "county": county,
                "station": station,
                "community": community,
                "module": event.module,
                "sense": event.sense,
                "what": event.what,
                "place": event.where,
                "reporter_id": event.reporter_id,
                "channel": None,
                "urgency": None,
                "stage": event.stage,
                "opened_at": utc(event.timestamp),
                "outcome_source": None,
                "outcome_summary": None,
                "outcome_at": None,
                "points": None,
                "credited": None,
                "rewarded_at": None,
                "publicity_title": None,
                "publicized_at": None,
                "closed_at": None,
                "rejection_kind": None,
            }
        )
        self._count(batch, case, event.timestamp, "discovered")

    @handles("Incident.Reported")
    def reported(self, batch: _Batch, event: Any) -> None:
        case = self._update(batch, event, channel=event.channel, urgency=event.urgency)
        self._count(batch, case, event.timestamp, "reported")

    @handles("Incident.Escalated")
    def escalated(self, batch: _Batch, event: Any) -> None:
        self._count(batch, self._update(batch, event), event.timestamp, "escalated")

    @handles("Incident.Diverted")
    def diverted(self, batch: _Batch, event: Any) -> None:
        self._count(batch, self._update(batch, event), event.timestamp, "diverted")

    @handles(
        "Incident.AcceptedForHandling",
        "Incident.Returned",
        "Incident.HandedOver",
        "Incident.FollowUpChased",
        "Incident.ScoreProposed",
        "Incident.ScoreSigned",
    )
    def stepped(self, batch: _Batch, event: Any) -> None:
        self._update(batch, event)

    @handles("Incident.OutcomeRecorded")
    def outcome(self, batch: _Batch, event: Any) -> None:
        case = self._update(
            batch,
            event,
            outcome_source=event.source,
            outcome_summary=event.summary,
            outcome_at=utc(event.timestamp),
        )
        self._count(batch, case, event.timestamp, f"outcome:{event.source}")

    @handles("Incident.Rewarded")
    def rewarded(self, batch: _Batch, event: Any) -> None:
        credited = int(event.credited)
        at = utc(event.timestamp)
        case = self._update(batch, event, points=event.points, credited=credited, rewarded_at=at)
        self._count(batch, case, event.timestamp, "rewarded")
        self._count(batch, case, event.timestamp, "points", credited)

    @handles("Incident.Publicized")
    def publicized(self, batch: _Batch, event: Any) -> None:
        case = self._update(
            batch, event, publicity_title=event.title, publicized_at=utc(event.timestamp)
        )
        self._count(batch, case, event.timestamp, "publicized")

    @handles("Incident.Closed")
    def closed(self, batch: _Batch, event: Any) -> None:
        case = self._update(batch, event, closed_at=utc(event.timestamp))
        self._count(batch, case, event.timestamp, "closed")

    @handles("Incident.Rejected")
    def rejected(self, batch: _Batch, event: Any) -> None:
        before = batch.cases.get(str(event.originator_id))
        if before is not None and before["rewarded_at"] is not None:  # a correction
            self._take_back(batch, before)
        case = self._update(batch, event, closed_at=utc(event.timestamp), rejection_kind=event.kind)
        self._count(batch, case, event.timestamp, f"rejected:{event.kind}")

    def _take_back(self, batch: _Batch, case: dict[str, Any]) -> None:
        """A rewarded case rejected: what it counted as rewarded, publicized and
        closed is taken back in the months it was counted."""
        self._count(batch, case, case["rewarded_at"], "rewarded", -1)
        self._count(batch, case, case["rewarded_at"], "points", -(case["credited"] or 0))
        if case["publicized_at"] is not None:
            self._count(batch, case, case["publicized_at"], "publicized", -1)
        if case["stage"] == "closed":
            self._count(batch, case, case["closed_at"], "closed", -1)


class _Batch:
    def __init__(self, conn: Connection, tables: Tables) -> None:
        self.cases = Rows(conn, tables["cases"])
        self.statistics = Rows(conn, tables["statistics"])
        self.counts: Counter[tuple[str, str, str, str]] = Counter()
