"""The DutyGate aggregate: whether a county requires duty certification.

Fuping: "考试合格后方可上岗". When a county switches the gate on, the volunteers
serving then are certified as legacy in the same save (so nobody is locked out
overnight); from then on a newly admitted volunteer waits for training (待岗培训)
until he is certified. The gate stays on: a switch is a fact, not a setting.
"""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from aggregates.actor import Actor


def duty_gate_id(county: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"lishu:duty-gate:{county}")


class DutyGate(Aggregate):
    """One county's switch of the duty gate."""

    class Event(Aggregate.Event):
        actor: Actor

    class SwitchedOn(Event, Aggregate.Created):
        county: str
        legacy: list[str]  # the serving volunteers certified as legacy in the same save

    def __init__(self, actor: Actor, county: str, legacy: list[str]) -> None:  # noqa: ARG002
        self.county = county
        self.legacy = legacy

    @classmethod
    def switch_on(cls, actor: Actor, at: datetime, *, county: str, legacy: list[str]) -> DutyGate:
        return cls._create(
            cls.SwitchedOn,
            id=duty_gate_id(county),
            timestamp=at,
            actor=actor,
            county=county,
            legacy=legacy,
        )
