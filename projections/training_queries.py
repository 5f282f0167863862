"""Reads of the training read models (``projections.training``): indexed tables
only, primitives out. A volunteer's days are counted here from his credits: per
calendar day their sum, at most one whole day (half days throughout).

The norms (pre-duty and yearly half days, whether an exam is required, what a
shortfall does and from which month) are the preset's, passed in by the caller: the
read side knows no policy. A volunteer's yearly norm is pro-rated for a late start
by the records' own rule (``aggregates.training_record.yearly_norm_halves``), from
his admission or, when later, his certification after training.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, or_, select

from aggregates.training_record import yearly_norm_halves
from projections.base import CHINA, aware, iso, scope_column, unit_level, unit_path
from projections.errors import InvalidQuery, UnknownUnit
from projections.processing import Projector

WHOLE_DAY = 2
YEARLY_KINDS = ("regular", "targeted")
ON_DUTY = ("active", "flexible")


@dataclass(frozen=True)
class Norms:
    """A preset's training numbers, in half days."""

    pre_duty_halves: int
    yearly_halves: int
    exam_required: bool
    shortfall: str = "warn"  # none, warn, restrict or suspend
    shortfall_from_month: int = 12

    def restricts(self, year: int, today: date | None, started: date | None) -> bool:
        """Whether a shortfall of ``year``'s days refuses sign-ups on ``today`` to one
        who began duty on ``started`` (never to one who began on or after the day)."""
        since = date(year, self.shortfall_from_month, 1)
        return (
            self.shortfall == "restrict"
            and today is not None
            and today.year == year
            and today >= since
            and (started is None or started < since)
        )


def days(halves: int) -> int | float:
    """Half days as days: a whole number when whole (5, not 5.0), else 1.5."""
    return halves // 2 if halves % 2 == 0 else halves / 2


def capped(credits: Iterable[Any]) -> int:
    per_day: dict[str, int] = defaultdict(int)
    for credit in credits:
        per_day[credit.day] += int(credit.halves)
    return sum(min(WHOLE_DAY, halves) for halves in per_day.values())


def _china_day(moment: datetime | None) -> date | None:
    found = aware(moment)
    return None if found is None else found.astimezone(CHINA).date()


def started_day(person: Row[Any]) -> date | None:
    """The day he began duty: the later of his admission and his certification after
    training."""
    starts = [_china_day(person.admitted_at)]
    if person.certified == "trained":
        starts.append(_china_day(person.certified_at))
    return max((d for d in starts if d is not None), default=None)


def norm_halves(person: Row[Any], norms: Norms, year: int) -> int:
    """His norm of ``year``'s regular training, pro-rated from the day he began duty."""
    return yearly_norm_halves(norms.yearly_halves, year, started_day(person))


def suspension(person: Row[Any], credits: Iterable[Any]) -> dict[str, Any] | None:
    """His suspension for a shortfall, with what of its year is still missing now."""
    if person.suspended_year is None:
        return None
    year = person.suspended_year
    held = capped(c for c in credits if c.kind in YEARLY_KINDS and c.day.startswith(f"{year}-"))
    return {
        "year": year,
        "short_days": days(max(0, person.suspended_norm_halves - held)),
        "at": iso(person.suspended_at),
        "by": person.suspended_by,
    }


def session_item(row: Row[Any]) -> dict[str, Any]:
    return {
        "session_id": row.session_id,
        "unit": row.unit,
        "kind": row.kind,
        "topic": row.topic,
        "instructor": row.instructor,
        "day": row.day,
        "days": days(row.halves),
        "mode": row.mode,
        "place": row.place,
        "status": row.status,
        "present": row.present,
        "corrections": row.corrections,
    }


def _year(year: int) -> int:
    if type(year) is not int or not 2000 <= year <= 2100:
        raise InvalidQuery("年份须在2000到2100之间", "year must be from 2000 to 2100", field="year")
    return year


class TrainingQueries:
    def __init__(self, projector: Projector) -> None:
        self.projector = projector
        self.store = projector.store

    def sessions(self, unit: str, *, start: date, end: date) -> list[dict[str, Any]]:
        """Sessions held by ``unit`` or for it (a station's and its county bureau's,
        for a station or a community), from ``start`` to ``end`` inclusive."""
        county, station, _ = unit_path(unit)
        level = unit_level(unit)
        if level is None:
            raise UnknownUnit(f"不是有效的单位：{unit!r}", f"not a unit path: {unit!r}", unit=unit)
        with self.store.read() as conn:
            sessions = self._tables(conn)["sessions"]
            holders = (
                sessions.c.county == county
                if level == "county"
                else or_(sessions.c.station == station, sessions.c.unit == county)
            )
            rows = conn.execute(
                select(sessions)
                .where(
                    holders, sessions.c.day >= start.isoformat(), sessions.c.day <= end.isoformat()
                )
                .order_by(sessions.c.day, sessions.c.session_id)
            ).all()
        return [session_item(r) for r in rows]

    def record_of(
        self, volunteer_id: str, *, year: int, norms: Norms, today: date | None = None
    ) -> dict[str, Any] | None:
        """His training this year against the norms (his own, pro-rated for a late
        start), his pre-duty days, exams, certification and suspension, the sessions
        he attended, and (``sign_up``) what of it keeps him from signing up for tasks
        on ``today``: awaiting_training, suspended, short, or None; None if he is not
        known."""
        year = _year(year)
        with self.store.read() as conn:
            t = self._tables(conn)
            person = conn.execute(
                select(t["volunteers"]).where(t["volunteers"].c.volunteer_id == volunteer_id)
            ).first()
            if person is None:
                return None
            credits = conn.execute(
                select(t["credits"]).where(t["credits"].c.volunteer_id == volunteer_id)
            ).all()
            exams = conn.execute(
                select(t["exams"])
                .where(t["exams"].c.volunteer_id == volunteer_id)
                .order_by(t["exams"].c.attempt)
            ).all()
            sessions, attendance = t["sessions"], t["attendance"]
            attended = conn.execute(
                select(sessions, attendance.c.present, attendance.c.corrected)
                .join(attendance, attendance.c.session_id == sessions.c.session_id)
                .where(attendance.c.volunteer_id == volunteer_id)
                .order_by(sessions.c.day.desc(), sessions.c.session_id)
            ).all()
            gate = conn.execute(
                select(t["gates"]).where(t["gates"].c.county == person.county)
            ).first()
        pre_duty = capped(c for c in credits if c.kind == "pre_duty" and c.before_certification)
        this_year = capped(
            c for c in credits if c.kind in YEARLY_KINDS and c.day.startswith(f"{year}-")
        )
        passed = any(e.passed for e in exams)
        gated = gate is not None and person.certified is None
        norm = norm_halves(person, norms, year)
        short = max(0, norm - this_year)
        blocked = (
            "awaiting_training" if gated else
            "suspended" if person.suspended_year is not None else
            "short" if short and norms.restricts(year, today, started_day(person)) else None
        )  # fmt: skip
        return {
            "volunteer_id": volunteer_id,
            "community": person.community,
            "status": person.status,
            "duty": "awaiting_training" if gated and person.status in ON_DUTY else person.status,
            "gate_on": gate is not None,
            "certified": person.certified,
            "certified_at": iso(person.certified_at),
            "year": year,
            "days": days(this_year),
            "norm_days": days(norm),
            "full_norm_days": days(norms.yearly_halves),
            "short_days": days(short),
            "shortfall": norms.shortfall,
            "restricted_from": (
                date(year, norms.shortfall_from_month, 1).isoformat()
                if norms.shortfall == "restrict" and norms.yearly_halves
                else None
            ),
            "suspended": suspension(person, credits),
            "sign_up": blocked if person.status in ON_DUTY else None,
            "pre_duty_days": days(pre_duty),
            "pre_duty_missing_days": (
                days(max(0, norms.pre_duty_halves - pre_duty)) if person.certified is None else 0
            ),
            "exam_missing": norms.exam_required and not passed and person.certified is None,
            "exams": [
                {
                    "attempt": e.attempt,
                    "score": e.score,
                    "pass_mark": e.pass_mark,
                    "passed": e.passed,
                    "taken_at": iso(e.taken_at),
                }
                for e in exams
            ],
            "sessions": [
                {**session_item(r), "attended": bool(r.present), "corrected": bool(r.corrected)}
                for r in attended
            ],
        }

    def shortfall(self, unit: str, *, year: int, norms: Norms) -> list[dict[str, Any]]:
        """The serving volunteers of ``unit`` short of the year's days (each against his
        own norm, pro-rated for a late start), most short first."""
        year = _year(year)
        with self.store.read() as conn:
            t = self._tables(conn)
            volunteers, credits = t["volunteers"], t["credits"]
            people = conn.execute(
                select(volunteers)
                .where(scope_column(volunteers, unit) == unit, volunteers.c.status.in_(ON_DUTY))
                .order_by(volunteers.c.volunteer_id)
            ).all()
            held = conn.execute(
                select(credits)
                .join(volunteers, volunteers.c.volunteer_id == credits.c.volunteer_id)
                .where(
                    scope_column(volunteers, unit) == unit,
                    credits.c.kind.in_(YEARLY_KINDS),
                    credits.c.day.like(f"{year}-%"),
                )
            ).all()
        by_volunteer: dict[str, list[Any]] = defaultdict(list)
        for credit in held:
            by_volunteer[credit.volunteer_id].append(credit)
        short = []
        for person in people:
            halves = capped(by_volunteer[person.volunteer_id])
            norm = norm_halves(person, norms, year)
            if halves < norm:
                short.append(
                    {
                        "volunteer_id": person.volunteer_id,
                        "community": person.community,
                        "days": days(halves),
                        "norm_days": days(norm),
                        "short_days": days(norm - halves),
                        "suspended": person.suspended_year is not None,
                    }
                )
        return sorted(short, key=lambda r: (-r["short_days"], r["volunteer_id"]))

    def awaiting(self, unit: str, *, norms: Norms) -> list[dict[str, Any]]:
        """The serving volunteers of ``unit`` not yet certified under their county's
        duty gate (待岗培训), with what each still lacks."""
        with self.store.read() as conn:
            t = self._tables(conn)
            volunteers, gates, credits, exams = (
                t["volunteers"],
                t["gates"],
                t["credits"],
                t["exams"],
            )
            people = conn.execute(
                select(volunteers)
                .join(gates, gates.c.county == volunteers.c.county)
                .where(
                    scope_column(volunteers, unit) == unit,
                    volunteers.c.status.in_(ON_DUTY),
                    volunteers.c.certified.is_(None),
                )
                .order_by(volunteers.c.volunteer_id)
            ).all()
            ids = [p.volunteer_id for p in people]
            held = conn.execute(
                select(credits).where(
                    credits.c.volunteer_id.in_(ids),
                    credits.c.kind == "pre_duty",
                    credits.c.before_certification.is_(True),
                )
            ).all()
            passed = set(
                conn.execute(
                    select(exams.c.volunteer_id).where(
                        exams.c.volunteer_id.in_(ids), exams.c.passed.is_(True)
                    )
                ).scalars()
            )
        by_volunteer: dict[str, list[Any]] = defaultdict(list)
        for credit in held:
            by_volunteer[credit.volunteer_id].append(credit)
        rows = []
        for person in people:
            halves = capped(by_volunteer[person.volunteer_id])
            rows.append(
                {
                    "volunteer_id": person.volunteer_id,
                    "community": person.community,
                    "pre_duty_days": days(halves),
                    "pre_duty_missing_days": days(max(0, norms.pre_duty_halves - halves)),
                    "exam_missing": norms.exam_required and person.volunteer_id not in passed,
                }
            )
        return rows

    def serving(self, county: str) -> list[str]:
        """The volunteers on duty in ``county`` now (for the gate's legacy list)."""
        with self.store.read() as conn:
            volunteers = self._tables(conn)["volunteers"]
            rows = conn.execute(
                select(volunteers.c.volunteer_id)
                .where(volunteers.c.county == county, volunteers.c.status.in_(ON_DUTY))
                .order_by(volunteers.c.volunteer_id)
            ).all()
        return [r.volunteer_id for r in rows]

    def _tables(self, conn: Any) -> Any:
        return self.projector.live_tables(conn, "training")
