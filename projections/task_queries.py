"""Reads of the duty-task read models (``projections.tasks``): indexed tables only,
primitives out. Fill levels and tasks at risk are computed at query time from
indexed columns (booked against needed and minimum, the start against ``now``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row, and_, func, or_, select

from projections.base import iso, scope_column, unit_path, utc
from projections.errors import InvalidQuery
from projections.processing import Projector

ENTRY_ORDER = {"booked": 0, "attended": 0, "waitlisted": 1, "no_show": 2, "withdrew": 3}


def _now(now: datetime | None) -> datetime:
    moment = utc(now or datetime.now(UTC))
    assert moment is not None
    if now is not None and now.tzinfo is None:
        raise InvalidQuery("now 须带时区", "now must carry a time zone", field="now")
    return moment


def _limit(limit: int) -> int:
    if not 1 <= limit <= 500:
        raise InvalidQuery("条数须在1到500之间", "limit must be between 1 and 500", field="limit")
    return limit


def task_item(row: Row[Any], now: datetime, at_risk_within: timedelta) -> dict[str, Any]:
    """A task row with its fill level, and whether it is at risk: open, fewer booked
    than its minimum, starting within ``at_risk_within`` of ``now`` (or started)."""
    at_risk = (
        row.status == "open"
        and row.booked < row.minimum
        and row.starts_at - now <= at_risk_within
        and row.ends_at > now
    )
    return {
        "task_id": row.task_id,
        "unit": row.unit,
        "community": row.community,
        "kind": row.kind,
        "topic": row.topic,
        "place": row.place,
        "starts_at": iso(row.starts_at),
        "ends_at": iso(row.ends_at),
        "signup_closes_at": iso(row.signup_closes_at),
        "needed": row.needed,
        "minimum": row.minimum,
        "booked": row.booked,
        "waitlisted": row.waitlisted,
        "free": max(0, row.needed - row.booked),
        "fill": round(row.booked / row.needed, 2) if row.needed else 0,
        "team": row.team,
        "intensity": row.intensity,
        "points_each": row.points_each,
        "leader_id": row.leader_id,
        "status": row.status,
        "points_state": row.points_state,
        "checked_in": row.checked_in,
        "attended": row.attended,
        "no_shows": row.no_shows,
        "minutes": row.minutes,
        "points": row.points,
        "reach": row.reach,
        "sign_up_open": row.status == "open" and row.signup_closes_at >= now,
        "at_risk": at_risk,
    }


class TaskQueries:
    def __init__(self, projector: Projector) -> None:
        self.projector = projector
        self.store = projector.store

    def task(
        self, task_id: str, *, now: datetime | None = None, at_risk_within: timedelta = timedelta(0)
    ) -> dict[str, Any] | None:
        at = _now(now)
        with self.store.read() as conn:
            tasks = self.projector.live_tables(conn, "tasks")["tasks"]
            row = conn.execute(select(tasks).where(tasks.c.task_id == task_id)).first()
        return None if row is None else task_item(row, at, at_risk_within)

    def open_tasks(
        self, community: str, *, now: datetime | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """The tasks a volunteer of ``community`` may choose from: open for sign-up,
        of his station or published by his county bureau; his own community's
        first, then the soonest."""
        at = _now(now)
        county, station, _ = unit_path(community)
        with self.store.read() as conn:
            tasks = self.projector.live_tables(conn, "tasks")["tasks"]
            rows = conn.execute(
                select(tasks)
                .where(
                    or_(tasks.c.station == station, tasks.c.unit == county),
                    tasks.c.status == "open",
                    tasks.c.signup_closes_at >= at,
                )
                .order_by((tasks.c.community != community), tasks.c.starts_at, tasks.c.task_id)
                .limit(_limit(limit))
            ).all()
        return [task_item(r, at, timedelta(0)) for r in rows]

    def calendar(
        self,
        unit: str,
        *,
        start: datetime,
        end: datetime,
        now: datetime | None = None,
        at_risk_within: timedelta = timedelta(hours=48),
    ) -> list[dict[str, Any]]:
        """The tasks within ``unit`` starting from ``start`` to before ``end``, by
        start, with fill levels and at-risk flags."""
        at = _now(now)
        since, until = utc(start), utc(end)
        with self.store.read() as conn:
            tasks = self.projector.live_tables(conn, "tasks")["tasks"]
            rows = conn.execute(
                select(tasks)
                .where(
                    scope_column(tasks, unit) == unit,
                    tasks.c.starts_at >= since,
                    tasks.c.starts_at < until,
                )
                .order_by(tasks.c.starts_at, tasks.c.task_id)
                .limit(500)
            ).all()
        return [task_item(r, at, at_risk_within) for r in rows]

    def roster(self, task_id: str) -> list[dict[str, Any]]:
        """Everyone who signed up for the task: the booked (then attended) in the
        order they signed up, then the waitlist in its order, then the others."""
        with self.store.read() as conn:
            entries = self.projector.live_tables(conn, "tasks")["entries"]
            rows = conn.execute(
                select(entries).where(entries.c.task_id == task_id).order_by(entries.c.seq)
            ).all()
        items = [self._entry(r) for r in rows]
        line = [i for i in items if i["state"] == "waitlisted"]
        for place, item in enumerate(line, start=1):
            item["waitlist_position"] = place
        return sorted(items, key=lambda i: ENTRY_ORDER.get(i["state"], 4))

    def tasks_of(self, volunteer_id: str, *, limit: int = 100) -> list[dict[str, Any]]:
        """A volunteer's tasks, the latest start first, each with his entry (and his
        place on a waitlist)."""
        with self.store.read() as conn:
            tables = self.projector.live_tables(conn, "tasks")
            entries, tasks = tables["entries"], tables["tasks"]
            rows = conn.execute(
                select(
                    entries,
                    tasks.c.topic,
                    tasks.c.kind,
                    tasks.c.place,
                    tasks.c.community,
                    tasks.c.ends_at,
                    tasks.c.status,
                    tasks.c.points_each,
                    tasks.c.points_state,
                    tasks.c.leader_id,
                )
                .join(tasks, tasks.c.task_id == entries.c.task_id)
                .where(entries.c.volunteer_id == volunteer_id)
                .order_by(entries.c.starts_at.desc(), entries.c.task_id)
                .limit(_limit(limit))
            ).all()
            ahead = {
                row.task_id: conn.execute(
                    select(func.count()).where(
                        entries.c.task_id == row.task_id,
                        entries.c.state == "waitlisted",
                        entries.c.seq < row.seq,
                    )
                ).scalar_one()
                for row in rows
                if row.state == "waitlisted"
            }
        items = []
        for row in rows:
            item = self._entry(row)
            item.update(
                topic=row.topic,
                kind=row.kind,
                place=row.place,
                community=row.community,
                ends_at=iso(row.ends_at),
                task_status=row.status,
                points_each=row.points_each,
                points_state=row.points_state,
                leader_id=row.leader_id,
            )
            if row.task_id in ahead:
                item["waitlist_position"] = ahead[row.task_id] + 1
            items.append(item)
        return items

    def hours_of(self, volunteer_id: str) -> dict[str, Any]:
        """A volunteer's service hours (服务时长), tasks, task points and no-shows, in
        all and per month."""
        with self.store.read() as conn:
            hours = self.projector.live_tables(conn, "tasks")["hours"]
            rows = conn.execute(
                select(hours).where(hours.c.volunteer_id == volunteer_id).order_by(hours.c.period)
            ).all()
        months = [
            {
                "period": r.period,
                "tasks": r.tasks,
                "hours": round(r.minutes / 60, 2),
                "minutes": r.minutes,
                "points": r.points,
                "no_shows": r.no_shows,
            }
            for r in rows
        ]
        minutes = sum(m["minutes"] for m in months)
        return {
            "volunteer_id": volunteer_id,
            "tasks": sum(m["tasks"] for m in months),
            "minutes": minutes,
            "hours": round(minutes / 60, 2),
            "points": sum(m["points"] for m in months),
            "no_shows": sum(m["no_shows"] for m in months),
            "months": months,
        }

    def statistics(self, unit: str, *, period: str | None = None) -> dict[str, Any]:
        """Task counters of ``unit``: totals, per kind and per month (hours from
        minutes), optionally of one month."""
        with self.store.read() as conn:
            statistics = self.projector.live_tables(conn, "tasks")["statistics"]
            conditions = [statistics.c.unit == unit]
            if period is not None:
                conditions.append(statistics.c.period == period)
            rows = conn.execute(select(statistics).where(and_(*conditions))).all()
        totals: dict[str, int] = {}
        by_kind: dict[str, dict[str, int]] = {}
        by_month: dict[str, dict[str, int]] = {}
        for row in rows:
            totals[row.metric] = totals.get(row.metric, 0) + row.value
            for key, bucket in ((row.kind, by_kind), (row.period, by_month)):
                counts = bucket.setdefault(key, {})
                counts[row.metric] = counts.get(row.metric, 0) + row.value
        return {
            "unit": unit,
            "period": period,
            "totals": dict(sorted(totals.items())),
            "hours": round(totals.get("minutes", 0) / 60, 2),
            "by_kind": {k: dict(sorted(v.items())) for k, v in sorted(by_kind.items())},
            "by_month": {k: dict(sorted(v.items())) for k, v in sorted(by_month.items())},
        }

    @staticmethod
    def _entry(row: Any) -> dict[str, Any]:
        return {
            "task_id": row.task_id,
            "volunteer_id": row.volunteer_id,
            "state": row.state,
            "starts_at": iso(row.starts_at),
            "late": row.late,
            "reconfirm": row.reconfirm,
            "checked_in_at": iso(row.checked_in_at),
            "checked_out_at": iso(row.checked_out_at),
            "check_in_method": row.check_in_method,
            "missing_checkout": row.missing_checkout,
            "minutes": row.minutes,
            "hours": None if row.minutes is None else round(row.minutes / 60, 2),
            "points": row.points,
            "waitlist_position": None,
        }
