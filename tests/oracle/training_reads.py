"""What each read of training should answer, from the oracle's fold
(``tests.oracle.training_fold``), by looking at every record each time, in the
shapes of ``projections.training_queries.TrainingQueries``; and
``compare_training``, every such read asked of both.

The norms a read is asked with are the fold's (``TrainingNorms``): the reads
take the same numbers as a ``Norms`` the caller builds (``norms``).
"""

from __future__ import annotations

import random
from datetime import date, datetime
from typing import Any

from tests.oracle.fold import Fold, iso
from tests.oracle.training_fold import (
    CHINA,
    ON_DUTY,
    Session,
    TrainingFile,
    TrainingNorms,
    pre_duty,
    started_day,
    year_halves,
    yearly_norm,
)


def days(halves: int) -> int | float:
    return halves // 2 if halves % 2 == 0 else halves / 2


def _parts(unit: str) -> tuple[str, str | None, str | None]:
    parts = unit.split("/")
    return (
        parts[0],
        "/".join(parts[:2]) if len(parts) > 1 else None,
        unit if len(parts) > 2 else None,
    )


def session_item(session: Session) -> dict[str, Any]:
    return {
        "session_id": session.session_id,
        "unit": session.unit,
        "kind": session.kind,
        "topic": session.topic,
        "instructor": session.instructor,
        "day": session.day,
        "days": days(session.halves),
        "mode": session.mode,
        "place": session.place,
        "status": session.status,
        "present": sum(1 for here in session.attendance.values() if here),
        "corrections": session.corrections,
    }


def sessions(fold: Fold, unit: str, start: date, end: date) -> list[dict[str, Any]]:
    """Held by the county (for a county: every one of its county), or by the unit's
    station or its county bureau (for a station or a community)."""
    county, station, _ = _parts(unit)

    def holds(s: Session) -> bool:
        held_county, held_station, _ = _parts(s.unit)
        if station is None:
            return held_county == county
        return held_station == station or s.unit == county

    chosen = [
        s
        for s in fold.trainings.values()
        if holds(s) and start.isoformat() <= s.day <= end.isoformat()
    ]
    chosen.sort(key=lambda s: (s.day, s.session_id))
    return [session_item(s) for s in chosen]


def applied(fold: Fold) -> dict[str, Any]:
    """The volunteers who applied (the training read knows no other)."""
    return {v: fold.people[v] for v in fold.volunteer_keys.values()}


def record_of(
    fold: Fold, volunteer_id: str, year: int, norms: TrainingNorms, today: date
) -> dict[str, Any] | None:
    """His year against his own norm (pro-rated from the day he began duty), his
    pre-duty days, exams, certification and suspension, the sessions he attended,
    and what keeps him from signing up for tasks on ``today``."""
    person = applied(fold).get(volunteer_id)
    if person is None:
        return None
    file = fold.files.get(volunteer_id) or TrainingFile(volunteer_id)
    county = person.community.split("/")[0]
    gate = county in fold.gates
    certified = file.certified
    this_year, before = year_halves(file, year), pre_duty(file)
    started = started_day(person.admitted_at, file)
    norm = yearly_norm(norms.yearly_halves, year, started)
    short = max(0, norm - this_year)
    blocked = (
        "awaiting_training" if gate and certified is None else
        "suspended" if file.suspended is not None else
        "short" if short and norms.restricts(year, today, started) else None
    )  # fmt: skip
    attended = [s for s in fold.trainings.values() if volunteer_id in s.attendance]
    attended.sort(key=lambda s: s.session_id)
    attended.sort(key=lambda s: s.day, reverse=True)
    return {
        "volunteer_id": volunteer_id,
        "community": person.community,
        "status": person.status,
        "duty": "awaiting_training"
        if gate and certified is None and person.status in ON_DUTY
        else person.status,
        "gate_on": gate,
        "certified": certified,
        "certified_at": iso(file.certified_at),
        "year": year,
        "days": days(this_year),
        "norm_days": days(norm),
        "full_norm_days": days(norms.yearly_halves),
        "short_days": days(short),
        "shortfall": norms.shortfall,
        "restricted_from": date(year, norms.shortfall_from_month, 1).isoformat()
        if norms.shortfall == "restrict" and norms.yearly_halves
        else None,
        "suspended": suspension(file),
        "sign_up": blocked if person.status in ON_DUTY else None,
        "pre_duty_days": days(before),
        "pre_duty_missing_days": days(max(0, norms.pre_duty_halves - before))
        if certified is None
        else 0,
        "exam_missing": norms.exam_required
        and not any(e["passed"] for e in file.exams)
        and certified is None,
        "exams": [
            {k: e[k] for k in ("attempt", "score", "pass_mark", "passed")}
            | {"taken_at": iso(e["at"])}
            for e in file.exams
        ],
        "sessions": [
            session_item(s)
            | {"attended": s.attendance[volunteer_id], "corrected": volunteer_id in s.corrected}
            for s in attended
        ],
    }


def suspension(file: TrainingFile) -> dict[str, Any] | None:
    """His suspension for a shortfall, with what of its year is still missing now."""
    found = file.suspended
    if found is None:
        return None
    held = year_halves(file, found["year"])
    return {
        "year": found["year"],
        "short_days": days(max(0, found["norm_halves"] - held)),
        "at": iso(found["at"]),
        "by": found["by"],
    }


def _in(community: str, unit: str) -> bool:
    return community == unit or community.startswith(unit + "/")


def shortfall(fold: Fold, unit: str, year: int, norms: TrainingNorms) -> list[dict[str, Any]]:
    """The volunteers on duty in ``unit`` short of the year's days, each against his
    own norm (pro-rated from the day he began duty), most short first."""
    short = []
    for volunteer_id, person in sorted(applied(fold).items()):
        if not _in(person.community, unit) or person.status not in ON_DUTY:
            continue
        file = fold.files.get(volunteer_id) or TrainingFile(volunteer_id)
        halves = year_halves(file, year)
        norm = yearly_norm(norms.yearly_halves, year, started_day(person.admitted_at, file))
        if halves < norm:
            short.append(
                {
                    "volunteer_id": volunteer_id,
                    "community": person.community,
                    "days": days(halves),
                    "norm_days": days(norm),
                    "short_days": days(norm - halves),
                    "suspended": file.suspended is not None,
                }
            )
    return sorted(short, key=lambda r: (-r["short_days"], r["volunteer_id"]))


def awaiting(fold: Fold, unit: str, norms: TrainingNorms) -> list[dict[str, Any]]:
    """The volunteers on duty in ``unit``, under their county's gate, not certified."""
    rows = []
    for volunteer_id, person in sorted(applied(fold).items()):
        file = fold.files.get(volunteer_id) or TrainingFile(volunteer_id)
        county = person.community.split("/")[0]
        if not _in(person.community, unit) or person.status not in ON_DUTY:
            continue
        if county not in fold.gates or file.certified is not None:
            continue
        before = pre_duty(file)
        rows.append(
            {
                "volunteer_id": volunteer_id,
                "community": person.community,
                "pre_duty_days": days(before),
                "pre_duty_missing_days": days(max(0, norms.pre_duty_halves - before)),
                "exam_missing": norms.exam_required and not any(e["passed"] for e in file.exams),
            }
        )
    return rows


def compare_training(
    comparison: Any,
    fold: Fold,
    queries: Any,
    norms: Any,
    units: list[str],
    now: datetime,
    *,
    every: bool = True,
    rng: random.Random | None = None,
) -> None:
    """Every read of training: ``queries`` the read model (``TrainingQueries``),
    ``norms`` the ``Norms`` it is asked with (the fold's numbers); per unit each
    time, the records of the volunteers whose training changed since they were
    last read (and two others), every one with ``every``."""
    rng = rng or random.Random()
    everyone = sorted(applied(fold))
    people = set(everyone) if every else fold.touched_files & set(everyone)
    people |= set(rng.sample(everyone, min(2, len(everyone))))
    fold.touched_files = set()
    check, mine = comparison.check, fold.norms
    check("training events follow the rules", [], fold.training_unkept)
    today = now.astimezone(CHINA).date()
    years = sorted({today.year, *(int(s.day[:4]) for s in fold.trainings.values())})
    start, end = date(years[0], 1, 1), date(years[-1], 12, 31)
    middle = date(today.year, today.month, 1)
    asked = years[-2:] if every else [today.year]
    for unit in units:
        check(f"sessions {unit}", sessions(fold, unit, start, end), queries.sessions, unit,
              start=start, end=end)  # fmt: skip
        if every:
            check(f"sessions {unit} from {middle}", sessions(fold, unit, middle, end),
                  queries.sessions, unit, start=middle, end=end)  # fmt: skip
        check(f"awaiting training {unit}", awaiting(fold, unit, mine), queries.awaiting, unit,
              norms=norms)  # fmt: skip
        for year in asked:
            check(f"training shortfall {unit} {year}", shortfall(fold, unit, year, mine),
                  queries.shortfall, unit, year=year, norms=norms)  # fmt: skip
    for volunteer_id in sorted(people):
        for year in asked:
            check(f"training record of {volunteer_id} {year}",
                  record_of(fold, volunteer_id, year, mine, today), queries.record_of,
                  volunteer_id, year=year, norms=norms, today=today)  # fmt: skip
    check("training record of nobody", None, queries.record_of, "nobody", year=today.year,
          norms=norms, today=today)  # fmt: skip
