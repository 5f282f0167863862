"""The TalkOrder aggregate: a talk ordered from a menu (群众"点单"), taken on by a
station (民警"接单"), delivered and rated.

Ping'an: "让群众'点单'，'枫'警宣讲队现场'接单'，以'群众点题、现场答疑'的方式". A
village committee, school, business or resident orders a talk for a range of
days and a place; the station accepts or declines (with a reason the orderer
sees) or forwards it to the station whose area it lies in; it is scheduled with
speakers (a duty task for them), delivered (人次, questions answered, topics
picked on site: counts only) and rated. The orderer confirms, reschedules or
cancels by a private link; each link is kept as a keyed digest, used once, and
expires. A reschedule changes this order: there is never a second one.

Who may act, and the checks of input and policy, are ``loop/``'s; the aggregate
keeps the order of things.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from aggregates.actor import Actor
from aggregates.personal import PersonalData
from aggregates.talk_errors import LinkRefused, TalkClosed, TalkRefused

STATUSES = {
    "ordered": "待接单",
    "accepted": "已接单",
    "scheduled": "已排期",
    "delivered": "已宣讲",
    "declined": "已婉拒",
    "cancelled": "已取消",
}
OPEN = ("ordered", "accepted", "scheduled")


class TalkOrder(Aggregate):
    """One ordered talk, from the order to its rating."""

    class Event(Aggregate.Event):
        actor: Actor

    class Placed(Event, Aggregate.Created):
        unit: str  # the station (or county bureau) whose menu it was ordered from
        item_id: str
        theme: str
        title: str
        format: str
        minutes: int
        community: str  # where it is to be given
        orderer_kind: str  # village_committee | school | business | resident
        window_from: str  # ISO dates, the days the orderer can host it
        window_to: str
        orderer: PersonalData  # name, phone and the place (address): encrypted
        source: str  # public_form | phone
        answer_by: datetime  # accept or decline by then (policy)

    class LinkIssued(Event):
        purpose: str  # manage (confirm, reschedule, cancel) | rate
        digest: str  # keyed digest of the link's token; the token is never stored
        expires_at: datetime

        def apply(self, aggregate: Any) -> None:
            aggregate.links[self.digest] = {
                "purpose": self.purpose,
                "expires_at": self.expires_at,
                "used": False,
            }

    class Accepted(Event):
        def apply(self, aggregate: Any) -> None:
            aggregate.status = "accepted"
            aggregate.accepted = True

    class Declined(Event):
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "declined"
            aggregate.reason = self.reason

    class Forwarded(Event):
        to_unit: str
        reason: str
        answer_by: datetime

        def apply(self, aggregate: Any) -> None:
            aggregate.unit = self.to_unit
            aggregate.answer_by = self.answer_by

    class Scheduled(Event):
        task_id: str | None  # the volunteers' duty task; None when no volunteer speaks
        speakers: list[str]
        starts_at: datetime
        ends_at: datetime

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "scheduled"
            aggregate.task_id = self.task_id
            aggregate.speakers = list(self.speakers)
            aggregate.starts_at, aggregate.ends_at = self.starts_at, self.ends_at

    class Confirmed(Event):
        link: str

        def apply(self, aggregate: Any) -> None:
            aggregate.links[self.link]["used"] = True
            aggregate.confirmed = True

    class Rescheduled(Event):
        """The orderer asked for other days; a scheduled talk's task was released
        (``released_task``) and the order waits to be scheduled again."""

        window_from: str
        window_to: str
        link: str
        released_task: str | None

        def apply(self, aggregate: Any) -> None:
            order: TalkOrder = aggregate
            order.links[self.link]["used"] = True
            order.window_from, order.window_to = self.window_from, self.window_to
            order.reschedules += 1
            order.confirmed = False
            if order.status == "scheduled":
                order.status = "accepted"
                order.task_id, order.speakers = None, []
                order.starts_at = order.ends_at = None

    class Cancelled(Event):
        reason: str
        link: str | None  # the orderer's link, or None when the station cancelled
        released_task: str | None

        def apply(self, aggregate: Any) -> None:
            if self.link is not None:
                aggregate.links[self.link]["used"] = True
            aggregate.status = "cancelled"
            aggregate.reason = self.reason

    class Delivered(Event):
        reach: int  # 人次
        questions: int  # questions answered on site
        topics_on_site: dict[str, int]  # topics the audience picked: counts only

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "delivered"
            aggregate.delivery = {
                "reach": self.reach,
                "questions": self.questions,
                "topics_on_site": dict(self.topics_on_site),
            }

    class Rated(Event):
        stars: int
        link: str
        follow_up: bool  # a low rating opens a follow-up for the station

        def apply(self, aggregate: Any) -> None:
            aggregate.links[self.link]["used"] = True
            aggregate.rating = self.stars
            aggregate.follow_up = "open" if self.follow_up else None

    class FollowedUp(Event):
        note: str

        def apply(self, aggregate: Any) -> None:
            aggregate.follow_up = "done"

    def __init__(  # every Placed field is passed; the event keeps the actor
        self,
        actor: Actor,  # noqa: ARG002
        unit: str,
        item_id: str,
        theme: str,
        title: str,
        format: str,
        minutes: int,
        community: str,
        orderer_kind: str,
        window_from: str,
        window_to: str,
        orderer: PersonalData,
        source: str,
        answer_by: datetime,
    ) -> None:
        self.unit = unit
        self.item_id = item_id
        self.theme = theme
        self.title = title
        self.format = format
        self.minutes = minutes
        self.community = community
        self.orderer_kind = orderer_kind
        self.window_from = window_from
        self.window_to = window_to
        self.orderer = orderer
        self.source = source
        self.answer_by = answer_by
        self.status = "ordered"
        self.accepted = False  # once accepted, the station sees the place and contact
        self.reason: str | None = None
        self.links: dict[str, dict[str, Any]] = {}
        self.task_id: str | None = None
        self.speakers: list[str] = []
        self.starts_at: datetime | None = None
        self.ends_at: datetime | None = None
        self.confirmed = False
        self.reschedules = 0
        self.delivery: dict[str, Any] | None = None
        self.rating: int | None = None
        self.follow_up: str | None = None

    @classmethod
    def place(
        cls, actor: Actor, at: datetime, *, order_id: UUID | None = None, **details: Any
    ) -> TalkOrder:
        """``details``: every field of :class:`TalkOrder.Placed`, checked by the service."""
        return cls._create(cls.Placed, id=order_id or uuid4(), timestamp=at, actor=actor, **details)

    # -- links -------------------------------------------------------------------------

    def issue_link(
        self, actor: Actor, at: datetime, *, purpose: str, digest: str, expires_at: datetime
    ) -> None:
        self._record(
            self.LinkIssued, actor, at, purpose=purpose, digest=digest, expires_at=expires_at
        )

    def check_link(self, digest: str, purpose: str, at: datetime) -> None:
        """Refuses a link that is not this order's for ``purpose``, used or expired."""
        link = self.links.get(digest)
        if link is None or link["purpose"] != purpose:
            raise LinkRefused("链接无效", "The link is not valid")
        if link["used"]:
            raise LinkRefused("该链接已使用过，每个链接只能用一次", "The link was used already")
        if at >= link["expires_at"]:
            raise LinkRefused("该链接已过期", "The link has expired")

    # -- the station's steps -------------------------------------------------------------

    def accept(self, actor: Actor, at: datetime) -> None:
        self.check_state("ordered", "接单")
        self._record(self.Accepted, actor, at)

    def decline(self, actor: Actor, at: datetime, *, reason: str) -> None:
        self.check_state("ordered", "婉拒")
        self._record(self.Declined, actor, at, reason=reason)

    def forward(
        self, actor: Actor, at: datetime, *, to_unit: str, reason: str, answer_by: datetime
    ) -> None:
        self.check_state("ordered", "转交")
        if to_unit == self.unit:
            raise TalkRefused("不能转交给本单位", "It is with that unit already", to_unit=to_unit)
        self._record(self.Forwarded, actor, at, to_unit=to_unit, reason=reason, answer_by=answer_by)

    def schedule(self, actor: Actor, at: datetime, **slot: Any) -> None:
        """``slot``: ``task_id``, ``speakers``, ``starts_at``, ``ends_at``."""
        self.check_state("accepted", "排期")
        self._record(self.Scheduled, actor, at, **slot)

    def deliver(self, actor: Actor, at: datetime, **done: Any) -> None:
        """``done``: ``reach``, ``questions``, ``topics_on_site``."""
        self.check_state("scheduled", "登记宣讲情况")
        self._record(self.Delivered, actor, at, **done)

    def follow(self, actor: Actor, at: datetime, *, note: str) -> None:
        if self.follow_up != "open":
            raise TalkRefused("没有待回访的差评", "No low rating is waiting for a follow-up")
        self._record(self.FollowedUp, actor, at, note=note)

    def cancel(
        self, actor: Actor, at: datetime, *, reason: str, link: str | None = None
    ) -> str | None:
        """Cancel; returns the released task's id, if it was scheduled."""
        if link is not None:
            self.check_link(link, "manage", at)
        self._check_open()
        released = self.task_id if self.status == "scheduled" else None
        self._record(self.Cancelled, actor, at, reason=reason, link=link, released_task=released)
        return released

    # -- the orderer's steps (by his private link) ------------------------------------------

    def confirm(self, actor: Actor, at: datetime, *, link: str) -> None:
        self.check_link(link, "manage", at)
        self.check_state("scheduled", "确认")
        if self.confirmed:
            raise TalkRefused("已确认过该场宣讲", "This talk was confirmed already")
        self._record(self.Confirmed, actor, at, link=link)

    def reschedule(
        self, actor: Actor, at: datetime, *, link: str, window_from: str, window_to: str
    ) -> str | None:
        """Other days for this order; returns the released task's id, if any."""
        self.check_link(link, "manage", at)
        self._check_open()
        released = self.task_id if self.status == "scheduled" else None
        self._record(
            self.Rescheduled,
            actor,
            at,
            window_from=window_from,
            window_to=window_to,
            link=link,
            released_task=released,
        )
        return released

    def rate(self, actor: Actor, at: datetime, *, link: str, stars: int, low: int) -> bool:
        """One rating; returns whether it opened a follow-up (``stars`` at most ``low``)."""
        self.check_link(link, "rate", at)
        self.check_state("delivered", "评价")
        follow_up = stars <= low
        self._record(self.Rated, actor, at, stars=stars, link=link, follow_up=follow_up)
        return follow_up

    # -- guards ------------------------------------------------------------------------------

    def _record(self, event: Any, actor: Actor, at: datetime, **facts: Any) -> None:
        self.trigger_event(event, actor=actor, timestamp=at, **facts)

    def _check_open(self) -> None:
        if self.status not in OPEN:
            raise TalkClosed(
                f"该订单{STATUSES[self.status]}，不能办理此事项",
                f"The order is {self.status}",
                status=self.status,
            )

    def check_state(self, status: str, step_zh: str) -> None:
        """Refuses a step (``step_zh``) unless the order is at ``status``."""
        if self.status != status:
            if self.status in ("declined", "cancelled"):
                self._check_open()
            raise TalkRefused(
                f"订单{STATUSES[self.status]}，不能{step_zh}",
                f"The order is {self.status}; this step needs it {status}",
                status=self.status,
            )
