"""GeoReport requests: one row per resident's report that came in through the
Open311 facade, so other apps' ``GET requests`` (by jurisdiction, period, status
and service) are one indexed read.

A row holds what the facade shows and nothing else: the service (the module),
the description and address as recorded (the resident's own name and phone were
kept apart at intake), the point, the media reference, the stage with its owner
and due time, whether the outcome was recorded, and when it was requested and
last changed. Incidents reported otherwise have no row.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    select,
)

from projections.base import Projection, Tables, handles, iso, unit_path, utc
from projections.rows import Rows

if TYPE_CHECKING:
    from projections.processing import Projector

SOURCE = "open311"
STEPS = (
    "Reported",
    "AcceptedForHandling",
    "Escalated",
    "Returned",
    "Diverted",
    "HandedOver",
    "FollowUpChased",
    "OutcomeRecorded",
    "ScoreProposed",
    "ScoreSigned",
    "Rewarded",
    "Publicized",
    "Closed",
    "Rejected",
)
"""Every step event of an incident: each moves its stage, owner and due time."""
ENDED = ("closed", "rejected")


class GeoReport(Projection):
    name = "georeport"
    version = 1

    def define(self, metadata: MetaData, suffix: str) -> Tables:
        requests = Table(
            f"georeport_{suffix}",
            metadata,
            Column("incident_id", String(36), primary_key=True),
            Column("county", String(200), nullable=False),
            Column("community", String(200), nullable=False),
            Column("client", String(40), nullable=False),
            Column("service_code", String(32), nullable=False),
            Column("description", Text, nullable=False),
            Column("address", String(200), nullable=False),
            Column("lat", Float),
            Column("long", Float),
            Column("media_url", String(500)),
            Column("stage", String(32), nullable=False),
            Column("owner_unit", String(200)),
            Column("due_at", DateTime),
            Column("outcome", Boolean, nullable=False),
            Column("requested_at", DateTime, nullable=False),
            Column("updated_at", DateTime, nullable=False),
        )
        Index(
            f"ix_georeport_{suffix}_requested",
            requests.c.county,
            requests.c.client,
            requests.c.requested_at,
        )
        updates = Table(
            f"georeport_updates_{suffix}",
            metadata,
            Column("update_id", String(48), primary_key=True),
            Column("incident_id", String(36), nullable=False),
            Column("county", String(200), nullable=False),
            Column("client", String(40), nullable=False),
            Column("version", Integer, nullable=False),
            Column("stage", String(32), nullable=False),
            Column("rejection_kind", String(16)),
            Column("updated_at", DateTime, nullable=False),
        )
        Index(
            f"ix_georeport_updates_{suffix}_at",
            updates.c.county,
            updates.c.client,
            updates.c.updated_at,
        )
        Index(f"ix_georeport_updates_{suffix}_request", updates.c.incident_id)
        return {"requests": requests, "updates": updates}

    def apply_batch(self, conn: Connection, tables: Tables, events: list[tuple[str, Any]]) -> None:
        if not events:
            return
        rows = Rows(conn, tables["requests"])
        rows.load("incident_id", {str(e.originator_id) for _, e in events})
        updates = Rows(conn, tables["updates"])
        for name, event in events:
            self.handlers[name](self, rows, event)
            row = rows.get(str(event.originator_id))
            if row is not None and name != "Incident.Discovered":
                updates.put(
                    {
                        "update_id": f"{event.originator_id}-{event.originator_version}",
                        "incident_id": str(event.originator_id),
                        "county": row["county"],
                        "client": row["client"],
                        "version": event.originator_version,
                        "stage": event.stage,
                        "rejection_kind": getattr(event, "kind", None),
                        "updated_at": utc(event.timestamp),
                    }
                )
        rows.write()
        updates.write()

    @handles("Incident.Discovered")
    def discovered(self, rows: Rows, event: Any) -> None:
        intake = getattr(event, "intake", None) or {}
        if intake.get("source") != SOURCE:
            return
        point = getattr(event, "point", None) or {}
        county, _station, _community = unit_path(event.community)
        rows.put(
            {
                "incident_id": str(event.originator_id),
                "county": county,
                "community": event.community,
                "client": intake.get("client") or "",
                "service_code": event.module,
                "description": event.what,
                "address": event.where,
                "lat": point.get("lat"),
                "long": point.get("long"),
                "media_url": intake.get("media_url"),
                "stage": event.stage,
                "owner_unit": event.owner_unit,
                "due_at": utc(event.due_at),
                "outcome": False,
                "requested_at": utc(event.timestamp),
                "updated_at": utc(event.timestamp),
            }
        )

    @handles(*(f"Incident.{step}" for step in STEPS))
    def stepped(self, rows: Rows, event: Any) -> None:
        row = rows.get(str(event.originator_id))
        if row is None:  # not a request of the facade
            return
        rows.put(
            {
                **row,
                "stage": event.stage,
                "owner_unit": event.owner_unit,
                "due_at": utc(event.due_at),
                "outcome": row["outcome"] or type(event).__name__ == "OutcomeRecorded",
                "updated_at": utc(event.timestamp),
            }
        )


def requests(
    projector: Projector,
    county: str,
    client: str,
    *,
    start: datetime,
    end: datetime,
    closed: bool | None = None,
    service_code: str | None = None,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """The county's requests ``client`` made from ``start`` to ``end``, newest
    first; only the closed (or open) ones if ``closed`` is given; of one service
    if named."""
    with projector.store.read() as conn:
        table = projector.live_tables(conn, GeoReport.name)["requests"]
        query = select(table).where(
            table.c.county == county,
            table.c.client == client,
            table.c.requested_at >= utc(start),
            table.c.requested_at <= utc(end),
        )
        if service_code is not None:
            query = query.where(table.c.service_code == service_code)
        if closed is not None:
            ended = table.c.outcome.is_(True) | table.c.stage.in_(ENDED)
            query = query.where(ended if closed else ~ended)
        rows = conn.execute(
            query.order_by(table.c.requested_at.desc(), table.c.incident_id).limit(limit)
        ).all()
    return [
        {
            "incident_id": r.incident_id,
            "community": r.community,
            "service_code": r.service_code,
            "description": r.description,
            "address": r.address,
            "lat": r.lat,
            "long": r.long,
            "media_url": r.media_url,
            "stage": r.stage,
            "owner_unit": r.owner_unit,
            "due_at": iso(r.due_at),
            "outcome": bool(r.outcome),
            "requested_at": iso(r.requested_at),
            "updated_at": iso(r.updated_at),
        }
        for r in rows
    ]


def updates(
    projector: Projector,
    county: str,
    client: str,
    *,
    start: datetime,
    end: datetime,
    incident_id: str | None = None,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """The updates (one per step) of the county's requests ``client`` made, from
    ``start`` to ``end``, oldest first; of one request if named."""
    with projector.store.read() as conn:
        table = projector.live_tables(conn, GeoReport.name)["updates"]
        query = select(table).where(
            table.c.county == county,
            table.c.client == client,
            table.c.updated_at >= utc(start),
            table.c.updated_at <= utc(end),
        )
        if incident_id is not None:
            query = query.where(table.c.incident_id == incident_id)
        rows = conn.execute(
            query.order_by(table.c.updated_at, table.c.incident_id, table.c.version).limit(limit)
        ).all()
    return [
        {
            "update_id": r.update_id,
            "incident_id": r.incident_id,
            "stage": r.stage,
            "rejection_kind": r.rejection_kind,
            "updated_at": iso(r.updated_at),
        }
        for r in rows
    ]
