"""Reads for exports: every row of a list, streamed, in the order the API lists them.

The API's reads (``projections.queries``) answer a page of at most 500 rows;
an export wants all of a unit's rows without holding them: these generators
keep one read transaction open (one snapshot) and yield row by row, fetched in
chunks. The rows are the API's rows (the same item functions, the same scope
column, the same order) with the columns a spreadsheet adds: every milestone of
a case, a volunteer's rank, star level and teams, each ledger entry.

Periods are Asia/Shanghai months (``2026-03``), quarters (``2026-Q1``) or years
(``2026``), as half-open intervals of stored (naive UTC) time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, func, or_, select

from projections.base import CHINA, iso, scope_column, utc
from projections.errors import InvalidQuery
from projections.processing import Projector
from projections.queries import Queries, Stars, _case_item, star_level

CHUNK = 1000
PERIOD = re.compile(r"^(\d{4})(?:-(\d{2})|-Q([1-4]))?$")

MILESTONES = (
    "reported_at",
    "accepted_at",
    "escalated_at",
    "escalations",
    "returns",
    "diverted_at",
    "handed_over_at",
    "department",
    "score_signed_at",
    "rewarded_at",
    "outcome_at",
    "rejection_reason",
)


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """``[start, end)`` of an Asia/Shanghai month, quarter or year, as naive UTC."""
    match = PERIOD.match(period) if isinstance(period, str) else None
    month = int(match.group(2)) if match and match.group(2) else None
    year_ok = match is not None and 1970 <= int(match.group(1)) <= 2999
    if match is None or not year_ok or (month is not None and not 1 <= month <= 12):
        raise InvalidQuery(
            "期间须为1970至2999年间的年（2026）、季度（2026-Q1）或月份（2026-03）",
            "period must be a year (2026), a quarter (2026-Q1) or a month (2026-03), 1970-2999",
            field="period",
            period=period,
        )
    year = int(match.group(1))
    if month is not None:
        first, months = month, 1
    elif match.group(3):
        first, months = 3 * (int(match.group(3)) - 1) + 1, 3
    else:
        first, months = 1, 12
    start = datetime(year, first, 1, tzinfo=CHINA)
    after = first + months
    end = datetime(year + (after - 1) // 12, (after - 1) % 12 + 1, 1, tzinfo=CHINA)
    start_utc, end_utc = utc(start), utc(end)
    assert start_utc is not None
    assert end_utc is not None
    return start_utc, end_utc


def _months(start: datetime, end: datetime) -> list[str]:
    """The ``YYYY-MM`` months of ``[start, end)`` (bounds at China-time month starts)."""
    local = start.replace(tzinfo=UTC).astimezone(CHINA)
    year, month = local.year, local.month
    found: list[str] = []
    while True:
        first = utc(datetime(year, month, 1, tzinfo=CHINA))
        assert first is not None
        if first >= end:
            return found
        found.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _stream(conn: Connection, query: Select[Any]) -> Iterator[Any]:
    result = conn.execution_options(stream_results=True, yield_per=CHUNK).execute(query)
    yield from result


def _exported_case(row: Any) -> dict[str, Any]:
    item = _case_item(row) | {"reporter_id": row.reporter_id}
    for name in MILESTONES:
        value = getattr(row, name)
        item[name] = iso(value) if isinstance(value, datetime) else value
    item["sense"] = row.sense
    item["channel"] = row.channel
    item["outcome_summary"] = row.outcome_summary
    return item


class ExportQueries:
    """Every row of a unit's lists, for exports and period reports."""

    def __init__(self, projector: Projector) -> None:
        self.projector = projector
        self.store = projector.store

    def incidents(
        self,
        unit: str,
        *,
        stage: str | None = None,
        module: str | None = None,
        period: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """The cases of ``unit`` (as ``Queries.cases``, newest first) with the
        reporter and every milestone; ``period``: opened within it."""
        with self.store.read() as conn:
            cases = self.projector.live_tables(conn, "cases")["cases"]
            milestones = self.projector.live_tables(conn, "registers")["milestones"]
            query = (
                select(cases, *(milestones.c[m] for m in MILESTONES if m in milestones.c))
                .outerjoin(milestones, milestones.c.incident_id == cases.c.incident_id)
                .where(scope_column(cases, unit) == unit)
            )
            if stage is not None:
                query = query.where(cases.c.stage == stage)
            if module is not None:
                query = query.where(cases.c.module == module)
            if period is not None:
                start, end = period_bounds(period)
                query = query.where(cases.c.opened_at >= start, cases.c.opened_at < end)
            query = query.order_by(cases.c.opened_at.desc(), cases.c.incident_id.desc())
            for row in _stream(conn, query):
                yield _exported_case(row)

    def cases_in(
        self, unit: str, moment: str, period: str, *, stage: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """The cases of ``unit`` whose ``moment`` (a milestone: ``reported_at``,
        ``outcome_at``, ``handed_over_at``, ``closed_at``) falls within ``period``,
        oldest first, as ``incidents`` gives them."""
        start, end = period_bounds(period)
        with self.store.read() as conn:
            cases = self.projector.live_tables(conn, "cases")["cases"]
            milestones = self.projector.live_tables(conn, "registers")["milestones"]
            column = cases.c[moment] if moment in cases.c else milestones.c[moment]
            query = (
                select(cases, *(milestones.c[m] for m in MILESTONES if m in milestones.c))
                .outerjoin(milestones, milestones.c.incident_id == cases.c.incident_id)
                .where(scope_column(cases, unit) == unit, column >= start, column < end)
            )
            if stage is not None:
                query = query.where(cases.c.stage == stage)
            query = query.order_by(column, cases.c.incident_id)
            for row in _stream(conn, query):
                yield _exported_case(row)

    def backlog(
        self,
        unit: str,
        *,
        now: datetime | None = None,
        stage: str | None = None,
        as_of: datetime | None = None,
    ) -> Iterator[dict[str, Any]]:
        """``unit``'s backlog now (as ``Queries.backlog``, soonest due first), or as
        it stood at ``as_of`` (as ``Queries.backlog_as_of``)."""
        at = datetime.now(UTC) if now is None else now
        with self.store.read() as conn:
            tables = self.projector.live_tables(conn, "backlog")
            if as_of is None:
                table = tables["backlog"]
                query = select(table).where(scope_column(table, unit, "owner_") == unit)
            else:
                moment = utc(as_of)
                at = as_of
                table = tables["ownership"]
                query = select(table).where(
                    scope_column(table, unit, "owner_") == unit,
                    table.c.valid_from <= moment,
                    or_(table.c.valid_to.is_(None), table.c.valid_to > moment),
                )
            if stage is not None:
                query = query.where(table.c.stage == stage)
            query = query.order_by(table.c.due_at, table.c.incident_id)
            naive = utc(at)
            assert naive is not None
            for row in _stream(conn, query):
                item = Queries._backlog_item(row, naive)
                if as_of is None:
                    item["what"] = row.what
                    item["stage_since"] = iso(row.stage_since)
                    item["escalations"] = row.escalations
                yield item

    def volunteers(
        self, unit: str, *, status: str | None = None, stars: Stars = ()
    ) -> Iterator[dict[str, Any]]:
        """The roll of ``unit`` (as ``Queries.volunteers``, by community and id) with
        the figures, the rank within ``unit`` (as the leaderboard ranks: admitted
        volunteers only, equal scores share a rank), the star level and teams."""
        with self.store.read() as conn:
            scores = self.projector.live_tables(conn, "scores")["scores"]
            scope = scope_column(scores, unit) == unit
            ranked = (
                select(
                    scores.c.volunteer_id,
                    func.rank().over(order_by=scores.c.score.desc()).label("rank"),
                )
                .where(scope, scores.c.account_id.is_not(None))
                .subquery()
            )
            query = (
                select(scores, ranked.c.rank)
                .outerjoin(ranked, ranked.c.volunteer_id == scores.c.volunteer_id)
                .where(scope)
            )
            if status is not None:
                query = query.where(scores.c.status == status)
            query = query.order_by(scores.c.community, scores.c.volunteer_id)
            for row in _stream(conn, query):
                yield {
                    "volunteer_id": row.volunteer_id,
                    "community": row.community,
                    "status": row.status,
                    "squad": row.squad,
                    "score": row.score,
                    "balance": row.balance,
                    "earned": row.earned,
                    "redeemed": row.redeemed,
                    "deducted": row.deducted,
                    "star_level": star_level(row.score, stars),
                    "rank": row.rank,
                    "volunteer_key": row.volunteer_key,
                }

    def teams_within(self, unit: str) -> dict[str, list[str]]:
        """The teams of each volunteer of ``unit``, by the volunteer's aggregate id
        (``volunteer_key``), sorted: read before the roll, one row per membership."""
        found: dict[str, list[str]] = {}
        with self.store.read() as conn:
            scores = self.projector.live_tables(conn, "scores")["scores"]
            teams = self.projector.live_tables(conn, "registers")["teams"]
            rows = conn.execute(
                select(teams.c.volunteer_key, teams.c.team)
                .join(scores, scores.c.volunteer_key == teams.c.volunteer_key)
                .where(scope_column(scores, unit) == unit)
                .order_by(teams.c.volunteer_key, teams.c.team)
            ).all()
        for key, team in rows:
            found.setdefault(key, []).append(team)
        return found

    def ledger(self, unit: str, *, period: str | None = None) -> Iterator[dict[str, Any]]:
        """Every Happiness Bank entry of the accounts of ``unit``, oldest first;
        ``period``: entered within it."""
        with self.store.read() as conn:
            ledger = self.projector.live_tables(conn, "registers")["ledger"]
            query = select(ledger).where(scope_column(ledger, unit) == unit)
            if period is not None:
                start, end = period_bounds(period)
                query = query.where(and_(ledger.c.at >= start, ledger.c.at < end))
            query = query.order_by(ledger.c.at, ledger.c.account_id, ledger.c.version)
            for row in _stream(conn, query):
                yield {
                    "at": iso(row.at),
                    "volunteer_id": row.volunteer_id,
                    "community": row.community,
                    "kind": row.kind,
                    "amount": row.amount,
                    "period": row.period,
                    "source": row.source,
                    "source_id": row.source_id,
                    "item": row.item,
                    "quantity": row.quantity,
                    "reason": row.reason,
                }

    def attendance(self, unit: str, *, period: str | None = None) -> Iterator[dict[str, Any]]:
        """Who attended the duty tasks of ``unit`` (each credited attendance: the
        task, the volunteer, check-in and -out, minutes and points), by the task's
        completion, oldest first; ``period``: completed within it."""
        with self.store.read() as conn:
            tables = self.projector.live_tables(conn, "tasks")
            tasks, entries = tables["tasks"], tables["entries"]
            query = (
                select(
                    entries,
                    tasks.c.topic,
                    tasks.c.kind,
                    tasks.c.place,
                    tasks.c.community,
                    tasks.c.completed_at,
                )
                .join(tasks, tasks.c.task_id == entries.c.task_id)
                .where(scope_column(tasks, unit) == unit, entries.c.state == "attended")
            )
            if period is not None:
                start, end = period_bounds(period)
                query = query.where(tasks.c.completed_at >= start, tasks.c.completed_at < end)
            query = query.order_by(tasks.c.completed_at, tasks.c.task_id, entries.c.volunteer_id)
            for row in _stream(conn, query):
                yield {
                    "task_id": row.task_id,
                    "topic": row.topic,
                    "kind": row.kind,
                    "place": row.place,
                    "community": row.community,
                    "starts_at": iso(row.starts_at),
                    "completed_at": iso(row.completed_at),
                    "volunteer_id": row.volunteer_id,
                    "checked_in_at": iso(row.checked_in_at),
                    "checked_out_at": iso(row.checked_out_at),
                    "minutes": row.minutes,
                    "points": row.points,
                }

    def standings(self, unit: str, period: str, *, stars: Stars = ()) -> Iterator[dict[str, Any]]:
        """The volunteers of ``unit`` by their points in ``period`` (the months'
        figures summed), highest first, ranked as ``Queries.leaderboard`` ranks a
        month (equal scores share a rank)."""
        start, end = period_bounds(period)
        months = _months(start, end)
        with self.store.read() as conn:
            table = self.projector.live_tables(conn, "scores")["months"]
            figures = [func.sum(table.c[n]).label(n) for n in ("earned", "redeemed", "deducted")]
            score = func.sum(table.c.score).label("score")
            query = (
                select(table.c.volunteer_id, table.c.community, *figures, score)
                .where(scope_column(table, unit) == unit, table.c.period.in_(months))
                .group_by(table.c.volunteer_id, table.c.community)
                .order_by(score.desc(), table.c.volunteer_id)
            )
            rank, last = 0, None
            for position, row in enumerate(_stream(conn, query), start=1):
                if row.score != last:
                    rank, last = position, row.score
                yield {
                    "rank": rank,
                    "volunteer_id": row.volunteer_id,
                    "community": row.community,
                    "earned": int(row.earned),
                    "redeemed": int(row.redeemed),
                    "deducted": int(row.deducted),
                    "score": int(row.score),
                    "star_level": star_level(int(row.score), stars),
                }

    def exports(self, unit: str, *, limit: int = 500) -> list[dict[str, Any]]:
        """The exports recorded by people of ``unit``'s county, newest first."""
        with self.store.read() as conn:
            table = self.projector.live_tables(conn, "registers")["exports"]
            county = unit.split("/")[0]
            rows = conn.execute(
                select(table)
                .where(
                    table.c.county == county,
                    or_(table.c.actor_unit == unit, table.c.actor_unit.like(f"{unit}/%")),
                )
                .order_by(table.c.at.desc(), table.c.export_id)
                .limit(limit)
            ).all()
        return [
            {k: iso(v) if isinstance(v, datetime) else v for k, v in r._mapping.items()}
            for r in rows
        ]

    def position_before(self, end: datetime) -> int:
        """The last log position whose event is dated before ``end`` (naive UTC), or 0:
        replayed to it, the log holds every event of a period ending at ``end``.

        Read from the log itself (each event's own timestamp), back from the head
        one chunk at a time, so its cost is the events dated after ``end``. Events
        appended later are dated later (the clock moves on), so once a period is
        over the answer no longer changes."""
        recorder, mapper = self.projector.recorder, self.projector.mapper
        top = recorder.max_notification_id() or 0
        while top > 0:
            start = max(1, top - CHUNK + 1)
            for notification in reversed(recorder.select_notifications(start, CHUNK, stop=top)):
                event: Any = mapper.to_domain_event(notification)
                stamp = utc(event.timestamp)
                if stamp is not None and stamp < end:
                    return int(notification.id)
            top = start - 1
        return 0

    def read_position(self) -> int:
        """The lowest live position of the read models: every event up to it is in
        what they answer now."""
        known = [p for p in self.projector.positions().values() if p is not None]
        return min(known, default=0)
