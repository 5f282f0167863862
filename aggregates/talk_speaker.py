"""The TalkSpeaker aggregate: a member of the 宣讲队 who is not a volunteer, as the
station registered him, with the talks he is booked on.

Ping'an: "遴选……民辅警、村警、义警、行业从业人员、志愿者33名，组成'枫'警宣讲队，同时
选聘7名宣讲队成员兼任学校法治副校长". Volunteers speak through their own roster and
earn hours and points; police officers (a staff account: ``staff:<username>``) and
outside speakers (a teacher, a lawyer: ``outside:<id>``, the name kept encrypted)
are registered here, may be marked 法治副校长 of a school, and keep their own
bookings: a booking is saved with the order it is for, so two talks at once can
never both book one speaker (the second save conflicts on his version and is tried
again on what is stored, then refused). A delivered talk records that he spoke;
no hours, no points.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from aggregates.actor import Actor
from aggregates.personal import PersonalData
from aggregates.roster import BookingOverlaps
from aggregates.talk_errors import SpeakerRetired

KINDS = {"staff": "民警", "outside": "行业从业人员、志愿者等"}


def speaker_id(ref: str) -> UUID:
    """One registration per speaker; its id follows from his reference."""
    return uuid5(NAMESPACE_URL, f"lishu:talk-speaker:{ref}")


class TalkSpeaker(Aggregate):
    """A registered speaker who is staff or from outside, and his bookings."""

    class Event(Aggregate.Event):
        actor: Actor

    class Registered(Event, Aggregate.Created):
        ref: str  # staff:<username> | outside:<id>
        kind: str  # staff | outside
        unit: str  # the station (or county bureau) that registered him
        organisation: str  # e.g. the school or law firm; the station for staff
        person: PersonalData | None  # an outside speaker's name (and phone): encrypted
        vice_principal_of: str | None  # the school he serves as 法治副校长

    class Retired(Event):
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.active = False

    class Booked(Event):
        order_id: str
        starts_at: datetime
        ends_at: datetime

        def apply(self, aggregate: Any) -> None:
            aggregate.bookings[self.order_id] = {
                "starts_at": self.starts_at,
                "ends_at": self.ends_at,
            }

    class Released(Event):
        order_id: str
        reason: str  # rescheduled | cancelled

        def apply(self, aggregate: Any) -> None:
            aggregate.bookings.pop(self.order_id, None)

    class Spoke(Event):
        """He gave the talk (recorded with its delivery): no hours, no points."""

        order_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.spoke.append(self.order_id)

    def __init__(  # every Registered field is passed; the event keeps the actor
        self,
        actor: Actor,  # noqa: ARG002
        ref: str,
        kind: str,
        unit: str,
        organisation: str,
        person: PersonalData | None,
        vice_principal_of: str | None,
    ) -> None:
        self.ref = ref
        self.kind = kind
        self.unit = unit
        self.organisation = organisation
        self.person = person
        self.vice_principal_of = vice_principal_of
        self.active = True
        self.bookings: dict[str, dict[str, datetime]] = {}
        self.spoke: list[str] = []

    @classmethod
    def register(cls, actor: Actor, at: datetime, **details: Any) -> TalkSpeaker:
        """``details``: every field of :class:`TalkSpeaker.Registered`, checked by the service."""
        return cls._create(
            cls.Registered, id=speaker_id(details["ref"]), timestamp=at, actor=actor, **details
        )

    def check_active(self) -> None:
        if not self.active:
            raise SpeakerRetired(
                "该宣讲人已退出宣讲队", "The speaker has retired", speaker=self.ref
            )

    def retire(self, actor: Actor, at: datetime, *, reason: str) -> None:
        self.check_active()
        self.trigger_event(self.Retired, actor=actor, timestamp=at, reason=reason)

    def book(
        self, actor: Actor, at: datetime, *, order_id: str, starts_at: datetime, ends_at: datetime
    ) -> None:
        """Book him on a talk; refused if he is booked on another at that time."""
        self.check_active()
        for other, held in sorted(self.bookings.items(), key=lambda kv: kv[1]["starts_at"]):
            if other != order_id and held["starts_at"] < ends_at and starts_at < held["ends_at"]:
                raise BookingOverlaps(
                    "该宣讲人在此时间已有另一场宣讲",
                    "The speaker is booked on another talk at that time",
                    speaker=self.ref,
                    order_id=other,
                    starts_at=held["starts_at"].isoformat(),
                    ends_at=held["ends_at"].isoformat(),
                )
        self.trigger_event(
            self.Booked,
            actor=actor,
            timestamp=at,
            order_id=order_id,
            starts_at=starts_at,
            ends_at=ends_at,
        )

    def release(self, actor: Actor, at: datetime, *, order_id: str, reason: str) -> None:
        if order_id in self.bookings:
            self.trigger_event(
                self.Released, actor=actor, timestamp=at, order_id=order_id, reason=reason
            )

    def record_spoken(self, actor: Actor, at: datetime, *, order_id: str) -> None:
        self.trigger_event(self.Spoke, actor=actor, timestamp=at, order_id=order_id)
