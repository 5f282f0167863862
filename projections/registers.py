"""Registers: what exports list beyond the cases and scores.

* ``milestones``: one row per incident with the time of each step the case
  table does not keep (fed back, accepted for handling, first escalated, how
  often escalated and returned, diverted, handed over and to whom, the score
  signed into effect, the rejection's reason), so an export's row per case has
  every milestone of the loop from indexed reads;
* ``ledger``: one row per Happiness Bank entry (deposit, redemption, deduction,
  reversal) with its signed amount, period and basis, indexed by the account's
  community, station and county with the time, the unit's ledger;
* ``teams``: the specialty teams each volunteer joined (keyed by the
  volunteer's aggregate id, as ``scores.volunteer_key``);
* ``exports``: every export of personal data, as recorded in the log (who, what,
  the filters, rows, the file's digest), for auditors.
"""

from __future__ import annotations

import json
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

from projections.base import Projection, Tables, handles, level_indexes, unit_path, utc
from projections.rows import Rows

MILESTONE_EVENTS = frozenset(
    {
        "Incident.Discovered",
        "Incident.Reported",
        "Incident.AcceptedForHandling",
        "Incident.Escalated",
        "Incident.Returned",
        "Incident.Diverted",
        "Incident.HandedOver",
        "Incident.ScoreSigned",
        "Incident.Rejected",
    }
)
"""Events that move an incident's milestones: applied to the batch's rows in memory."""
EMPTY_MILESTONES: dict[str, Any] = {
    "reported_at": None,
    "accepted_at": None,
    "escalated_at": None,
    "escalations": 0,
    "returns": 0,
    "diverted_at": None,
    "handed_over_at": None,
    "department": None,
    "score_signed_at": None,
    "rejection_reason": None,
}

ENTRY_KINDS = {
    "PointsAccount.Deposited": "deposit",
    "PointsAccount.Redeemed": "redemption",
    "PointsAccount.Deducted": "deduction",
    "PointsAccount.Reversed": "reversal",
}


def _units(unit: str | None) -> dict[str, Any]:
    county, station, community = unit_path(unit)
    return {"county": county, "station": station, "community": community}


class Registers(Projection):
    name = "registers"
    version = 1

    def define(self, metadata: MetaData, suffix: str) -> Tables:
        milestones = Table(
            f"milestones_{suffix}",
            metadata,
            Column("incident_id", String(36), primary_key=True),
            Column("reported_at", DateTime),
            Column("accepted_at", DateTime),
            Column("escalated_at", DateTime),
            Column("escalations", Integer, nullable=False),
            Column("returns", Integer, nullable=False),
            Column("diverted_at", DateTime),
            Column("handed_over_at", DateTime),
            Column("department", String(200)),
            Column("score_signed_at", DateTime),
            Column("rejection_reason", String(500)),
        )
        accounts = Table(
            f"ledger_accounts_{suffix}",
            metadata,
            Column("account_id", String(36), primary_key=True),
            Column("volunteer_id", String(100), nullable=False),
            Column("community", String(200), nullable=False),
        )
        ledger = Table(
            f"ledger_{suffix}",
            metadata,
            Column("account_id", String(36), primary_key=True),
            Column("version", Integer, primary_key=True),
            Column("volunteer_id", String(100), nullable=False),
            Column("county", String(200)),
            Column("station", String(200)),
            Column("community", String(200)),
            Column("at", DateTime, nullable=False),
            Column("period", String(10), nullable=False),
            Column("kind", String(16), nullable=False),
            Column("amount", Integer, nullable=False),
            Column("source", String(16)),
            Column("source_id", String(36)),
            Column("item", String(100)),
            Column("quantity", Integer),
            Column("reason", String(500)),
        )
        level_indexes(ledger, "{level}", "at")
        teams = Table(
            f"teams_{suffix}",
            metadata,
            Column("volunteer_key", String(36), primary_key=True),
            Column("team", String(40), primary_key=True),
        )
        exports = Table(
            f"exports_{suffix}",
            metadata,
            Column("export_id", String(36), primary_key=True),
            Column("at", DateTime, nullable=False),
            Column("actor_id", String(100), nullable=False),
            Column("actor_role", String(40), nullable=False),
            Column("actor_unit", String(200), nullable=False),
            Column("county", String(200)),
            Column("kind", String(40), nullable=False),
            Column("file_format", String(8), nullable=False),
            Column("filters", String(2000), nullable=False),
            Column("rows", Integer, nullable=False),
            Column("digest", String(64), nullable=False),
            Column("file_name", String(300), nullable=False),
        )
        Index(f"ix_exports_{suffix}_county", exports.c.county, exports.c.at)
        return {
            "milestones": milestones,
            "accounts": accounts,
            "ledger": ledger,
            "teams": teams,
            "exports": exports,
        }

    def apply_batch(self, conn: Connection, tables: Tables, events: list[tuple[str, Any]]) -> None:
        """The batch's milestones in memory, read once and written back once (an
        incident's row changes at nearly every step); the rest event by event."""
        marks = [(name, event) for name, event in events if name in MILESTONE_EVENTS]
        if marks:
            rows = Rows(conn, tables["milestones"])
            rows.load("incident_id", {str(event.originator_id) for _, event in marks})
            for name, event in marks:
                self.handlers[name](self, rows, event)
            rows.write()
        for name, event in events:
            if name not in MILESTONE_EVENTS:
                self.handlers[name](self, conn, tables, event)

    # -- milestones (rows of the batch, keyed by incident) ---------------------------

    @staticmethod
    def _mark(rows: Rows, event: Any, **values: Any) -> dict[str, Any] | None:
        """The incident's row with ``values``; nothing for an incident not known."""
        current = rows.get(str(event.originator_id))
        if current is None:
            return None
        return rows.put({**current, **values})

    @handles("Incident.Discovered")
    def discovered(self, rows: Rows, event: Any) -> None:
        rows.put({**EMPTY_MILESTONES, "incident_id": str(event.originator_id)})

    @handles("Incident.Reported")
    def reported(self, rows: Rows, event: Any) -> None:
        self._mark(rows, event, reported_at=utc(event.timestamp))

    @handles("Incident.AcceptedForHandling")
    def accepted(self, rows: Rows, event: Any) -> None:
        current = rows.get(str(event.originator_id))
        if current is not None and current["accepted_at"] is None:  # the first acceptance
            rows.put({**current, "accepted_at": utc(event.timestamp)})

    @handles("Incident.Escalated")
    def escalated(self, rows: Rows, event: Any) -> None:
        current = rows.get(str(event.originator_id))
        if current is not None:
            rows.put(
                {
                    **current,
                    "escalated_at": current["escalated_at"] or utc(event.timestamp),
                    "escalations": current["escalations"] + 1,
                }
            )

    @handles("Incident.Returned")
    def returned(self, rows: Rows, event: Any) -> None:
        current = rows.get(str(event.originator_id))
        if current is not None:
            rows.put({**current, "returns": current["returns"] + 1})

    @handles("Incident.Diverted")
    def diverted(self, rows: Rows, event: Any) -> None:
        self._mark(rows, event, diverted_at=utc(event.timestamp))

    @handles("Incident.HandedOver")
    def handed_over(self, rows: Rows, event: Any) -> None:
        self._mark(rows, event, handed_over_at=utc(event.timestamp), department=event.department)

    @handles("Incident.ScoreSigned")
    def score_signed(self, rows: Rows, event: Any) -> None:
        """The latest signature: the score takes effect with the second one."""
        self._mark(rows, event, score_signed_at=utc(event.timestamp))

    @handles("Incident.Rejected")
    def rejected(self, rows: Rows, event: Any) -> None:
        self._mark(rows, event, rejection_reason=event.reason[:500])

    # -- the ledger ------------------------------------------------------------------

    @handles("PointsAccount.Opened")
    def opened(self, conn: Connection, tables: Tables, event: Any) -> None:
        conn.execute(
            tables["accounts"].insert(),
            {
                "account_id": str(event.originator_id),
                "volunteer_id": event.volunteer_id,
                "community": event.community,
            },
        )

    @handles(*ENTRY_KINDS)
    def entry(self, conn: Connection, tables: Tables, event: Any) -> None:
        accounts = tables["accounts"]
        account = conn.execute(
            select(accounts).where(accounts.c.account_id == str(event.originator_id))
        ).one_or_none()
        if account is None:  # an entry without its opening: not a ledger we know
            return
        kind = ENTRY_KINDS[type(event).__qualname__]
        conn.execute(
            tables["ledger"].insert(),
            {
                "account_id": account.account_id,
                "version": event.originator_version,
                "volunteer_id": account.volunteer_id,
                **_units(account.community),
                "at": utc(event.timestamp),
                "period": event.period,
                "kind": kind,
                "amount": int(event.amount),  # signed: what the entry moved the balance by
                "source": getattr(event, "source", None),
                "source_id": getattr(event, "source_id", None)
                or getattr(event, "incident_id", None),
                "item": getattr(event, "item_name", None),
                "quantity": getattr(event, "quantity", None),
                "reason": (getattr(event, "reason", None) or "")[:500] or None,
            },
        )

    # -- teams and exports --------------------------------------------------------------

    @handles("Volunteer.JoinedTeam")
    def joined_team(self, conn: Connection, tables: Tables, event: Any) -> None:
        teams = tables["teams"]
        key = str(event.originator_id)
        known = conn.execute(
            select(teams.c.team).where(teams.c.volunteer_key == key, teams.c.team == event.team)
        ).first()
        if known is None:
            conn.execute(teams.insert(), {"volunteer_key": key, "team": event.team})

    @handles("DataExport.Recorded")
    def exported(self, conn: Connection, tables: Tables, event: Any) -> None:
        conn.execute(
            tables["exports"].insert(),
            {
                "export_id": str(event.originator_id),
                "at": utc(event.timestamp),
                "actor_id": event.actor.id,
                "actor_role": event.actor.role,
                "actor_unit": event.actor.unit,
                "county": unit_path(event.actor.unit)[0],
                "kind": event.kind,
                "file_format": event.file_format,
                "filters": json.dumps(event.filters, ensure_ascii=False, sort_keys=True),
                "rows": event.rows,
                "digest": event.digest,
                "file_name": event.file_name,
            },
        )
