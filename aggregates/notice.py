"""Notices (通知公告) and their acknowledgements.

Fuping's mini-program: "警网中心根据群众需求及阶段性工作侧重下发通知提示". A county bureau
or a station publishes a notice to an audience (units, roles, teams, statuses),
with a priority, a validity and, when it asks for one, an acknowledgement by a
time. Who may publish what to whom is decided by ``loop/`` before a method here
is called; the aggregate records the facts and keeps a revoked notice revoked.

An acknowledgement is an aggregate of its own, keyed by the notice and the
person, so a thousand volunteers acknowledging at once never contend for the
notice's version, and one person acknowledges a notice once, ever.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate

from aggregates.actor import Actor
from aggregates.errors import DomainError
from aggregates.volunteer import SERVING

PRIORITIES = ("normal", "important", "urgent")
READERS_ONLY = frozenset({"auditor", "admin"})
"""Roles no notice addresses: auditors and administrators read, they do not act."""


class NoticeRefused(DomainError):
    """A revision, revocation or acknowledgement the notice's state refuses."""

    code = "notice_refused"


class AlreadyAcknowledged(NoticeRefused):
    code = "already_acknowledged"


def _within(unit: str, scope: str) -> bool:
    return unit == scope or unit.startswith(scope + "/")


@dataclass(frozen=True)
class Audience:
    """Who a notice is for: everyone in ``units`` (each with the units below it),
    narrowed to ``roles`` if any are named; naming ``teams`` or ``statuses``
    narrows it to volunteers in one of those teams or statuses. Volunteers are
    addressed while serving (active, flexible duty or suspended) unless
    ``statuses`` says otherwise; auditors and administrators never are."""

    units: tuple[str, ...]
    roles: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()

    @classmethod
    def of(cls, value: Mapping[str, Iterable[str]]) -> Audience:
        return cls(
            tuple(value.get("units", ())),
            tuple(value.get("roles", ())),
            tuple(value.get("teams", ())),
            tuple(value.get("statuses", ())),
        )

    def as_dict(self) -> dict[str, list[str]]:
        return {
            "units": list(self.units),
            "roles": list(self.roles),
            "teams": list(self.teams),
            "statuses": list(self.statuses),
        }

    @property
    def volunteers_only(self) -> bool:
        return bool(self.teams or self.statuses)

    def includes(
        self, *, role: str, unit: str, teams: Iterable[str] = (), status: str | None = None
    ) -> bool:
        """Whether a person in ``role`` at ``unit`` (a volunteer's teams and status
        given) is in this audience."""
        if role in READERS_ONLY or not any(_within(unit, scope) for scope in self.units):
            return False
        if self.roles and role not in self.roles:
            return False
        if role == "volunteer":
            if status not in (self.statuses or SERVING):
                return False
            return not self.teams or bool(set(teams) & set(self.teams))
        return not self.volunteers_only


class Notice(Aggregate):
    """A notice published by a county bureau or a station (通知公告)."""

    class Event(Aggregate.Event):
        actor: Actor

    class Published(Event, Aggregate.Created):
        publisher_unit: str
        title: str
        body: str
        audience: dict[str, list[str]]
        priority: str
        valid_from: datetime
        valid_until: datetime
        requires_ack: bool
        acknowledge_by: datetime | None

    class Revised(Event):
        """The notice's text, priority or end of validity changed; its audience and
        acknowledgement stay as published."""

        title: str
        body: str
        priority: str
        valid_until: datetime

        def apply(self, aggregate: Any) -> None:
            aggregate.title = self.title
            aggregate.body = self.body
            aggregate.priority = self.priority
            aggregate.valid_until = self.valid_until

    class Revoked(Event):
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.revoked = True
            aggregate.revoke_reason = self.reason

    def __init__(
        self,
        actor: Actor,  # noqa: ARG002 (every Created field is passed; the event keeps it)
        publisher_unit: str,
        title: str,
        body: str,
        audience: dict[str, list[str]],
        priority: str,
        valid_from: datetime,
        valid_until: datetime,
        requires_ack: bool,
        acknowledge_by: datetime | None,
    ) -> None:
        self.publisher_unit = publisher_unit
        self.title = title
        self.body = body
        self.audience = audience
        self.priority = priority
        self.valid_from = valid_from
        self.valid_until = valid_until
        self.requires_ack = requires_ack
        self.acknowledge_by = acknowledge_by
        self.revoked = False
        self.revoke_reason: str | None = None

    @classmethod
    def publish(
        cls,
        actor: Actor,
        at: datetime,
        *,
        publisher_unit: str,
        title: str,
        body: str,
        audience: Audience,
        priority: str,
        valid_from: datetime,
        valid_until: datetime,
        requires_ack: bool,
        acknowledge_by: datetime | None,
        notice_id: UUID | None = None,
    ) -> Notice:
        return cls._create(
            cls.Published,
            id=notice_id or uuid4(),
            timestamp=at,
            actor=actor,
            publisher_unit=publisher_unit,
            title=title,
            body=body,
            audience=audience.as_dict(),
            priority=priority,
            valid_from=valid_from,
            valid_until=valid_until,
            requires_ack=requires_ack,
            acknowledge_by=acknowledge_by,
        )

    @property
    def addressed(self) -> Audience:
        return Audience.of(self.audience)

    def is_live(self, at: datetime) -> bool:
        """Shown in inboxes at ``at``: not revoked, and within its validity."""
        return not self.revoked and self.valid_from <= at < self.valid_until

    def revise(
        self,
        actor: Actor,
        at: datetime,
        *,
        title: str,
        body: str,
        priority: str,
        valid_until: datetime,
    ) -> None:
        self._check_not_revoked()
        if self.acknowledge_by is not None and valid_until < self.acknowledge_by:
            raise NoticeRefused(
                "有效期不能早于确认截止时间",
                "The notice cannot end before its acknowledgements are due",
            )
        self.trigger_event(
            self.Revised,
            actor=actor,
            timestamp=at,
            title=title,
            body=body,
            priority=priority,
            valid_until=valid_until,
        )

    def revoke(self, actor: Actor, at: datetime, reason: str) -> None:
        self._check_not_revoked()
        self.trigger_event(self.Revoked, actor=actor, timestamp=at, reason=reason)

    def check_acknowledgeable(self, at: datetime) -> None:
        """:class:`NoticeRefused` unless the notice asks for acknowledgements and is
        shown now."""
        if not self.requires_ack:
            raise NoticeRefused("该通知无需确认", "This notice asks for no acknowledgement")
        self._check_not_revoked()
        if not self.is_live(at):
            raise NoticeRefused("该通知不在有效期内", "This notice is not in force")

    def _check_not_revoked(self) -> None:
        if self.revoked:
            raise NoticeRefused("该通知已撤回", "This notice was revoked")


ACKNOWLEDGEMENT_NAMESPACE = uuid5(NAMESPACE_URL, "https://lishu-loop/notice-acknowledgement")


class NoticeAcknowledgement(Aggregate):
    """One person's acknowledgement of one notice (已阅知悉)."""

    class Acknowledged(Aggregate.Created):
        actor: Actor
        notice_id: str
        person_id: str

    def __init__(self, actor: Actor, notice_id: str, person_id: str) -> None:
        self.actor = actor
        self.notice_id = notice_id
        self.person_id = person_id

    @staticmethod
    def id_for(notice_id: UUID | str, person_id: str) -> UUID:
        return uuid5(ACKNOWLEDGEMENT_NAMESPACE, f"{notice_id}:{person_id}")

    @classmethod
    def record(cls, actor: Actor, at: datetime, notice_id: UUID) -> NoticeAcknowledgement:
        """``actor`` acknowledges the notice, as himself."""
        return cls._create(
            cls.Acknowledged,
            id=cls.id_for(notice_id, actor.id),
            timestamp=at,
            actor=actor,
            notice_id=str(notice_id),
            person_id=actor.id,
        )
