"""Backlogs: the open incidents each unit owns now, and ownership over time.

``backlog`` holds one row per open incident: stage, owning unit (split into its
county, station and community, each indexed, so a station's backlog includes
its communities' incidents), owner role, opened, due, urgency and tier.
``ownership`` keeps one row per interval during which an incident had one owner,
stage, urgency and due time (``valid_from`` .. ``valid_to``), so the backlog of
any unit as of any past moment is one indexed read.

A batch is applied in memory to the rows it touches (``projections.rows``).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from operator import itemgetter
from types import MappingProxyType
from typing import Any

from sqlalchemy import Column, Connection, DateTime, Index, Integer, MetaData, String, Table

from projections.base import Projection, Tables, handles, level_indexes, unit_level, unit_path, utc
from projections.rows import Rows

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
ROUTE = (
    "stage",
    "owner_unit",
    "owner_county",
    "owner_station",
    "owner_community",
    "owner_role",
    "tier",
    "due_at",
)

_INTERVAL = itemgetter(*ROUTE, "urgency")  # what an ownership interval holds fixed
_OPENED = ("module", "urgency", "community", "opened_at", *ROUTE)
_OPENED_PICK = itemgetter(*_OPENED)  # what an interval copies of the backlog row


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


@lru_cache(maxsize=4096)
def _owner(unit: str) -> Mapping[str, Any]:
    """The owner columns of a unit (few units, met at every step); read-only, as
    every caller shares the cached one."""
    county, station, community = unit_path(unit)
    return MappingProxyType(
        {
            "owner_unit": unit,
            "owner_county": county,
            "owner_station": station,
            "owner_community": community,
            "tier": unit_level(unit),
        }
    )


class _Batch:
    def __init__(self, conn: Connection, tables: Tables) -> None:
        self.backlog = Rows(conn, tables["backlog"])
        self.ownership = Rows(conn, tables["ownership"])
        self.open_interval: dict[str, int] = {}


class Backlog(Projection):
    name = "backlog"
    version = 2  # 2: the unit indexes also hold incident_id, the page's tie-break

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
        level_indexes(backlog, "owner_{level}", "due_at", "incident_id")  # a page reads along one
        ownership = Table(
            f"ownership_{suffix}",
            metadata,
            Column("incident_id", String(36), primary_key=True),
            Column("seq", Integer, primary_key=True),
            *_owner_columns(),
            Column("valid_from", DateTime, nullable=False),
            Column("valid_to", DateTime),
        )
        level_indexes(ownership, "owner_{level}", "valid_from")
        Index(f"ix_ownership_{suffix}_open", ownership.c.incident_id, ownership.c.valid_to)
        return {"backlog": backlog, "ownership": ownership}

    def apply_batch(self, conn: Connection, tables: Tables, events: list[tuple[str, Any]]) -> None:
        if not events:
            return
        batch = _Batch(conn, tables)
        keyed = [(name, event, str(event.originator_id)) for name, event in events]
        ids = {incident_id for _, _, incident_id in keyed}
        batch.backlog.load("incident_id", ids)
        batch.ownership.load("incident_id", ids, tables["ownership"].c.valid_to.is_(None))
        for key in batch.ownership.rows:
            batch.open_interval[key[0]] = key[1]
        handlers = self.handlers
        for name, event, incident_id in keyed:
            handlers[name](self, batch, event, incident_id)
        batch.backlog.write()
        batch.ownership.write()

    @staticmethod
    def _open(batch: _Batch, incident_id: str, seq: int, row: dict[str, Any], at: Any) -> None:
        interval = dict(zip(_OPENED, _OPENED_PICK(row), strict=True))
        interval.update(incident_id=incident_id, seq=seq, valid_from=at, valid_to=None)
        batch.ownership.rows[(incident_id, seq)] = interval
        batch.open_interval[incident_id] = seq

    @staticmethod
    def _close(batch: _Batch, incident_id: str, at: Any) -> None:
        """End the incident's open interval at ``at`` (its row changes in place: the
        loaded rows keep their own copy of what was read)."""
        seq = batch.open_interval.pop(incident_id, None)
        interval = None if seq is None else batch.ownership.rows.get((incident_id, seq))
        if interval is not None:
            interval["valid_to"] = at

    @handles("Incident.Discovered")
    def discovered(self, batch: _Batch, event: Any, incident_id: str) -> None:
        at = utc(event.timestamp)
        row = batch.backlog.put(
            {
                "incident_id": incident_id,
                "stage": event.stage,
                **_owner(event.owner_unit),
                "owner_role": event.owner_role,
                "due_at": utc(event.due_at),
                "module": event.module,
                "urgency": None,
                "community": event.community,
                "opened_at": at,
                "what": event.what,
                "reporter_id": event.reporter_id,
                "stage_since": at,
                "escalations": 0,
                "version": event.originator_version,
            }
        )
        self._open(batch, incident_id, event.originator_version, row, at)

    @handles("Incident.Escalated")
    def escalated(self, batch: _Batch, event: Any, incident_id: str) -> None:
        self._step(batch, event, incident_id, escalation=True)

    @handles(*STEPS)
    def stepped(self, batch: _Batch, event: Any, incident_id: str) -> None:
        self._step(batch, event, incident_id)

    def _step(
        self, batch: _Batch, event: Any, incident_id: str, *, escalation: bool = False
    ) -> None:
        row = batch.backlog.rows.get((incident_id,))
        if row is None:  # already closed: nothing owns it
            return
        at = utc(event.timestamp)
        unit = event.owner_unit
        if unit is None:  # closed or rejected: leaves every backlog
            batch.backlog.delete(incident_id)
            self._close(batch, incident_id, at)
            return
        # The row changes in place (the loaded rows keep their own copy of what was read).
        interval = _INTERVAL(row)
        row["version"] = event.originator_version
        if escalation:
            row["escalations"] += 1
        row["urgency"] = getattr(event, "urgency", None) or row["urgency"]
        stage = event.stage
        if stage != row["stage"]:
            row["stage"] = stage
            row["stage_since"] = at
        if unit != row["owner_unit"]:
            row.update(_owner(unit))
        row["owner_role"] = event.owner_role
        row["due_at"] = utc(event.due_at)
        if _INTERVAL(row) != interval:
            self._close(batch, incident_id, at)
            self._open(batch, incident_id, event.originator_version, row, at)
