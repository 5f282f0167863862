"""A county whose loop chases itself: the demo's volunteers, read models with the
notification outbox, the clock and the inbox, on a clock the test moves."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select

from aggregates.actor import Actor
from loop import demo
from loop.bootstrap import open_loop
from loop.rules.alerts import words
from projections.notifications import tables as outbox
from projections.notifications.clock import Clock
from projections.notifications.inbox import Inbox, Reader
from projections.notifications.rules import SMS, WEBHOOK
from projections.processing import Projector, default_projections
from projections.store import Store
from tests.support import CHINA, FakeClock


def reader(actor: Actor) -> Reader:
    return Reader(actor.id, actor.role, actor.unit)


class County:
    """The demo's station and communities, with their notifications."""

    def __init__(
        self,
        url: str = "memory://",
        *,
        channels: tuple[str, ...] = (SMS, WEBHOOK),
        start: datetime | None = None,
    ) -> None:
        self.clock = FakeClock(start or datetime(2026, 7, 11, 9, 0, tzinfo=CHINA))
        self.loop = open_loop(clock=self.clock)
        self.flow = self.loop.incidents
        self.items = demo.enrol(self.flow)
        self.store = Store.from_url(url)
        self.projector = Projector(
            self.store, self.loop.app.recorder, self.loop.app.mapper, default_projections(channels)
        )
        self.projector.setup()
        self.clock_process = Clock(self.projector, now=self.clock)
        self.inbox = Inbox(self.projector)

    def close(self) -> None:
        self.store.dispose()

    # -- acting ---------------------------------------------------------------------------

    def report(self, who: Actor = demo.RIDER, **changes: Any) -> UUID:
        self.clock.tick()
        details: dict[str, Any] = {
            "channel": "app",
            "module": "hazard_screening",
            "sense": "seen",
            "what": "路口下水井盖丢失",
            "where": "幸福路",
        } | changes
        return UUID(self.flow.report_new(who, **details).incident_id)

    def tick(self) -> int:
        """The clock's tick at the test's time (the read models caught up first)."""
        return self.clock_process.tick()

    def catch_up(self) -> None:
        self.projector.catch_up()

    # -- reading ----------------------------------------------------------------------------

    def entries(self, who: Actor) -> list[dict[str, Any]]:
        self.catch_up()
        return self.inbox.entries(reader(who), now=self.clock(), limit=500)

    def kinds(self, who: Actor, subject: UUID | str | None = None) -> list[str]:
        """The kinds in ``who``'s inbox (about ``subject``), oldest first."""
        return [
            e["kind"]
            for e in reversed(self.entries(who))
            if subject is None or e["subject_id"] == str(subject)
        ]

    def said(self, who: Actor) -> list[str]:
        """The zh-CN body of each message in ``who``'s inbox, oldest first."""
        return [words(e["kind"], e["params"])[1] for e in reversed(self.entries(who))]

    def messages(self, **where: Any) -> list[Mapping[str, Any]]:
        table = outbox.messages
        query = select(table).where(*(table.c[k] == v for k, v in where.items()))
        with self.store.read() as conn:
            return [dict(r._mapping) for r in conn.execute(query.order_by(table.c.created_at))]

    def deliveries(self, **where: Any) -> list[Mapping[str, Any]]:
        table = outbox.deliveries
        query = select(table).where(*(table.c[k] == v for k, v in where.items()))
        with self.store.read() as conn:
            return [dict(r._mapping) for r in conn.execute(query.order_by(table.c.delivery_id))]
