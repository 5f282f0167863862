"""Personal data held in aggregates, and the fact that a person was forgotten.

A :class:`PersonalData` value names the person it belongs to (``subject_id``, a
pseudonymous id such as a volunteer id or a minted ``person-...`` id) and holds
that person's fields (name, phone, ID number, address...). How it is stored is
not decided here: ``loop/`` encrypts it per subject on the way to the event
store, so forgetting a person (destroying the subject's key) leaves the value
readable only as :meth:`PersonalData.erased_of` (every field shown as 已删除).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from aggregates.actor import Actor

ERASED_ZH = "已删除"
ERASED_EN = "erased"


@dataclass(frozen=True, repr=False)
class PersonalData:
    """One person's fields; ``erased`` once the person's key was destroyed."""

    subject_id: str
    fields: Mapping[str, str] = field(default_factory=dict)
    erased: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.subject_id, str) or not self.subject_id:
            raise ValueError("personal data needs a subject id")
        copied = dict(self.fields)
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in copied.items()):
            raise ValueError("personal data fields are strings")
        if self.erased:
            copied = dict.fromkeys(copied, ERASED_ZH)
        object.__setattr__(self, "fields", copied)

    @classmethod
    def erased_of(cls, subject_id: str, names: Iterable[str]) -> PersonalData:
        """What remains of a forgotten person's value: the field names, no data."""
        return cls(subject_id, dict.fromkeys(names, ERASED_ZH), erased=True)

    @property
    def names(self) -> list[str]:
        return sorted(self.fields)

    def values(self) -> list[str]:
        """The plaintext values (none once erased)."""
        return [] if self.erased else [self.fields[n] for n in self.names]

    def shown(self, english: bool = False) -> dict[str, Any]:
        """As primitives for a reader allowed to see it."""
        marker = ERASED_EN if english else ERASED_ZH
        fields = dict.fromkeys(self.names, marker) if self.erased else dict(self.fields)
        return {"subject_id": self.subject_id, "fields": fields, "erased": self.erased}

    def __repr__(self) -> str:  # never print the values into logs
        state = "erased" if self.erased else "held"
        return f"PersonalData(subject_id={self.subject_id!r}, fields={self.names}, {state})"


ERASURE_NAMESPACE = uuid5(NAMESPACE_URL, "https://lishu-loop/erasure")


class Erasure(Aggregate):
    """The recorded fact that a person's data was made unreadable (crypto-shredded).

    One per subject, keyed by the subject id: who erased, when and why; never the
    data itself.
    """

    class Event(Aggregate.Event):
        actor: Actor

    class Erased(Event, Aggregate.Created):
        subject_id: str
        reason: str

    def __init__(self, actor: Actor, subject_id: str, reason: str) -> None:
        self.actor = actor
        self.subject_id = subject_id
        self.reason = reason

    @staticmethod
    def id_for(subject_id: str) -> UUID:
        return uuid5(ERASURE_NAMESPACE, subject_id)

    @classmethod
    def record(cls, actor: Actor, at: datetime, subject_id: str, reason: str) -> Erasure:
        return cls._create(
            cls.Erased,
            id=cls.id_for(subject_id),
            timestamp=at,
            actor=actor,
            subject_id=subject_id,
            reason=reason,
        )
