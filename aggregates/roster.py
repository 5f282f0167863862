"""The Roster aggregate: the duty tasks one volunteer is booked on, by time.

A booking is saved in the same transaction as the task's own record of it, so
two bookings of one volunteer can never overlap, even when they are made at the
same moment in two processes: both change his roster, and the store takes only
the first (the second conflicts on the roster's version and is tried again).

The roster also keeps the daily hours cap: the booked minutes falling on one
local day (the service passes the zone) never exceed the cap it is given.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from aggregates.actor import Actor
from aggregates.errors import DomainError


class BookingOverlaps(DomainError):
    """The volunteer is booked on another task at that time."""

    code = "booking_overlaps"


class DailyHoursExceeded(DomainError):
    """The booking would take the volunteer's duty on one day beyond the cap."""

    code = "daily_hours_exceeded"


def roster_id(volunteer_id: str) -> UUID:
    """One roster per volunteer; its id follows from the volunteer's."""
    return uuid5(NAMESPACE_URL, f"lishu:roster:{volunteer_id}")


def overlap_minutes(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> int:
    """Whole minutes two spans of time share (0 if none)."""
    start, end = max(a[0], b[0]), min(a[1], b[1])
    return max(0, int((end - start).total_seconds() // 60))


def _days(starts_at: datetime, ends_at: datetime, zone: tzinfo) -> list[tuple[datetime, datetime]]:
    """The local days (midnight to midnight in ``zone``) a span touches."""
    first = starts_at.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    days = []
    day = first
    while day < ends_at:
        following = (day + timedelta(days=1, hours=2)).replace(hour=0)
        days.append((day, following))
        day = following
    return days


class Roster(Aggregate):
    """One volunteer's bookings on duty tasks."""

    class Event(Aggregate.Event):
        actor: Actor

    class Opened(Event, Aggregate.Created):
        volunteer_id: str

    class Booked(Event):
        task_id: str
        starts_at: datetime
        ends_at: datetime

        def apply(self, aggregate: Any) -> None:
            aggregate.bookings[self.task_id] = {
                "starts_at": self.starts_at,
                "ends_at": self.ends_at,
            }

    class Moved(Event):
        """The task's time was revised; the booking follows it."""

        task_id: str
        starts_at: datetime
        ends_at: datetime

        def apply(self, aggregate: Any) -> None:
            aggregate.bookings[self.task_id] = {
                "starts_at": self.starts_at,
                "ends_at": self.ends_at,
            }

    class Released(Event):
        task_id: str
        reason: str  # withdrew | cancelled

        def apply(self, aggregate: Any) -> None:
            aggregate.bookings.pop(self.task_id, None)

    def __init__(
        self,
        actor: Actor,  # noqa: ARG002 (every Created field is passed; the event keeps it)
        volunteer_id: str,
    ) -> None:
        self.volunteer_id = volunteer_id
        self.bookings: dict[str, dict[str, datetime]] = {}

    @classmethod
    def open(cls, actor: Actor, at: datetime, *, volunteer_id: str) -> Roster:
        return cls._create(
            cls.Opened,
            id=roster_id(volunteer_id),
            timestamp=at,
            actor=actor,
            volunteer_id=volunteer_id,
        )

    def check_free(
        self,
        task_id: str,
        starts_at: datetime,
        ends_at: datetime,
        *,
        daily_cap_minutes: int,
        zone: tzinfo,
    ) -> None:
        """Refuse a span that overlaps another booking or takes a day beyond the cap
        (the task's own booking, if held, is not counted)."""
        others = {k: v for k, v in self.bookings.items() if k != task_id}
        span = (starts_at, ends_at)
        for other, booked in sorted(others.items(), key=lambda kv: kv[1]["starts_at"]):
            held = (booked["starts_at"], booked["ends_at"])
            if held[0] < span[1] and span[0] < held[1]:
                raise BookingOverlaps(
                    "与已报名的另一任务时间冲突"
                    f"（{held[0].astimezone(zone):%m-%d %H:%M}至{held[1].astimezone(zone):%H:%M}）",
                    "The volunteer is booked on another task at that time",
                    task_id=other,
                    starts_at=held[0].isoformat(),
                    ends_at=held[1].isoformat(),
                )
        for day in _days(starts_at, ends_at, zone):
            minutes = overlap_minutes(span, day) + sum(
                overlap_minutes((b["starts_at"], b["ends_at"]), day) for b in others.values()
            )
            if minutes > daily_cap_minutes:
                raise DailyHoursExceeded(
                    f"{day[0]:%Y-%m-%d}报名任务累计{minutes / 60:g}小时，"
                    f"超过每日{daily_cap_minutes / 60:g}小时上限",
                    f"{minutes / 60:g} hours booked on {day[0]:%Y-%m-%d}, beyond the daily cap "
                    f"of {daily_cap_minutes / 60:g}",
                    day=f"{day[0]:%Y-%m-%d}",
                    minutes=minutes,
                    cap_minutes=daily_cap_minutes,
                )

    def book(
        self,
        actor: Actor,
        at: datetime,
        *,
        task_id: str,
        starts_at: datetime,
        ends_at: datetime,
        daily_cap_minutes: int,
        zone: tzinfo,
    ) -> None:
        self.check_free(task_id, starts_at, ends_at, daily_cap_minutes=daily_cap_minutes, zone=zone)
        event = self.Moved if task_id in self.bookings else self.Booked
        self.trigger_event(
            event, actor=actor, timestamp=at, task_id=task_id, starts_at=starts_at, ends_at=ends_at
        )

    def release(self, actor: Actor, at: datetime, *, task_id: str, reason: str) -> None:
        if task_id in self.bookings:
            self.trigger_event(
                self.Released, actor=actor, timestamp=at, task_id=task_id, reason=reason
            )
