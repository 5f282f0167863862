"""The oracle's fold of talk orders (群众点单), and the reads it expects.

Deliberately naive and independent of ``projections/``, as the rest of the
oracle: it reads the notification log from the start, keeps every order as the
events tell it (the unit holding it, its status, days, task, confirmation,
reschedules, delivery, rating and follow-up), each unit's menu, and adds up the
talks given, the 人次 reached and the questions answered by theme, and the topics
picked on site, for every unit above the community where each was given. The
order of the steps is restated here: where an event comes at a step the rules
do not allow (accepting an order that is not waiting, delivering one not
scheduled...), the fold notes it in ``broken``; so too a registered police or
outside speaker booked on two talks at once, or after he retired.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

CHINA = timezone(timedelta(hours=8))
FROM = {  # the statuses a step may come from
    "Accepted": ("ordered",),
    "Declined": ("ordered",),
    "Forwarded": ("ordered",),
    "Scheduled": ("accepted",),
    "Confirmed": ("scheduled",),
    "Rescheduled": ("ordered", "accepted", "scheduled"),
    "Cancelled": ("ordered", "accepted", "scheduled"),
    "Delivered": ("scheduled",),
    "Rated": ("delivered",),
}


@dataclass
class Order:
    order_id: str
    unit: str
    community: str
    theme: str
    status: str = "ordered"
    window: tuple[str, str] = ("", "")
    task_id: str | None = None
    starts_at: datetime | None = None
    confirmed: bool = False
    reschedules: int = 0
    reach: int | None = None
    questions: int | None = None
    rating: int | None = None
    follow_up: str | None = None
    answer_by: datetime | None = None


@dataclass
class Speaker:
    """A registered police or outside speaker: his bookings (order -> times) and
    the talks he gave."""

    ref: str
    kind: str
    unit: str
    organisation: str
    vice_principal_of: str | None
    active: bool = True
    bookings: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)
    booked: int = 0
    given: int = 0


@dataclass
class TalkFold:
    orders: dict[str, Order] = field(default_factory=dict)
    menus: dict[str, dict[str, str]] = field(default_factory=dict)  # unit -> item -> theme
    menu_units: dict[str, str] = field(default_factory=dict)  # menu id -> unit
    given: list[tuple[str, str, int, int]] = field(default_factory=list)  # community, theme...
    topics: list[tuple[str, str, int]] = field(default_factory=list)  # community, topic, count
    speakers: dict[str, Speaker] = field(default_factory=dict)  # registered, by id
    broken: list[str] = field(default_factory=list)

    def read(self, recorder: Any, mapper: Any) -> None:
        for notification in recorder.select_notifications(start=1, limit=1_000_000):
            name = notification.topic.rpartition(":")[2]
            if name.startswith(("TalkOrder.", "TalkMenu.", "TalkSpeaker.")):
                self.apply(name, mapper.to_domain_event(notification))

    def apply(self, name: str, event: Any) -> None:
        kind, _, step = name.partition(".")
        key = str(event.originator_id)
        if kind == "TalkSpeaker":
            self._speaker(key, step, event)
            return
        if kind == "TalkMenu":
            if step == "Opened":
                self.menu_units[key] = event.unit
                self.menus.setdefault(event.unit, {})
            elif step == "ItemOffered":
                self.menus[self.menu_units[key]][event.item_id] = event.theme
            elif step == "ItemWithdrawn":
                self.menus[self.menu_units[key]].pop(event.item_id)
            return
        if step == "Placed":
            self.orders[key] = Order(
                key, event.unit, event.community, event.theme,
                window=(event.window_from, event.window_to), answer_by=event.answer_by,
            )  # fmt: skip
            return
        if step in ("LinkIssued", "FollowedUp"):
            if step == "FollowedUp":
                self.orders[key].follow_up = "done"
            return
        order = self.orders[key]
        if step in FROM and order.status not in FROM[step]:
            self.broken.append(f"{step} of order {key[:8]} at {order.status}")
        self._step(order, step, event)

    def _step(self, order: Order, step: str, event: Any) -> None:
        if step in ("Accepted", "Declined", "Cancelled"):
            order.status = {"Accepted": "accepted", "Declined": "declined"}.get(step, "cancelled")
        elif step == "Forwarded":
            order.unit, order.answer_by = event.to_unit, event.answer_by
        elif step == "Scheduled":
            order.status, order.task_id, order.starts_at = (
                "scheduled",
                event.task_id,
                event.starts_at,
            )
            order.confirmed = False
        elif step == "Confirmed":
            order.confirmed = True
        elif step == "Rescheduled":
            order.window, order.reschedules = (
                (event.window_from, event.window_to),
                order.reschedules + 1,
            )
            order.confirmed = False
            if order.status == "scheduled":
                order.status, order.task_id, order.starts_at = "accepted", None, None
        elif step == "Delivered":
            order.status, order.reach, order.questions = "delivered", event.reach, event.questions
            self.given.append((order.community, order.theme, event.reach, event.questions))
            self.topics += [(order.community, t, n) for t, n in event.topics_on_site.items()]
        elif step == "Rated":
            order.rating = event.stars
            order.follow_up = "open" if event.stars <= 2 else None

    def _speaker(self, key: str, step: str, event: Any) -> None:
        if step == "Registered":
            self.speakers[key] = Speaker(
                event.ref, event.kind, event.unit, event.organisation, event.vice_principal_of
            )
            return
        speaker = self.speakers[key]
        if step == "Retired":
            speaker.active = False
        elif step == "Booked":  # never two talks at once, never once retired
            span = (event.starts_at, event.ends_at)
            clash = [o for o, (a, b) in speaker.bookings.items() if a < span[1] and span[0] < b]
            if clash or not speaker.active:
                self.broken.append(f"{speaker.ref} booked over {clash} (active {speaker.active})")
            speaker.bookings[event.order_id] = span
            speaker.booked += 1
        elif step == "Released":
            speaker.bookings.pop(event.order_id)
            speaker.booked -= 1
        elif step == "Spoke":
            if event.order_id not in speaker.bookings:
                self.broken.append(f"{speaker.ref} spoke at a talk he was not booked on")
            speaker.given += 1

    # -- the reads it expects ----------------------------------------------------------------

    def speakers_of(self, unit: str) -> dict[str, dict[str, Any]]:
        """What the speakers list of ``unit`` shows of each registered speaker."""
        return {
            s.ref: {
                "kind": s.kind, "unit": s.unit, "organisation": s.organisation,
                "vice_principal_of": s.vice_principal_of, "active": s.active,
                "booked": s.booked, "talks_given": s.given,
            }
            for s in self.speakers.values()
            if s.unit == unit or s.unit.startswith(unit + "/")
        }  # fmt: skip

    def orders_of(self, unit: str, now: datetime) -> dict[str, dict[str, Any]]:
        """What the orders list of ``unit`` (a station or county) shows of each order."""
        return {
            o.order_id: {
                "status": o.status, "window": list(o.window), "task_id": o.task_id,
                "starts_at": _iso(o.starts_at), "confirmed": o.confirmed,
                "reschedules": o.reschedules, "reach": o.reach, "questions": o.questions,
                "rating": o.rating, "follow_up": o.follow_up,
                "overdue": o.status == "ordered" and o.answer_by is not None and o.answer_by < now,
            }
            for o in self.orders.values()
            if o.unit == unit or o.unit.startswith(unit + "/")
        }  # fmt: skip

    def reach_of(self, unit: str) -> dict[str, tuple[int, int, int]]:
        talks: Counter[str] = Counter()
        people: Counter[str] = Counter()
        asked: Counter[str] = Counter()
        for community, theme, reach, questions in self.given:
            if community.startswith(unit + "/") or community == unit:
                talks[theme] += 1
                people[theme] += reach
                asked[theme] += questions
        return {t: (talks[t], people[t], asked[t]) for t in talks}

    def topics_of(self, unit: str) -> dict[str, int]:
        counted: Counter[str] = Counter()
        for community, topic, count in self.topics:
            if community.startswith(unit + "/") or community == unit:
                counted[topic] += count
        return dict(counted)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()
