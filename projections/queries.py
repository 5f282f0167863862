"""Reads for the API and console: indexed tables only, primitives out.

No query replays events. Overdue flags and ranks are computed here, at query
time, from indexed columns (due time against ``now``; a count of volunteers
with a higher score in the same community, station or county).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, and_, func, or_, select

from projections.base import iso, scope_column, unit_level, unit_path, utc
from projections.catalogue import donors_of
from projections.errors import InvalidQuery, UnknownUnit
from projections.processing import Projector

Stars = Sequence[tuple[int, int]]
"""Star thresholds of the scoring policy: ``(score at least, star level)``, ascending."""


def star_level(score: int, stars: Stars) -> int:
    level = 0
    for threshold, stars_at in sorted(stars):
        if score >= threshold:
            level = stars_at
    return level


def _moment(name: str, value: datetime) -> datetime:
    if value.tzinfo is None:
        raise InvalidQuery(f"{name} 须带时区", f"{name} must carry a time zone", field=name)
    moment = utc(value)
    assert moment is not None
    return moment


def _limit(limit: int) -> int:
    if not 1 <= limit <= 500:
        raise InvalidQuery(
            "条数须在1到500之间", "limit must be between 1 and 500", field="limit", limit=limit
        )
    return limit


def _community(community: str) -> tuple[str, str]:
    """``community`` and its station; a path that is not a community is refused."""
    level = unit_level(community)
    if level is None:
        raise UnknownUnit(
            f"不是有效的单位：{community!r}", f"not a unit path: {community!r}", unit=community
        )
    _, station, place = unit_path(community)
    if level != "community" or station is None or place is None:
        raise InvalidQuery(
            "须为社区", "must be a community", field="community", unit=community, level=level
        )
    return place, station


def _volunteer_id(volunteer_id: str) -> str:
    if not isinstance(volunteer_id, str) or not volunteer_id.strip():
        raise InvalidQuery("须给出义警编号", "a volunteer id is required", field="volunteer_id")
    return volunteer_id


def _case_item(row: Row[Any]) -> dict[str, Any]:
    return {
        "incident_id": row.incident_id,
        "stage": row.stage,
        "what": row.what,
        "place": row.place,
        "module": row.module,
        "community": row.community,
        "urgency": row.urgency,
        "opened_at": iso(row.opened_at),
        "outcome_source": row.outcome_source,
        "points": row.points,
        "credited": row.credited,
        "publicized_at": iso(row.publicized_at),
        "closed_at": iso(row.closed_at),
        "rejection_kind": row.rejection_kind,
    }


def _catalogue_item(row: Row[Any]) -> dict[str, Any]:
    return {
        "item_id": row.item_id,
        "name": row.name,
        "donors": donors_of(row),
        "bank": row.bank,
        "stock": row.stock,
        "price": row.price,
        "limit_per_volunteer": row.limit_per_volunteer,
        "handed_out": row.handed_out,
    }


class Queries:
    def __init__(self, projector: Projector) -> None:
        self.projector = projector
        self.store = projector.store

    # -- backlogs -----------------------------------------------------------------------

    @staticmethod
    def _backlog_item(row: Row[Any], now: datetime) -> dict[str, Any]:
        due = row.due_at
        return {
            "incident_id": row.incident_id,
            "stage": row.stage,
            "owner_unit": row.owner_unit,
            "owner_role": row.owner_role,
            "tier": row.tier,
            "community": row.community,
            "module": row.module,
            "urgency": row.urgency,
            "opened_at": iso(row.opened_at),
            "due_at": iso(due),
            "overdue": due is not None and due < now,
            "age_seconds": int((now - row.opened_at).total_seconds()),
        }

    def backlog(
        self,
        unit: str,
        *,
        now: datetime | None = None,
        stage: str | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Open incidents owned by ``unit`` or any unit below it (a station's backlog
        includes its communities'), soonest due first, each flagged overdue or not;
        the first ``limit`` (1..500), read along the (unit, due) index, so a page
        costs the same however long the backlog (``backlog_summary`` counts it all)."""
        at = _moment("now", now or datetime.now(UTC))
        with self.store.read() as conn:
            tables = self.projector.live_tables(conn, "backlog")
            backlog = tables["backlog"]
            query = select(backlog).where(scope_column(backlog, unit, "owner_") == unit)
            if stage is not None:
                query = query.where(backlog.c.stage == stage)
            query = query.order_by(backlog.c.due_at, backlog.c.incident_id).limit(_limit(limit))
            rows = conn.execute(query).all()
        items = [self._backlog_item(r, at) for r in rows]
        for item, row in zip(items, rows, strict=True):
            item["what"] = row.what
            item["stage_since"] = iso(row.stage_since)
            item["escalations"] = row.escalations
        return items

    def backlog_summary(self, unit: str, *, now: datetime | None = None) -> dict[str, Any]:
        """Counts of ``unit``'s backlog: open, overdue, and open per stage."""
        at = _moment("now", now or datetime.now(UTC))
        with self.store.read() as conn:
            backlog = self.projector.live_tables(conn, "backlog")["backlog"]
            scope = scope_column(backlog, unit, "owner_") == unit
            per_stage = conn.execute(
                select(backlog.c.stage, func.count()).where(scope).group_by(backlog.c.stage)
            ).all()
            overdue = conn.execute(
                select(func.count()).where(scope, backlog.c.due_at < at)
            ).scalar_one()
        stages = {stage: count for stage, count in per_stage}
        return {"unit": unit, "open": sum(stages.values()), "overdue": overdue, "stages": stages}

    def backlog_as_of(self, unit: str, moment: datetime) -> list[dict[str, Any]]:
        """``unit``'s backlog as it stood at ``moment``: who owned what, in which
        stage, due when, and whether it was overdue then."""
        at = _moment("moment", moment)
        with self.store.read() as conn:
            ownership = self.projector.live_tables(conn, "backlog")["ownership"]
            rows = conn.execute(
                select(ownership)
                .where(
                    scope_column(ownership, unit, "owner_") == unit,
                    ownership.c.valid_from <= at,
                    or_(ownership.c.valid_to.is_(None), ownership.c.valid_to > at),
                )
                .order_by(ownership.c.due_at, ownership.c.incident_id)
            ).all()
        return [self._backlog_item(r, at) for r in rows]

    # -- cases ------------------------------------------------------------------------------

    def publicity_board(self, unit: str, *, limit: int = 50) -> list[dict[str, Any]]:
        """Publicized cases within ``unit``, newest first; a case rejected since (a
        duplicate found after its reward) is no longer shown. Of the case's text only
        the title is published: the one text that passed the redaction review (the
        report's description and outcome may name people; they are not shown)."""
        with self.store.read() as conn:
            cases = self.projector.live_tables(conn, "cases")["cases"]
            rows = conn.execute(
                select(cases)
                .where(
                    scope_column(cases, unit) == unit,
                    cases.c.publicized_at.is_not(None),
                    cases.c.rejection_kind.is_(None),
                )
                .order_by(cases.c.publicized_at.desc(), cases.c.incident_id)
                .limit(_limit(limit))
            ).all()
        return [
            {
                "incident_id": r.incident_id,
                "title": r.publicity_title,
                "publicized_at": iso(r.publicized_at),
                "community": r.community,
                "module": r.module,
                "reporter_id": r.reporter_id,
                "outcome_source": r.outcome_source,
                "points": r.points,
                "credited": r.credited,
            }
            for r in rows
        ]

    def reports_of(self, volunteer_id: str, *, limit: int = 100) -> list[dict[str, Any]]:
        """The incidents a volunteer reported, open or closed, newest first; the
        first ``limit`` (1..500), read along the (reporter, opened) index."""
        reporter = _volunteer_id(volunteer_id)
        with self.store.read() as conn:
            cases = self.projector.live_tables(conn, "cases")["cases"]
            rows = conn.execute(
                select(cases)
                .where(cases.c.reporter_id == reporter)
                .order_by(cases.c.opened_at.desc(), cases.c.incident_id.desc())
                .limit(_limit(limit))
            ).all()
        return [_case_item(r) for r in rows]

    def cases(
        self,
        unit: str,
        *,
        stage: str | None = None,
        module: str | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Every incident, open or closed, of the communities within ``unit``, newest
        first, optionally in one stage or module; the first ``limit`` (1..500), read
        along the (unit, opened) index."""
        with self.store.read() as conn:
            cases = self.projector.live_tables(conn, "cases")["cases"]
            query = select(cases).where(scope_column(cases, unit) == unit)
            if stage is not None:
                query = query.where(cases.c.stage == stage)
            if module is not None:
                query = query.where(cases.c.module == module)
            query = query.order_by(cases.c.opened_at.desc(), cases.c.incident_id.desc())
            rows = conn.execute(query.limit(_limit(limit))).all()
        return [_case_item(r) | {"reporter_id": r.reporter_id} for r in rows]

    def case(self, incident_id: str) -> dict[str, Any] | None:
        with self.store.read() as conn:
            cases = self.projector.live_tables(conn, "cases")["cases"]
            row = conn.execute(select(cases).where(cases.c.incident_id == incident_id)).first()
        if row is None:
            return None
        return {
            key: iso(value) if isinstance(value, datetime) else value
            for key, value in row._mapping.items()
        }

    def statistics(
        self,
        unit: str,
        *,
        period: str | None = None,
        module: str | None = None,
    ) -> dict[str, Any]:
        """Counters of ``unit`` (a county, station or community): totals per metric,
        and per module and per month, optionally for one month or one module."""
        with self.store.read() as conn:
            statistics = self.projector.live_tables(conn, "cases")["statistics"]
            query = select(
                statistics.c.period, statistics.c.module, statistics.c.metric, statistics.c.value
            ).where(statistics.c.unit == unit)
            if period is not None:
                query = query.where(statistics.c.period == period)
            if module is not None:
                query = query.where(statistics.c.module == module)
            rows = conn.execute(query).all()
        totals: dict[str, int] = {}
        by_module: dict[str, dict[str, int]] = {}
        by_month: dict[str, dict[str, int]] = {}
        for row in rows:
            totals[row.metric] = totals.get(row.metric, 0) + row.value
            for key, bucket in ((row.module, by_module), (row.period, by_month)):
                counts = bucket.setdefault(key, {})
                counts[row.metric] = counts.get(row.metric, 0) + row.value
        return {
            "unit": unit,
            "period": period,
            "module": module,
            "totals": dict(sorted(totals.items())),
            "by_module": {k: dict(sorted(v.items())) for k, v in sorted(by_module.items())},
            "by_month": {k: dict(sorted(v.items())) for k, v in sorted(by_month.items())},
        }

    # -- the Happiness Bank's catalogue ---------------------------------------------------

    def catalogue(self, community: str) -> list[dict[str, Any]]:
        """The goods a volunteer of ``community`` may redeem: those of the community's
        own Happiness Bank and of its station's, by bank, then name."""
        place, station = _community(community)
        with self.store.read() as conn:
            items = self.projector.live_tables(conn, "catalogue")["catalogue"]
            rows = conn.execute(
                select(items)
                .where(items.c.bank.in_([place, station]))
                .order_by(items.c.bank, items.c.name, items.c.item_id)
            ).all()
        return [_catalogue_item(r) for r in rows]

    def catalogue_of(self, unit: str) -> list[dict[str, Any]]:
        """Every item held by the Happiness Banks within ``unit`` (a county, station
        or community), by bank, then name."""
        with self.store.read() as conn:
            items = self.projector.live_tables(conn, "catalogue")["catalogue"]
            rows = conn.execute(
                select(items)
                .where(scope_column(items, unit) == unit)
                .order_by(items.c.bank, items.c.name, items.c.item_id)
            ).all()
        return [_catalogue_item(r) for r in rows]

    # -- volunteer scores -----------------------------------------------------------------

    def volunteer_score(self, volunteer_id: str, *, stars: Stars = ()) -> dict[str, Any] | None:
        """A volunteer's points (earned, balance, redeemed, deducted, score), ranks
        within community, station and county, star level, and per-month figures."""
        with self.store.read() as conn:
            tables = self.projector.live_tables(conn, "scores")
            scores, months = tables["scores"], tables["months"]
            row = conn.execute(select(scores).where(scores.c.volunteer_id == volunteer_id)).first()
            if row is None:
                return None
            ranks: dict[str, int | None] = {}
            for level in ("community", "station", "county"):
                unit = getattr(row, level)
                if unit is None:
                    ranks[level] = None
                    continue
                higher = conn.execute(
                    select(func.count()).where(
                        scores.c[level] == unit,
                        scores.c.score > row.score,
                        scores.c.account_id.is_not(None),
                    )
                ).scalar_one()
                ranks[level] = higher + 1
            per_month = conn.execute(
                select(months)
                .where(months.c.volunteer_id == volunteer_id)
                .order_by(months.c.period)
            ).all()
        return {
            "volunteer_id": row.volunteer_id,
            "community": row.community,
            "status": row.status,
            "squad": row.squad,
            "earned": row.earned,
            "balance": row.balance,
            "redeemed": row.redeemed,
            "deducted": row.deducted,
            "score": row.score,
            "star_level": star_level(row.score, stars),
            "rank": ranks,
            "months": [
                {
                    "period": m.period,
                    "earned": m.earned,
                    "redeemed": m.redeemed,
                    "deducted": m.deducted,
                    "score": m.score,
                    "passed": m.passed,
                }
                for m in per_month
            ],
        }

    def leaderboard(
        self,
        unit: str,
        *,
        period: str | None = None,
        stars: Stars = (),
        limit: int = 50,
    ) -> list[dict[str, Any]]:
        """Volunteers of ``unit`` by score, highest first, with their rank (equal
        scores share a rank) and star level; for one month if ``period`` is given.
        Only volunteers admitted into the Happiness Bank rank (not applicants, nor
        those the joint review turned down), here and in ``volunteer_score``."""
        with self.store.read() as conn:
            tables = self.projector.live_tables(conn, "scores")
            table = tables["months"] if period else tables["scores"]
            scope = scope_column(table, unit) == unit
            conditions = (
                [scope, table.c.account_id.is_not(None)]
                if period is None
                else [scope, table.c.period == period]
            )
            rows = conn.execute(
                select(table)
                .where(and_(*conditions))
                .order_by(table.c.score.desc(), table.c.volunteer_id)
                .limit(_limit(limit))
            ).all()
        board: list[dict[str, Any]] = []
        for position, row in enumerate(rows, start=1):
            tied = board and board[-1]["score"] == row.score
            board.append(
                {
                    "rank": board[-1]["rank"] if tied else position,
                    "volunteer_id": row.volunteer_id,
                    "community": row.community,
                    "earned": row.earned,
                    "redeemed": row.redeemed,
                    "deducted": row.deducted,
                    "balance": row.balance,
                    "score": row.score,
                    "star_level": star_level(row.score, stars),
                }
            )
        return board

    def volunteers(
        self, unit: str, *, status: str | None = None, limit: int = 200
    ) -> list[dict[str, Any]]:
        """The volunteers of ``unit`` (applicants included), by community and id, with
        status, squad and points: the roll a community keeps."""
        with self.store.read() as conn:
            scores = self.projector.live_tables(conn, "scores")["scores"]
            query = select(scores).where(scope_column(scores, unit) == unit)
            if status is not None:
                query = query.where(scores.c.status == status)
            rows = conn.execute(
                query.order_by(scores.c.community, scores.c.volunteer_id).limit(_limit(limit))
            ).all()
        return [
            {
                "volunteer_id": r.volunteer_id,
                "community": r.community,
                "status": r.status,
                "squad": r.squad,
                "score": r.score,
                "balance": r.balance,
                "earned": r.earned,
            }
            for r in rows
        ]
