"""Reads of the talk-order read models (``projections.talks``): indexed tables
only, primitives out. An order's place and contact are not here (the service
shows them, once accepted)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, func, select

from projections.base import iso, scope_column, unit_level, utc
from projections.errors import InvalidQuery
from projections.processing import Projector

STATUSES = ("ordered", "accepted", "scheduled", "delivered", "declined", "cancelled")


def _limit(limit: int) -> int:
    if not 1 <= limit <= 500:
        raise InvalidQuery("条数须在1到500之间", "limit must be between 1 and 500", field="limit")
    return limit


def order_item(row: Row[Any], now: datetime) -> dict[str, Any]:
    """An order row; ``overdue`` while it waits for an answer past its deadline."""
    return {
        "order_id": row.order_id,
        "unit": row.unit,
        "community": row.community,
        "item_id": row.item_id,
        "theme": row.theme,
        "title": row.title,
        "format": row.format,
        "orderer_kind": row.orderer_kind,
        "source": row.source,
        "window": [row.window_from, row.window_to],
        "status": row.status,
        "ordered_at": iso(row.ordered_at),
        "answer_by": iso(row.answer_by),
        "answered_at": iso(row.answered_at),
        "overdue": row.status == "ordered" and row.answer_by < now,
        "task_id": row.task_id,
        "starts_at": iso(row.starts_at),
        "confirmed": row.confirmed,
        "reschedules": row.reschedules,
        "reach": row.reach,
        "questions": row.questions,
        "rating": row.rating,
        "follow_up": row.follow_up,
    }


def within(speakers: Any, unit: str) -> Any:
    """Speakers registered within ``unit``: a station or county registers them, so a
    community holds those registered for it alone (the table has no community column)."""
    if unit_level(unit) == "community":
        return speakers.c.unit == unit
    return scope_column(speakers, unit) == unit


class TalkQueries:
    def __init__(self, projector: Projector) -> None:
        self.projector = projector
        self.store = projector.store

    def menu(self, unit: str | None) -> list[dict[str, Any]]:
        """The talks ``unit`` offers (a station's, or its county's); every unit's
        (at most 500) when ``unit`` is None."""
        with self.store.read() as conn:
            menu = self.projector.live_tables(conn, "talks")["menu"]
            query = select(menu).order_by(menu.c.unit, menu.c.theme, menu.c.item_id)
            if unit is not None:
                query = query.where(menu.c.unit == unit)
            rows = conn.execute(query.limit(500)).all()
        return [
            {
                "item_id": r.item_id,
                "unit": r.unit,
                "theme": r.theme,
                "title": r.title,
                "format": r.format,
                "minutes": r.minutes,
                "audience": r.audience,
                "speakers": json.loads(r.speakers),
            }
            for r in rows
        ]

    def orders(
        self,
        unit: str,
        *,
        status: str | None = None,
        now: datetime | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """The orders held within ``unit`` (a station or county), newest first."""
        if status is not None and status not in STATUSES:
            raise InvalidQuery("订单状态无效", "not an order status", field="status")
        at = utc(now or datetime.now(UTC))
        assert at is not None
        with self.store.read() as conn:
            orders = self.projector.live_tables(conn, "talks")["orders"]
            query = select(orders).where(scope_column(orders, unit) == unit)
            if status is not None:
                query = query.where(orders.c.status == status)
            rows = conn.execute(
                query.order_by(orders.c.ordered_at.desc(), orders.c.order_id).limit(_limit(limit))
            ).all()
        return [order_item(r, at) for r in rows]

    def order(self, order_id: str, *, now: datetime | None = None) -> dict[str, Any] | None:
        at = utc(now or datetime.now(UTC))
        assert at is not None
        with self.store.read() as conn:
            orders = self.projector.live_tables(conn, "talks")["orders"]
            row = conn.execute(select(orders).where(orders.c.order_id == order_id)).first()
        return None if row is None else order_item(row, at)

    def speakers(self, unit: str) -> list[dict[str, Any]]:
        """The police and outside speakers registered within ``unit`` (no names)."""
        with self.store.read() as conn:
            table = self.projector.live_tables(conn, "talks")["speakers"]
            rows = conn.execute(
                select(table)
                .where(within(table, unit))
                .order_by(table.c.unit, table.c.speaker)
                .limit(500)
            ).all()
        return [
            {
                "speaker": r.speaker,
                "kind": r.kind,
                "unit": r.unit,
                "organisation": r.organisation,
                "vice_principal_of": r.vice_principal_of,
                "active": r.active,
                "booked": r.booked,
                "talks_given": r.talks_given,
            }
            for r in rows
        ]

    def reach_by_theme(
        self, unit: str, *, first: str = "0000-00", last: str = "9999-99"
    ) -> list[dict[str, Any]]:
        """Talks given, 人次 reached and questions answered within ``unit`` (a county or
        station), by theme, for the months ``first`` to ``last`` (``YYYY-MM``)."""
        with self.store.read() as conn:
            reach = self.projector.live_tables(conn, "talks")["reach"]
            rows = conn.execute(
                select(
                    reach.c.theme,
                    func.sum(reach.c.talks),
                    func.sum(reach.c.reach),
                    func.sum(reach.c.questions),
                )
                .where(scope_column(reach, unit) == unit, reach.c.period.between(first, last))
                .group_by(reach.c.theme)
                .order_by(reach.c.theme)
            ).all()
        return [
            {"theme": theme, "talks": int(talks), "reach": int(people), "questions": int(asked)}
            for theme, talks, people, asked in rows
        ]

    def site_topics(
        self, unit: str, *, first: str = "0000-00", last: str = "9999-99"
    ) -> dict[str, int]:
        """The topics picked on site (群众点题) within ``unit``: how many times each."""
        with self.store.read() as conn:
            topics = self.projector.live_tables(conn, "talks")["site_topics"]
            rows = conn.execute(
                select(topics.c.topic, func.sum(topics.c.count))
                .where(scope_column(topics, unit) == unit, topics.c.period.between(first, last))
                .group_by(topics.c.topic)
            ).all()
        return {topic: int(count) for topic, count in rows}

    def delivered(self, unit: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """The talks given within ``unit`` from ``start`` to before ``end`` (naive UTC
        or aware), oldest first: the period report's drill-down."""
        since, until = utc(start), utc(end)
        with self.store.read() as conn:
            orders = self.projector.live_tables(conn, "talks")["orders"]
            rows = conn.execute(
                select(orders)
                .where(
                    scope_column(orders, unit) == unit,
                    orders.c.delivered_at >= since,
                    orders.c.delivered_at < until,
                )
                .order_by(orders.c.delivered_at, orders.c.order_id)
            ).all()
        return [
            {
                "order_id": r.order_id,
                "community": r.community,
                "theme": r.theme,
                "title": r.title,
                "format": r.format,
                "orderer_kind": r.orderer_kind,
                "delivered_at": iso(r.delivered_at),
                "reach": r.reach,
                "questions": r.questions,
                "rating": r.rating,
            }
            for r in rows
        ]
