"""The dispatcher: claims due deliveries, sends them through the adapters, logs each.

A claim is one transaction that marks a batch of due deliveries ``sending``
under this worker's name until a lease runs out; on PostgreSQL it takes them
``FOR UPDATE SKIP LOCKED``, so several dispatchers share the outbox without
waiting on each other or taking the same row; on SQLite write transactions
take turns, so one dispatcher is the rule there. Each delivery is then sent and
its outcome committed on its own, with a row in the attempts log:

* sent; skipped (no address, or no adapter for the channel); expired (its
  moment passed before it could go);
* deferred to the end of the quiet hours (text messages that are not urgent);
* a temporary failure is tried again after the retry policy's pause, and after
  its last try it has failed; a permanent failure has failed at once.

A dispatcher killed mid-batch leaves rows ``sending``: a dispatcher restarted
under the same worker name takes its own back at once, any other once the lease
has run out. The one send it may repeat (sent, not yet recorded) carries the
same idempotency key, which the receiver drops. The inbox never waits for any
of this: the message is in it from the start.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import and_, or_, select

from projections.base import utc
from projections.notifications import tables as outbox
from projections.notifications.adapters import (
    Adapter,
    Outgoing,
    PermanentFailure,
    Undeliverable,
)
from projections.notifications.rules import SMS
from projections.store import Store

log = logging.getLogger(__name__)

CHINA = timezone(timedelta(hours=8))

Render = Callable[[str, Mapping[str, Any]], tuple[str, str, str, str]]
"""``(kind, params) -> (title_zh, body_zh, title_en, body_en)``: the words of a message."""


@dataclass(frozen=True)
class RetryPolicy:
    """Pauses after each failed try; after the last, the delivery has failed."""

    delays: tuple[timedelta, ...] = (
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
    )

    @property
    def tries(self) -> int:
        return len(self.delays) + 1

    def after(self, attempt: int) -> timedelta | None:
        """The pause after failed try number ``attempt`` (None: no more tries)."""
        return self.delays[attempt - 1] if attempt <= len(self.delays) else None


@dataclass(frozen=True)
class QuietHours:
    """China time when text messages wait, unless urgent (``22:00-07:00``)."""

    start: time | None = None
    end: time | None = None
    channels: frozenset[str] = field(default=frozenset({SMS}))

    @classmethod
    def parse(cls, text: str | None) -> QuietHours:
        if not text:
            return cls()
        start, _, end = text.partition("-")
        return cls(time.fromisoformat(start.strip()), time.fromisoformat(end.strip()))

    def holds(self, at: datetime) -> bool:
        if self.start is None or self.end is None:
            return False
        local = _aware(at).astimezone(CHINA).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def ends_after(self, at: datetime) -> datetime:
        """The end of the quiet hours holding at ``at`` (naive UTC)."""
        assert self.end is not None
        local = _aware(at).astimezone(CHINA)
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if end <= local:
            end += timedelta(days=1)
        moment = utc(end)
        assert moment is not None
        return moment


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def default_worker() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class Dispatcher:
    """Sends the outbox's due deliveries through ``adapters`` (by channel)."""

    def __init__(
        self,
        store: Store,
        adapters: Mapping[str, Adapter],
        render: Render,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        worker: str | None = None,
        batch_size: int = 20,
        lease: timedelta = timedelta(minutes=2),
        retry: RetryPolicy | None = None,
        quiet: QuietHours | None = None,
    ) -> None:
        self.store = store
        self.adapters = dict(adapters)
        self.render = render
        self.now = now
        self.worker = worker or default_worker()
        self.batch_size = batch_size
        self.lease = lease
        self.retry = retry or RetryPolicy()
        self.quiet = quiet or QuietHours()

    def _now(self) -> datetime:
        moment = utc(self.now())
        assert moment is not None
        return moment

    def claim(self) -> list[Any]:
        """Take a batch of due deliveries (with their messages) for this worker."""
        d, m = outbox.deliveries, outbox.messages
        at = self._now()
        due = or_(
            and_(d.c.status == "pending", d.c.next_attempt_at <= at),
            and_(d.c.status == "sending", or_(d.c.lease_until < at, d.c.worker == self.worker)),
        )
        chosen = (
            select(d.c.delivery_id)
            .where(due)
            .order_by(d.c.next_attempt_at, d.c.delivery_id)
            .limit(self.batch_size)
        )
        with self.store.write() as conn:
            if conn.dialect.name == "postgresql":
                chosen = chosen.with_for_update(skip_locked=True)
            claimed = (
                conn.execute(
                    d.update()
                    .where(d.c.delivery_id.in_(chosen.scalar_subquery()))
                    .values(status="sending", worker=self.worker, lease_until=at + self.lease)
                    .returning(d.c.delivery_id)
                )
                .scalars()
                .all()
            )
            if not claimed:
                return []
            told = [c for c in m.c if c.name not in d.c]
            rows = conn.execute(
                select(d, *told, m.c.created_at.label("told_at"))
                .join(m, m.c.message_id == d.c.message_id)
                .where(d.c.delivery_id.in_(claimed))
                .order_by(d.c.next_attempt_at, d.c.delivery_id)
            ).all()
        return list(rows)

    def run_once(self) -> int:
        """Claim one batch and settle each of its deliveries; how many it handled."""
        rows = self.claim()
        for row in rows:
            self.deliver(row)
        return len(rows)

    def deliver(self, row: Any) -> str:
        """Send one claimed delivery and record the outcome; returns its new status."""
        at = self._now()
        if row.expires_at is not None and at >= row.expires_at:
            return self._settle(row, at, "expired", row.attempts, "its moment passed unsent")
        if row.channel in self.quiet.channels and row.priority != "urgent" and self.quiet.holds(at):
            later = self.quiet.ends_after(at)
            return self._settle(row, at, "pending", row.attempts, "quiet hours", next_at=later)
        adapter = self.adapters.get(row.channel)
        if adapter is None:
            return self._settle(row, at, "skipped", row.attempts, f"no {row.channel} adapter")
        attempt = row.attempts + 1
        try:
            adapter.send(self.outgoing(row))
        except Undeliverable as error:
            return self._settle(row, at, "skipped", attempt, str(error))
        except PermanentFailure as error:
            return self._settle(row, at, "failed", attempt, str(error))
        except Exception as error:  # temporary: the network, the gateway, anything else
            pause = self.retry.after(attempt)
            detail = f"{type(error).__name__}: {error}"
            if pause is None:
                return self._settle(row, at, "failed", attempt, detail)
            return self._settle(row, at, "pending", attempt, detail, next_at=at + pause)
        return self._settle(row, at, "sent", attempt, "")

    def outgoing(self, row: Any) -> Outgoing:
        title_zh, body_zh, title_en, body_en = self.render(row.kind, json.loads(row.params))
        return Outgoing(
            delivery_id=row.delivery_id,
            key=f"{row.message_id}/{row.channel}/{row.recipient}",
            channel=row.channel,
            recipient=row.recipient,
            message_id=row.message_id,
            kind=row.kind,
            priority=row.priority,
            subject_id=row.subject_id,
            unit=row.unit,
            to={
                "person": row.to_person,
                "unit": row.to_unit,
                "role": row.to_role,
                "audience": row.to_audience,
            },
            created_at=row.told_at,
            title_zh=title_zh,
            body_zh=body_zh,
            title_en=title_en,
            body_en=body_en,
        )

    def _settle(
        self,
        row: Any,
        at: datetime,
        status: str,
        attempts: int,
        detail: str,
        *,
        next_at: datetime | None = None,
    ) -> str:
        d = outbox.deliveries
        outcome = {"pending": "deferred" if attempts == row.attempts else "retry"}.get(
            status, status
        )
        values: dict[str, Any] = {
            "status": status,
            "attempts": attempts,
            "lease_until": None,
            "last_error": detail[:500] or None,
        }
        if next_at is not None:
            values["next_attempt_at"] = next_at
        if status == "sent":
            values["sent_at"] = at
        with self.store.write() as conn:
            moved = conn.execute(
                d.update()
                .where(
                    d.c.delivery_id == row.delivery_id,
                    d.c.status == "sending",
                    d.c.worker == self.worker,
                )
                .values(values)
            ).rowcount
            conn.execute(
                outbox.attempts.insert(),
                {
                    "delivery_id": row.delivery_id,
                    "attempt": attempts,
                    "at": at,
                    "outcome": outcome,
                    "detail": detail[:500],
                    "worker": self.worker,
                },
            )
        if not moved:
            log.warning(
                "delivery %s was taken over before %s settled it", row.delivery_id, self.worker
            )
        elif status in ("failed", "skipped"):
            log.warning("delivery %s %s: %s", row.delivery_id, status, detail)
        return status
