"""What each read should answer, computed from the oracle's fold every time it is
asked, by looking at every record: slow on purpose, and short enough to check by
eye against the regulations.

Each function answers one query of the read side in the same shape
(``projections.queries.Queries``), so a comparison is plain equality.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from tests.oracle.fold import Case, Fold, Item, Person, iso, month, within

Stars = Sequence[tuple[int, int]]


# -- backlogs ---------------------------------------------------------------------------


def _backlog_item(state: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        **state,
        "opened_at": iso(state["opened_at"]),
        "due_at": iso(state["due_at"]),
        "overdue": state["due_at"] < now,
        "age_seconds": int((now - state["opened_at"]).total_seconds()),
    }


def backlog(
    fold: Fold, unit: str, now: datetime, stage: str | None = None, limit: int = 500
) -> list[dict[str, Any]]:
    """Open incidents owned within ``unit``, soonest due first."""
    rows = []
    for case in fold.cases.values():
        state = case.standing()
        if state and within(state["owner_unit"], unit) and stage in (None, case.stage):
            item = _backlog_item(state, now)
            item.update(
                what=case.what,
                stage_since=iso(case.stage_since),
                escalations=sum(1 for s in case.steps if s.name == "Escalated"),
            )
            rows.append((state["due_at"], case.incident_id, item))
    return [item for *_, item in sorted(rows, key=lambda r: (r[0], r[1]))][:limit]


def backlog_summary(fold: Fold, unit: str, now: datetime) -> dict[str, Any]:
    states = [c.standing() for c in fold.cases.values()]
    mine = [s for s in states if s and within(s["owner_unit"], unit)]
    stages: dict[str, int] = defaultdict(int)
    for state in mine:
        stages[state["stage"]] += 1
    overdue = sum(1 for s in mine if s["due_at"] < now)
    return {"unit": unit, "open": len(mine), "overdue": overdue, "stages": dict(stages)}


def backlog_as_of(fold: Fold, unit: str, moment: datetime) -> list[dict[str, Any]]:
    """Each incident as it stood after its last event at or before ``moment``."""
    rows = []
    for case in fold.cases.values():
        then = [state for at, state in case.timeline if at <= moment]
        state = then[-1] if then else None
        if state and within(state["owner_unit"], unit):
            rows.append((state["due_at"], case.incident_id, _backlog_item(state, moment)))
    return [item for *_, item in sorted(rows, key=lambda r: (r[0], r[1]))]


# -- cases ------------------------------------------------------------------------------


def _stands_rewarded(case: Case) -> bool:
    return case.first("Rewarded") is not None and case.stage != "rejected"


def case_row(case: Case) -> dict[str, Any]:
    """Every fact the read side keeps of a case."""
    county, station = case.community.split("/")[0], "/".join(case.community.split("/")[:2])
    reported, outcome = case.first("Reported"), case.first("OutcomeRecorded")
    rewarded, publicized = case.first("Rewarded"), case.first("Publicized")
    ended = case.last("Closed") if case.stage == "closed" else case.last("Rejected")
    rejected = case.last("Rejected")
    return {
        "incident_id": case.incident_id,
        "county": county,
        "station": station,
        "community": case.community,
        "module": case.module,
        "sense": case.sense,
        "what": case.what,
        "place": case.place,
        "reporter_id": case.reporter_id,
        "channel": reported.facts["channel"] if reported else None,
        "urgency": reported.facts["urgency"] if reported else None,
        "stage": case.stage,
        "opened_at": iso(case.opened_at),
        "outcome_source": outcome.facts["source"] if outcome else None,
        "outcome_summary": outcome.facts["summary"] if outcome else None,
        "outcome_at": iso(outcome.at) if outcome else None,
        "points": rewarded.facts["points"] if rewarded else None,
        "credited": rewarded.facts["credited"] if rewarded else None,
        "rewarded_at": iso(rewarded.at) if rewarded else None,
        "publicity_title": publicized.facts["title"] if publicized else None,
        "publicized_at": iso(publicized.at) if publicized else None,
        "closed_at": iso(ended.at) if ended else None,
        "rejection_kind": rejected.facts["kind"] if rejected else None,
    }


LISTED = (
    "incident_id",
    "stage",
    "what",
    "place",
    "module",
    "community",
    "urgency",
    "opened_at",
    "outcome_source",
    "points",
    "credited",
    "publicized_at",
    "closed_at",
    "rejection_kind",
)


def _listed(case: Case) -> dict[str, Any]:
    row = case_row(case)
    return {k: row[k] for k in LISTED}


def _newest(cases: Iterable[Case], limit: int) -> list[Case]:
    return sorted(cases, key=lambda c: (c.opened_at, c.incident_id), reverse=True)[:limit]


def cases(
    fold: Fold, unit: str, stage: str | None = None, module: str | None = None, limit: int = 500
) -> list[dict[str, Any]]:
    chosen = [
        c
        for c in fold.cases.values()
        if within(c.community, unit) and stage in (None, c.stage) and module in (None, c.module)
    ]
    return [_listed(c) | {"reporter_id": c.reporter_id} for c in _newest(chosen, limit)]


def reports_of(fold: Fold, volunteer_id: str, limit: int = 500) -> list[dict[str, Any]]:
    mine = [c for c in fold.cases.values() if c.reporter_id == volunteer_id]
    return [_listed(c) for c in _newest(mine, limit)]


def publicity_board(fold: Fold, unit: str, limit: int = 500) -> list[dict[str, Any]]:
    """Cases publicized within ``unit`` and not rejected since, newest first; of
    their text only the reviewed title (the report and its outcome may name people)."""
    shown = []
    for case in fold.cases.values():
        step = case.first("Publicized")
        if step and case.stage != "rejected" and within(case.community, unit):
            row = case_row(case)
            shown.append(
                (
                    step.at,
                    case.incident_id,
                    {
                        "incident_id": case.incident_id,
                        "title": row["publicity_title"],
                        "publicized_at": row["publicized_at"],
                        "community": case.community,
                        "module": case.module,
                        "reporter_id": case.reporter_id,
                        "outcome_source": row["outcome_source"],
                        "points": row["points"],
                        "credited": row["credited"],
                    },
                )
            )
    shown.sort(key=lambda r: r[1])  # ties by id ascending, then newest first (stable)
    shown.sort(key=lambda r: r[0], reverse=True)
    return [row for *_, row in shown][:limit]


def counts(case: Case) -> list[tuple[str, str, int]]:
    """What a case adds to the statistics: ``(month, metric, value)``. A case
    rejected after its reward no longer counts as rewarded, publicized or closed,
    and its points leave the figures (its deposit was reversed)."""
    found = [(month(case.opened_at), "discovered", 1)]
    standing = case.stage != "rejected"
    for step in case.steps:
        at = month(step.at)
        if step.name == "Reported":
            found.append((at, "reported", 1))
        elif step.name == "Escalated":
            found.append((at, "escalated", 1))
        elif step.name == "Diverted":
            found.append((at, "diverted", 1))
        elif step.name == "OutcomeRecorded":
            found.append((at, f"outcome:{step.facts['source']}", 1))
        elif step.name == "Rewarded" and standing:
            found += [(at, "rewarded", 1), (at, "points", step.facts["credited"])]
        elif step.name == "Publicized" and standing:
            found.append((at, "publicized", 1))
        elif step.name == "Closed" and standing:
            found.append((at, "closed", 1))
        elif step.name == "Rejected":
            found.append((at, f"rejected:{step.facts['kind']}", 1))
    return [c for c in found if c[2]]


def statistics(
    fold: Fold, unit: str, period: str | None = None, module: str | None = None
) -> dict[str, Any]:
    totals: dict[str, int] = defaultdict(int)
    by_module: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_month: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for case in fold.cases.values():
        if not within(case.community, unit) or module not in (None, case.module):
            continue
        for at, metric, value in counts(case):
            if period in (None, at):
                totals[metric] += value
                by_module[case.module][metric] += value
                by_month[at][metric] += value
    return {
        "unit": unit,
        "period": period,
        "module": module,
        "totals": dict(sorted(totals.items())),
        "by_module": {k: dict(sorted(v.items())) for k, v in sorted(by_module.items())},
        "by_month": {k: dict(sorted(v.items())) for k, v in sorted(by_month.items())},
    }


# -- scores -----------------------------------------------------------------------------


def star_level(score: int, stars: Stars) -> int:
    return max((level for threshold, level in stars if score >= threshold), default=0)


def _reversed(person: Person) -> set[str]:
    return {e["incident_id"] for e in person.entries if e["kind"] == "Reversed"}


def figures(person: Person) -> dict[str, int]:
    """Earned (deposits not reversed), redeemed, deducted (in full, beyond the
    balance too), the balance (every entry's amount) and the score."""
    taken_back = _reversed(person)
    earned = sum(
        e["amount"]
        for e in person.entries
        if e["kind"] == "Deposited" and e["incident_id"] not in taken_back
    )
    redeemed = -sum(e["amount"] for e in person.entries if e["kind"] == "Redeemed")
    deducted = sum(e["shortfall"] - e["amount"] for e in person.entries if e["kind"] == "Deducted")
    balance = sum(e["amount"] for e in person.entries)
    return {
        "earned": earned,
        "redeemed": redeemed,
        "deducted": deducted,
        "balance": balance,
        "score": person.base + earned - deducted,
    }


def months(person: Person) -> dict[str, dict[str, Any]]:
    """Each month a ledger entry or an evaluation falls in (a reversal falls in its
    own month and in the month of the deposit it takes back), with what happened
    in it: the score of a month is what it earned less what it deducted."""
    paid = {e["incident_id"]: e["period"] for e in person.entries if e["kind"] == "Deposited"}
    taken_back = _reversed(person)
    touched = {e["period"] for e in person.entries} | set(person.evaluations)
    touched |= {paid[i] for i in taken_back}
    found = {}
    for period in sorted(touched):
        mine = [e for e in person.entries if e["period"] == period]
        earned = sum(
            e["amount"]
            for e in mine
            if e["kind"] == "Deposited" and e["incident_id"] not in taken_back
        )
        deducted = sum(e["shortfall"] - e["amount"] for e in mine if e["kind"] == "Deducted")
        passed, _note = person.evaluations.get(period, (None, None))
        found[period] = {
            "earned": earned,
            "redeemed": -sum(e["amount"] for e in mine if e["kind"] == "Redeemed"),
            "deducted": deducted,
            "balance": sum(e["amount"] for e in mine),
            "score": earned - deducted,
            "passed": passed,
        }
    return found


def _ranked(fold: Fold) -> list[Person]:
    """Who ranks: volunteers admitted into the Happiness Bank (an account open)."""
    return [p for p in fold.people.values() if p.account is not None]


def volunteer_score(fold: Fold, volunteer_id: str, stars: Stars) -> dict[str, Any] | None:
    person = fold.people.get(volunteer_id)
    if person is None:
        return None
    mine = figures(person)
    ranks: dict[str, int | None] = {}
    for tier, depth in (("community", 3), ("station", 2), ("county", 1)):
        unit = "/".join((person.community or "").split("/")[:depth]) or None
        ranks[tier] = (
            None
            if unit is None
            else 1
            + sum(
                1
                for other in _ranked(fold)
                if within(other.community, unit) and figures(other)["score"] > mine["score"]
            )
        )
    return {
        "volunteer_id": volunteer_id,
        "community": person.community,
        "status": person.status,
        "squad": person.squad,
        **{k: mine[k] for k in ("earned", "balance", "redeemed", "deducted", "score")},
        "star_level": star_level(mine["score"], stars),
        "rank": ranks,
        "months": [
            {"period": p, **{k: m[k] for k in ("earned", "redeemed", "deducted", "score")}}
            | {"passed": m["passed"]}
            for p, m in months(person).items()
        ],
    }


def leaderboard(
    fold: Fold, unit: str, stars: Stars, period: str | None = None, limit: int = 500
) -> list[dict[str, Any]]:
    rows = []
    for person in _ranked(fold):
        if not within(person.community, unit):
            continue
        shown = figures(person) if period is None else months(person).get(period)
        if shown is not None:
            rows.append((person, shown))
    rows.sort(key=lambda r: (-r[1]["score"], r[0].volunteer_id))
    board: list[dict[str, Any]] = []
    for position, (person, shown) in enumerate(rows[:limit], start=1):
        tied = board and board[-1]["score"] == shown["score"]
        board.append(
            {
                "rank": board[-1]["rank"] if tied else position,
                "volunteer_id": person.volunteer_id,
                "community": person.community,
                **{k: shown[k] for k in ("earned", "redeemed", "deducted", "balance", "score")},
                "star_level": star_level(shown["score"], stars),
            }
        )
    return board


def volunteers(
    fold: Fold, unit: str, status: str | None = None, limit: int = 500
) -> list[dict[str, Any]]:
    chosen = [
        p for p in fold.people.values() if within(p.community, unit) and status in (None, p.status)
    ]
    chosen.sort(key=lambda p: (p.community or "", p.volunteer_id))
    return [
        {
            "volunteer_id": p.volunteer_id,
            "community": p.community,
            "status": p.status,
            "squad": p.squad,
            **{k: figures(p)[k] for k in ("score", "balance", "earned")},
        }
        for p in chosen[:limit]
    ]


# -- the catalogue ------------------------------------------------------------------------


def _item(item: Item) -> dict[str, Any]:
    return {
        "item_id": item.item_id,
        "name": item.name,
        "donors": list(item.donors),
        "bank": item.bank,
        "stock": item.stock,
        "price": item.price,
        "limit_per_volunteer": item.limit,
        "handed_out": item.handed_out,
    }


def _by_bank(items: Iterable[Item]) -> list[dict[str, Any]]:
    return [_item(i) for i in sorted(items, key=lambda i: (i.bank, i.name, i.item_id))]


def catalogue(fold: Fold, community: str) -> list[dict[str, Any]]:
    """The goods of the community's own bank and of its station's."""
    station = "/".join(community.split("/")[:2])
    return _by_bank(i for i in fold.items.values() if i.bank in (community, station))


def catalogue_of(fold: Fold, unit: str) -> list[dict[str, Any]]:
    return _by_bank(i for i in fold.items.values() if within(i.bank, unit))
