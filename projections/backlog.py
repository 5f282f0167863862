"""Backlogs: the open incidents each unit owns now, and ownership over time.

``backlog`` holds one row per open incident: stage, owning unit (split into its
county, station and community, each indexed, so a station's backlog includes
its communities' incidents), owner role, opened, due, urgency and tier.
``ownership`` keeps one row per interval during which an incident had one owner,
stage and due time (``valid_from`` .. ``valid_to``), so the backlog of any unit
as of any past moment is one indexed read.
"""

from __future__ import annotations

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

from projections.base import Projection, Tables, handles, unit_level, unit_path, utc

STEPS = (
    "Incident.Reported",
    "Incident.AcceptedForHandling",
    "Incident.Returned",
    "Incident.Diverted",
    "Incident.HandedOver",
    "Incident.FollowUpChased",
    "Incident.OutcomeRecorded",
    "Incident.ScoreProposed",
    "Incident.ScoreSigned",
    "Incident.Rewarded",
    "Incident.Publicized",
    "Incident.Closed",
    "Incident.Rejected",
)


def _owner_columns() -> list[Column[Any]]:
    return [
        Column("stage", String(32), nullable=False),
        Column("owner_unit", String(200), nullable=False),
        Column("owner_county", String(200)),
        Column("owner_station", String(200)),
        Column("owner_community", String(200)),
        Column("owner_role", String(32), nullable=False),
        Column("tier", String(16)),
        Column("due_at", DateTime),
        Column("module", String(32), nullable=False),
        Column("urgency", String(16)),
        Column("community", String(200), nullable=False),
        Column("opened_at", DateTime, nullable=False),
    ]


class Backlog(Projection):
    name = "backlog"
    version = 1

    def define(self, metadata: MetaData, suffix: str) -> Tables:
        backlog = Table(
            f"backlog_{suffix}",
            metadata,
            Column("incident_id", String(36), primary_key=True),
            *_owner_columns(),
            Column("what", String(500), nullable=False),
            Column("reporter_id", String(100), nullable=False),
            Column("stage_since", DateTime, nullable=False),
            Column("escalations", Integer, nullable=False),
            Column("version", Integer, nullable=False),
        )
        for level in ("county", "station", "community"):
            Index(f"ix_backlog_{suffix}_{level}", backlog.c[f"owner_{level}"], backlog.c.due_at)
        ownership = Table(
            f"ownership_{suffix}",
            metadata,
            Column("incident_id", String(36), primary_key=True),
            Column("seq", Integer, primary_key=True),
            *_owner_columns(),
            Column("valid_from", DateTime, nullable=False),
            Column("valid_to", DateTime),
        )
        for level in ("county", "station", "community"):
            Index(
                f"ix_ownership_{suffix}_{level}",
                ownership.c[f"owner_{level}"],
                ownership.c.valid_from,
            )
        Index(f"ix_ownership_{suffix}_open", ownership.c.incident_id, ownership.c.valid_to)
        return {"backlog": backlog, "ownership": ownership}

    @staticmethod
    def _route(event: Any) -> dict[str, Any]:
        county, station, community = unit_path(event.owner_unit)
        return {
            "stage": event.stage,
            "owner_unit": event.owner_unit,
            "owner_county": county,
            "owner_station": station,
            "owner_community": community,
            "owner_role": event.owner_role,
            "tier": unit_level(event.owner_unit),
            "due_at": utc(event.due_at),
        }

    @handles("Incident.Discovered")
    def discovered(self, conn: Connection, tables: Tables, event: Any) -> None:
        incident_id = str(event.originator_id)
        at = utc(event.timestamp)
        row = {
            "incident_id": incident_id,
            **self._route(event),
            "module": event.module,
            "urgency": None,
            "community": event.community,
            "opened_at": at,
        }
        conn.execute(
            tables["backlog"].insert(),
            {
                **row,
                "what": event.what,
                "reporter_id": event.reporter_id,
                "stage_since": at,
                "escalations": 0,
                "version": event.originator_version,
            },
        )
        conn.execute(
            tables["ownership"].insert(),
            {**row, "seq": event.originator_version, "valid_from": at, "valid_to": None},
        )

    @handles("Incident.Escalated")
    def escalated(self, conn: Connection, tables: Tables, event: Any) -> None:
        self._step(conn, tables, event, escalation=True)

    @handles(*STEPS)
    def stepped(self, conn: Connection, tables: Tables, event: Any) -> None:
        self._step(conn, tables, event)

    def _step(
        self, conn: Connection, tables: Tables, event: Any, *, escalation: bool = False
    ) -> None:
        backlog, ownership = tables["backlog"], tables["ownership"]
        incident_id = str(event.originator_id)
        at = utc(event.timestamp)
        current = conn.execute(
            select(backlog).where(backlog.c.incident_id == incident_id)
        ).one_or_none()
        if current is None:  # already closed: nothing owns it
            return
        route = self._route(event)
        changes: dict[str, Any] = {"version": event.originator_version}
        if hasattr(event, "urgency"):
            changes["urgency"] = event.urgency
        if escalation:
            changes["escalations"] = current.escalations + 1
        moved = any(getattr(current, key) != value for key, value in route.items())
        open_interval = ownership.c.incident_id == incident_id, ownership.c.valid_to.is_(None)
        if event.owner_unit is None:  # closed or rejected: leaves every backlog
            conn.execute(backlog.delete().where(backlog.c.incident_id == incident_id))
            conn.execute(ownership.update().where(*open_interval).values(valid_to=at))
            return
        urgency = changes.get("urgency", current.urgency)
        if moved or urgency != current.urgency:
            changes.update(route)
            if route["stage"] != current.stage:
                changes["stage_since"] = at
            conn.execute(ownership.update().where(*open_interval).values(valid_to=at))
            conn.execute(
                ownership.insert(),
                {
                    **route,
                    "incident_id": incident_id,
                    "seq": event.originator_version,
                    "module": current.module,
                    "urgency": urgency,
                    "community": current.community,
                    "opened_at": current.opened_at,
                    "valid_from": at,
                    "valid_to": None,
                },
            )
        conn.execute(backlog.update().where(backlog.c.incident_id == incident_id).values(changes))
