"""The exports' reads answered from the oracle's fold (``projections.exports``):
every case of a unit with its milestones, and every Happiness Bank entry of the
accounts of a unit, looking at all of the fold every time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.oracle.fold import CHINA, Case, Fold, iso, within
from tests.oracle.reads import case_row, cases


def milestones(case: Case) -> dict[str, Any]:
    """Firsts for acceptance and escalation, the latest for the rest."""
    first = {name: case.first(name) for name in ("Reported", "AcceptedForHandling", "Escalated")}
    last = {name: case.last(name) for name in ("Diverted", "HandedOver", "ScoreSigned", "Rejected")}
    row = case_row(case)
    return {
        "reported_at": iso(first["Reported"].at) if first["Reported"] else None,
        "accepted_at": iso(first["AcceptedForHandling"].at)
        if first["AcceptedForHandling"]
        else None,
        "escalated_at": iso(first["Escalated"].at) if first["Escalated"] else None,
        "escalations": sum(1 for s in case.steps if s.name == "Escalated"),
        "returns": sum(1 for s in case.steps if s.name == "Returned"),
        "diverted_at": iso(last["Diverted"].at) if last["Diverted"] else None,
        "handed_over_at": iso(last["HandedOver"].at) if last["HandedOver"] else None,
        "department": last["HandedOver"].facts["department"] if last["HandedOver"] else None,
        "score_signed_at": iso(last["ScoreSigned"].at) if last["ScoreSigned"] else None,
        "rewarded_at": row["rewarded_at"],
        "outcome_at": row["outcome_at"],
        "rejection_reason": last["Rejected"].facts["reason"] if last["Rejected"] else None,
        "sense": row["sense"],
        "channel": row["channel"],
        "outcome_summary": row["outcome_summary"],
    }


def _in_period(moment: datetime, period: str | None) -> bool:
    if period is None:
        return True
    local = moment.astimezone(CHINA)
    if "-Q" in period:
        year, quarter = period.split("-Q")
        return local.year == int(year) and (local.month - 1) // 3 + 1 == int(quarter)
    return f"{local.year}-{local.month:02d}".startswith(period)


def incidents(
    fold: Fold, unit: str, *, module: str | None = None, period: str | None = None
) -> list[dict[str, Any]]:
    listed = cases(fold, unit, module=module, limit=len(fold.cases) + 1)
    return [
        row | milestones(fold.cases[row["incident_id"]])
        for row in listed
        if _in_period(fold.cases[row["incident_id"]].opened_at, period)
    ]


def ledger(fold: Fold, unit: str) -> list[tuple[str, str, str, int, str]]:
    """(time, volunteer, community, signed amount, period) of each entry, oldest first."""
    rows = []
    for person in fold.people.values():
        if person.account is None or not within(person.community, unit):
            continue
        for entry in person.entries:
            rows.append(
                (
                    iso(entry["at"]) or "",
                    person.volunteer_id,
                    person.community or "",
                    entry["amount"],
                    entry["period"],
                )
            )
    return sorted(rows)
