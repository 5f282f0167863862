"""The clock: marks whose time has come become messages, once each.

Nothing in the log says "the due time passed", so the read model keeps marks
(``alert_marks``: due soon, due, overdue at twice the allowed time, the urgent
circle's minute marks, a notice's reminder) and the clock turns each one whose
time has come into a message with the mark's key as its de-duplication key, in
one transaction with its deliveries. A step that moves an incident on drops
the marks of the old wait before they fire; a second clock, or the same one
after a restart, finds the message stored and tells nothing again. A mark may
name a moment after which it is told no more (``until``: a duty task's reminder
once the next reminder is due or the task began), so a clock that was stopped,
or a read model built anew from an old log, never tells one for a time past.

Each tick first brings the notification read model up to the head of the log,
so a step taken just before a mark's time keeps the mark from firing. It looks
at marks since the last tick (less an hour's slack for late ones); the first
tick of a process, and one every ten minutes, looks at every mark, so neither
downtime nor a read model long behind loses one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, exists, or_, select

from projections.base import utc
from projections.errors import ProjectionNotReady
from projections.notifications import tables as outbox
from projections.notifications.outbox import Message, tell
from projections.processing import Projector

log = logging.getLogger(__name__)

NAME = "notifications"
CATCH_UP_ROUNDS = 20


def utc_now() -> datetime:
    return datetime.now(UTC)


class Clock:
    """Fires the due marks of the notification read model ``projector`` keeps."""

    def __init__(
        self,
        projector: Projector,
        *,
        now: Callable[[], datetime] = utc_now,
        batch_size: int = 500,
        slack: timedelta = timedelta(hours=1),
        sweep_every: timedelta = timedelta(minutes=10),
    ) -> None:
        self.projector = projector
        self.now = now
        self.batch_size = batch_size
        self.slack = slack
        self.sweep_every = sweep_every
        self.swept_at: datetime | None = None
        """When this clock last looked at every mark (None: not yet)."""

    @property
    def channels(self) -> frozenset[str]:
        return frozenset(getattr(self.projector.projection(NAME), "channels", ()))

    def catch_up(self) -> bool:
        """Bring the notification read model to the head of the log (as it was when
        asked); whether it got there."""
        head = self.projector.recorder.max_notification_id() or 0
        for _ in range(CATCH_UP_ROUNDS):
            position = self.projector.positions().get(NAME)
            if position is not None and position >= head:
                return True
            self.projector.run_once([NAME])
        return False

    def tick(self) -> int:
        """Fire every mark due by now; returns how many messages it stored."""
        at = utc(self.now())
        assert at is not None
        if not self.catch_up():
            log.warning("notifications lag the log; marks fire as the read model has them")
        sweep = self.swept_at is None or at - self.swept_at >= self.sweep_every
        fired = 0
        try:
            while True:
                found, stored = self._fire(at, sweep)
                fired += stored
                if found < self.batch_size:
                    break
        except ProjectionNotReady:
            return fired  # the read model is being built; the next tick fires
        if sweep:
            self.swept_at = at
        return fired

    def _fire(self, at: datetime, sweep: bool) -> tuple[int, int]:
        messages = outbox.messages
        with self.projector.store.write() as conn:
            tables = self.projector.live_tables(conn, NAME)
            marks = tables["marks"]
            query = select(marks).where(
                marks.c.at <= at,
                or_(marks.c.until.is_(None), marks.c.until > at),
                ~exists().where(messages.c.message_id == marks.c.mark_id),
            )
            checked = None if sweep else self._checked(conn)
            if checked is not None:
                query = query.where(marks.c.at > checked - self.slack)
            query = query.order_by(marks.c.at, marks.c.mark_id).limit(self.batch_size)
            if conn.dialect.name == "postgresql":  # clocks of other processes skip these
                query = query.with_for_update(skip_locked=True, of=marks)
            rows = conn.execute(query).all()
            due = [Message.of(row, row.mark_id, row.at) for row in rows]
            stored = tell(conn, tables, due, self.channels)
            if len(rows) < self.batch_size:
                self._record(conn, at)
        for message in stored:
            log.info("told %s: %s", message.kind, message.message_id)
        return len(rows), len(stored)

    @staticmethod
    def _checked(conn: Connection) -> datetime | None:
        state = outbox.clock_state
        found: datetime | None = conn.execute(
            select(state.c.checked_through).where(state.c.name == "clock")
        ).scalar()
        return found

    def _record(self, conn: Connection, at: datetime) -> None:
        state = outbox.clock_state
        checked = self._checked(conn)
        if checked is None:
            outbox.insert_new(conn, state, [{"name": "clock", "checked_through": at}])
        elif checked < at:
            conn.execute(state.update().where(state.c.name == "clock").values(checked_through=at))
