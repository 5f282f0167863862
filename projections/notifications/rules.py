"""What the loop's events and clocks tell whom: the alert rules, as data.

Lishu's fifth regulation is chasing: "警情落办制度，提格上交派出所或县局处置的警情，由社区
民警负责跟踪，及时索要落办结果". The clock's rules chase every open incident on the
due time its last step recorded (every step event carries its owner and due
time, so no loop code is needed here): the owner is told before and at the
due time, and the unit above once the incident has been open twice its
allowed time; an urgent report's "1、3、5"-minute response circle tells each
ring at its minute mark. Events tell the people they concern: a volunteer is
told when his report is accepted, scored and rewarded ("已兑现30积分").

A new alert is one line: an event in :data:`EVENT_ALERTS` (who is told, with
which ids and codes); its words are one line of ``loop.rules.alerts``. Duty
tasks' alerts follow :class:`TaskRules`: their events do not all name the
task's time, so the read model keeps each open task and its bookings and plans
the reminders from them, as it plans an incident's marks from its current wait.
Parameters hold ids, codes, numbers and times only: never a name, a phone
number or text anyone typed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from projections.base import unit_level

SMS = "sms"
WEBHOOK = "webhook"
CHANNELS = (SMS, WEBHOOK)
"""Channels beyond the inbox, which every message reaches."""

URGENT = "urgent"
TIERS = ("community", "station", "county")
"""From the bottom up: a community's path has three parts, a county's one."""
TIER_ROLES = {
    "community": "community_officer",
    "station": "station_officer",
    "county": "county_officer",
}
"""Who answers for a unit when it is told as the unit above or a ring of the circle."""


class Address(NamedTuple):
    """To whom: a person, a unit's role, or a notice's audience."""

    person: str | None = None
    unit: str | None = None
    role: str | None = None
    audience: str | None = None


Row = Mapping[str, Any]
Recipient = Callable[[Any, Row | None], Address | None]
Params = Callable[[Any, Row | None], dict[str, Any]]


@dataclass(frozen=True)
class EventAlert:
    """An event that tells someone: ``to`` picks the recipient from the event and
    the incident's row (None for other events), ``params`` what the words need."""

    kind: str
    to: Recipient
    params: Params
    channels: tuple[str, ...] = ()
    when: Callable[[Any], bool] = lambda _event: True
    priority: str = "normal"
    ttl: timedelta = timedelta(days=1)


# -- recipients and parameters ----------------------------------------------------


def reporter(_event: Any, incident: Row | None) -> Address | None:
    """The volunteer who reported the incident."""
    return None if incident is None else Address(person=incident["reporter_id"])


def new_owner(event: Any, _incident: Row | None) -> Address | None:
    """The unit and role that own the incident after the event."""
    return Address(unit=event.owner_unit, role=event.owner_role) if event.owner_unit else None


def person(name: str) -> Recipient:
    """The person whose id the event's field ``name`` holds."""
    return lambda event, _row: Address(person=getattr(event, name))


def primitive(value: Any) -> Any:
    """An event's field as JSON: a moment as naive UTC ISO text, as stored."""
    if isinstance(value, datetime):
        return (
            value.astimezone(UTC).replace(tzinfo=None).isoformat()
            if value.tzinfo
            else value.isoformat()
        )
    return value


def incident(*names: str) -> Params:
    """The incident's id, module and stage, and the event's fields ``names``."""

    def params(event: Any, row: Row | None) -> dict[str, Any]:
        found = {
            "incident_id": str(event.originator_id),
            "module": row["module"] if row else None,
            "stage": getattr(event, "stage", None),
        }
        return found | {name: primitive(getattr(event, name)) for name in names}

    return params


def fields(*names: str) -> Params:
    return lambda event, _row: {name: primitive(getattr(event, name)) for name in names}


def _scored(event: Any, row: Row | None) -> dict[str, Any]:
    return incident()(event, row) | {"points": row["points"] if row else None}


def _takes_effect(event: Any) -> bool:
    return bool(event.stage == "scored")


Alert = EventAlert
_handed_on = incident("to_tier", "due_at")

EVENT_ALERTS: dict[str, EventAlert] = {
    "Incident.AcceptedForHandling": Alert("report_accepted", reporter, incident("tier"), (SMS,)),
    "Incident.ScoreSigned": Alert("report_scored", reporter, _scored, when=_takes_effect),
    "Incident.Rewarded": Alert("report_rewarded", reporter, incident("points", "credited"), (SMS,)),
    "Incident.Escalated": Alert("escalated_to_you", new_owner, _handed_on, (WEBHOOK,)),
    "Incident.Returned": Alert("returned_to_you", new_owner, _handed_on),
}
"""Event name -> the alert it raises."""


# -- the clock's rules for incidents --------------------------------------------------


@dataclass(frozen=True)
class ClockRules:
    """When an open incident's owner and the units above are told.

    Defaults: the owner a quarter of the allowed time before the due time (at
    most a day before) and at the due time; the unit above once, at twice the
    allowed time; an urgent response wait (due within five minutes) tells the
    community office at one minute, the station at three and the county bureau
    at five ("1、3、5"分钟处置"反应圈"), each ring only at or above the owner."""

    due_soon_share: float = 0.25
    due_soon_at_most: timedelta = timedelta(days=1)
    overdue_factor: int = 2
    urgent_within: timedelta = timedelta(minutes=5)
    urgent_marks: tuple[tuple[timedelta, str], ...] = field(
        default=(
            (timedelta(minutes=1), "community"),
            (timedelta(minutes=3), "station"),
            (timedelta(minutes=5), "county"),
        )
    )
    ttl: timedelta = timedelta(days=1)


class Mark(NamedTuple):
    """A time at which someone is told, unless a step moved the incident on first."""

    kind: str
    at: datetime
    to: Address
    priority: str
    channels: tuple[str, ...]
    expires_at: datetime | None


def _above(unit: str) -> str:
    return unit.rpartition("/")[0] or unit


def incident_marks(row: Row, rules: ClockRules) -> list[Mark]:
    """The marks of an incident's current wait (``started_at`` .. ``due_at``, naive
    UTC), from its row."""
    started, due, unit = row["started_at"], row["due_at"], row["owner_unit"]
    if due is None or unit is None:
        return []
    allowed = due - started
    owner = (
        Address(person=row["reporter_id"])
        if row["owner_role"] == "volunteer"
        else Address(unit=unit, role=row["owner_role"])
    )
    if row["urgency"] == URGENT and allowed <= rules.urgent_within:
        level = unit_level(unit) or "community"
        marks = []
        for offset, tier in rules.urgent_marks:
            if TIERS.index(tier) < TIERS.index(level):
                continue
            ring = "/".join(unit.split("/")[: len(TIERS) - TIERS.index(tier)])
            to = owner if ring == unit else Address(unit=ring, role=TIER_ROLES[tier])
            minutes = int(offset.total_seconds() // 60)
            marks.append(Mark(f"urgent_{minutes}", started + offset, to, URGENT, (WEBHOOK,), None))
        return marks
    lead = min(allowed * rules.due_soon_share, rules.due_soon_at_most)
    overdue_at = started + allowed * rules.overdue_factor
    above = _above(unit)
    role = TIER_ROLES.get(unit_level(above) or "", row["owner_role"])
    return [
        Mark("due_soon", due - lead, owner, "normal", (), due),
        Mark("due", due, owner, "normal", (WEBHOOK,), due + rules.ttl),
        Mark("overdue", overdue_at, Address(unit=above, role=role), "important", (WEBHOOK,), None),
    ]


# -- duty tasks --------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskRules:
    """Who is told what about a duty task, and when.

    Fuping: "'蓝马甲'治安志愿者根据自身时间和所处地点选择参加任务". A volunteer booked on a
    task (signed up, or promoted off its waitlist) is told at once when he is
    promoted, when a new time or place asks him to reconfirm and when the task is
    cancelled, and is reminded ``remind_before`` its start: never for a moment
    already past when he was booked or the time was moved, each reminder no later
    than the next one's moment (the start, for the last). The unit that published
    it is told once if it is under-filled (fewer booked than its minimum)
    ``at_risk_within`` of its start, the calendar's "at risk" (its default is
    ``loop.rules.tasks.TaskPolicy.at_risk_within``'s)."""

    remind_before: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=2))
    at_risk_within: timedelta = timedelta(hours=48)
    channels: tuple[str, ...] = (SMS,)
    """A volunteer's task messages go as text messages too (the publisher's: the inbox)."""
    told_within: timedelta = timedelta(days=1)
    """A promotion, change or cancellation is texted within a day of it and before the
    task starts, or not at all (a read model built anew over an old log texts no one)."""


class Reminder(NamedTuple):
    before: timedelta
    at: datetime
    until: datetime
    """Told no later than this: a clock stopped past it tells the next one instead."""


def task_reminders(starts_at: datetime, since: datetime, rules: TaskRules) -> list[Reminder]:
    """The reminders of a booking on a task starting at ``starts_at``, booked (or the
    task's time moved) at ``since``: those whose moment is still ahead then."""
    offsets = sorted(set(rules.remind_before), reverse=True)
    moments = [starts_at - before for before in offsets] + [starts_at]
    return [
        Reminder(before, moments[n], moments[n + 1])
        for n, before in enumerate(offsets)
        if moments[n] > since
    ]


def task_at_risk_at(task: Row, rules: TaskRules) -> datetime | None:
    """When the publisher of an open, under-filled task is told so: ``at_risk_within``
    before its start, or at once when a volunteer's withdrawal left it short inside
    that window (``short_since``); None while it has its minimum, or when it was
    published or revised inside the window and nobody withdrew since (its
    publisher knows)."""
    if task["booked"] >= task["minimum"]:
        return None
    at = task["starts_at"] - rules.at_risk_within
    if task["short_since"] is not None:
        at = max(at, task["short_since"])
    return at if task["planned_at"] < at < task["starts_at"] else None


def task_params(task: Row) -> dict[str, Any]:
    """What a task's message says of it: its id, kind, community and time (not its
    topic or place, which staff typed: the task's page shows them)."""
    return {
        "task_id": task["task_id"],
        "task_kind": task["kind"],
        "community": task["community"],
        "starts_at": primitive(task["starts_at"]),
        "ends_at": primitive(task["ends_at"]),
    }
