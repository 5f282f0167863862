"""Stand-ins for the Happiness Bank aggregates, with the event names and fields
the scores projection reads (``PointsAccount.*``, ``Volunteer.*``), so the
projection is tested with events in the same log as the incidents."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from eventsourcing.domain import Aggregate

from aggregates.actor import Actor


class PointsAccount(Aggregate):
    class Event(Aggregate.Event):
        actor: Actor

    class Opened(Event, Aggregate.Created):
        volunteer_id: str
        community: str

    class Deposited(Event):
        amount: int
        period: str
        incident_id: str
        requested: int
        basis: dict[str, Any]

    class Redeemed(Event):
        amount: int
        period: str
        item_id: str
        item_name: str
        quantity: int

    class Deducted(Event):
        amount: int
        period: str
        reason: str
        kind: str
        shortfall: int

    class Reversed(Event):
        amount: int
        period: str
        incident_id: str
        reason: str
        shortfall: int

    class MonthEvaluated(Event):
        period: str
        passed: bool
        note: str

    def __init__(self, actor: Actor, volunteer_id: str, community: str) -> None:  # noqa: ARG002
        self.volunteer_id = volunteer_id
        self.community = community

    @classmethod
    def open(cls, actor: Actor, at: datetime, volunteer_id: str, community: str) -> PointsAccount:
        return cls._create(
            cls.Opened,
            id=uuid5(NAMESPACE_URL, f"lishu:account:{volunteer_id}"),
            timestamp=at,
            actor=actor,
            volunteer_id=volunteer_id,
            community=community,
        )

    def record(self, event_class: type[Event], actor: Actor, at: datetime, **facts: Any) -> None:
        self.trigger_event(event_class, actor=actor, timestamp=at, **facts)


class Volunteer(Aggregate):
    class Event(Aggregate.Event):
        actor: Actor

    class Applied(Event, Aggregate.Created):
        volunteer_id: str
        personal: dict[str, str]
        employer: str
        occupation: str
        community: str

    class Admitted(Event):
        archive_no: str
        letter_no: str
        armband_no: str
        squad: str

    class StatusChanged(Event):
        status: str
        reason: str

    def __init__(self, volunteer_id: str, **_facts: Any) -> None:
        self.volunteer_id = volunteer_id

    @classmethod
    def apply_to_join(
        cls, actor: Actor, at: datetime, volunteer_id: str, community: str, occupation: str
    ) -> Volunteer:
        return cls._create(
            cls.Applied,
            id=uuid5(NAMESPACE_URL, f"lishu:volunteer:{volunteer_id}"),
            timestamp=at,
            actor=actor,
            volunteer_id=volunteer_id,
            personal={"name": volunteer_id},
            employer="",
            occupation=occupation,
            community=community,
        )

    def record(self, event_class: type[Event], actor: Actor, at: datetime, **facts: Any) -> None:
        self.trigger_event(event_class, actor=actor, timestamp=at, **facts)
