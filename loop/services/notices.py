"""``Notices``: publish, revise, revoke and acknowledge notices (通知公告).

Fuping: "警网中心根据群众需求及阶段性工作侧重下发通知提示". Each command validates its
input, checks who may act (``loop.rules.notices``), records and saves through
:meth:`LoopApplication.commit`. Who is told, and when, is not decided here: the
notification read model turns these events into inbox entries and deliveries.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

from aggregates.actor import Actor
from aggregates.notice import AlreadyAcknowledged, Notice, NoticeAcknowledgement
from aggregates.volunteer import Volunteer, volunteer_aggregate_id
from loop.errors import ConcurrencyConflict, InvalidInput, NoticeNotFound, NotPermitted
from loop.rules import inputs, permissions
from loop.rules import notices as rules
from loop.rules.vocabulary import Role
from loop.storage.application import LoopApplication


class NoticeAck(NamedTuple):
    """What a command returns: the notice, its version, and the log position."""

    notice_id: str
    version: int
    revoked: bool
    position: int | None


class Acknowledgement(NamedTuple):
    notice_id: str
    person_id: str
    acknowledged_at: str
    position: int | None


class Notices:
    """Commands on notices, stored in the one application store ``app``."""

    def __init__(self, app: LoopApplication) -> None:
        self.app = app

    def get(self, notice_id: UUID | str) -> Notice:
        """The notice; :class:`NoticeNotFound` if there is none under that id."""
        try:
            key = notice_id if isinstance(notice_id, UUID) else UUID(str(notice_id))
        except ValueError:
            found = None
        else:
            found = self.app.find(key, Notice)
        if found is None:
            raise NoticeNotFound("通知不存在", "No such notice", notice_id=str(notice_id))
        return found

    def publish(
        self,
        actor: Actor,
        *,
        title: str,
        body: str,
        audience: dict[str, Any] | None = None,
        priority: str = "normal",
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
        requires_ack: bool = False,
        acknowledge_by: datetime | None = None,
        notice_id: UUID | None = None,
    ) -> NoticeAck:
        """Publish a notice to an audience within the actor's unit (his unit if none
        is named), valid for 30 days unless said otherwise."""
        checked_title = inputs.text("title", title, max_len=rules.MAX_TITLE)
        checked_body = inputs.prose("body", body, max_len=rules.MAX_BODY)
        checked_priority = rules.priority(priority)
        permissions.check("publish_notice", actor, rules.notice_record(actor.unit))
        addressed = rules.audience(actor, audience)
        now = self.app.clock()
        start, end = rules.validity(now, valid_from, valid_until)
        due = rules.acknowledge_by(requires_ack, acknowledge_by, start, end)
        notice = Notice.publish(
            actor,
            now,
            publisher_unit=actor.unit,
            title=checked_title,
            body=checked_body,
            audience=addressed,
            priority=checked_priority,
            valid_from=start,
            valid_until=end,
            requires_ack=requires_ack,
            acknowledge_by=due,
            notice_id=notice_id,
        )
        return self._ack(notice, self.app.commit(notice))

    def revise(
        self,
        actor: Actor,
        notice_id: UUID | str,
        *,
        title: str,
        body: str,
        priority: str,
        valid_until: datetime,
        expected_version: int | None = None,
    ) -> NoticeAck:
        """Correct a notice's text, priority or end; its audience is told again."""
        checked_title = inputs.text("title", title, max_len=rules.MAX_TITLE)
        checked_body = inputs.prose("body", body, max_len=rules.MAX_BODY)
        checked_priority = rules.priority(priority)
        inputs.moment("valid_until", valid_until)
        notice = self._for_change(actor, notice_id, expected_version)
        now = self.app.clock()
        rules.validity(now, notice.valid_from, valid_until)
        notice.revise(
            actor,
            now,
            title=checked_title,
            body=checked_body,
            priority=checked_priority,
            valid_until=valid_until,
        )
        return self._ack(notice, self.app.commit(notice))

    def revoke(
        self,
        actor: Actor,
        notice_id: UUID | str,
        *,
        reason: str,
        expected_version: int | None = None,
    ) -> NoticeAck:
        """Withdraw a notice: it leaves every inbox, and what was not yet sent is not."""
        checked_reason = inputs.prose("reason", reason, max_len=500)
        notice = self._for_change(actor, notice_id, expected_version)
        notice.revoke(actor, self.app.clock(), checked_reason)
        return self._ack(notice, self.app.commit(notice))

    def acknowledge(self, actor: Actor, notice_id: UUID | str) -> Acknowledgement:
        """The actor acknowledges a notice addressed to him (once)."""
        notice = self.get(notice_id)
        now = self.app.clock()
        notice.check_acknowledgeable(now)
        if not self.addresses(notice, actor):
            raise NotPermitted(
                "该通知不是发给您的",
                "This notice is not addressed to you",
                notice_id=str(notice.id),
            )
        key = NoticeAcknowledgement.id_for(notice.id, actor.id)
        if self.app.find(key, NoticeAcknowledgement) is not None:
            raise self._already(notice.id)
        acknowledgement = NoticeAcknowledgement.record(actor, now, notice.id)
        try:
            position = self.app.commit(acknowledgement)
        except ConcurrencyConflict:  # the same person, twice at once
            raise self._already(notice.id) from None
        return Acknowledgement(str(notice.id), actor.id, now.isoformat(), position)

    def addresses(self, notice: Notice, actor: Actor) -> bool:
        """Whether ``actor`` is in the notice's audience (a volunteer's teams and
        status read from his record)."""
        teams: list[str] = []
        status: str | None = None
        if actor.role == Role.VOLUNTEER:
            volunteer = self.app.find(volunteer_aggregate_id(actor.id), Volunteer)
            if volunteer is not None:
                teams, status = list(volunteer.teams), volunteer.status
        return notice.addressed.includes(
            role=actor.role, unit=actor.unit, teams=teams, status=status
        )

    def phone_of(self, person_id: str) -> str | None:
        """The phone number a volunteer gave, read at the moment of sending; None for
        anyone else, and for a volunteer whose data was forgotten."""
        volunteer = self.app.find(volunteer_aggregate_id(person_id), Volunteer)
        if volunteer is None or volunteer.personal.erased:
            return None
        return volunteer.personal.fields.get("phone") or None

    # -- helpers -------------------------------------------------------------------

    def _for_change(
        self, actor: Actor, notice_id: UUID | str, expected_version: int | None
    ) -> Notice:
        notice = self.get(notice_id)
        permissions.check("publish_notice", actor, rules.notice_record(actor.unit))
        permissions.check("change_notice", actor, rules.notice_record(notice.publisher_unit))
        if expected_version is not None and expected_version != notice.version:
            if type(expected_version) is not int:
                raise InvalidInput(
                    "「expected_version」须为整数",
                    "'expected_version' must be a whole number",
                    field="expected_version",
                )
            raise ConcurrencyConflict(
                "通知已被他人更新，请刷新后重试",
                "The notice was changed by someone else; reload and retry",
                notice_id=str(notice.id),
                current_version=notice.version,
            )
        return notice

    @staticmethod
    def _already(notice_id: UUID) -> AlreadyAcknowledged:
        return AlreadyAcknowledged(
            "您已确认过该通知",
            "You have already acknowledged this notice",
            notice_id=str(notice_id),
        )

    @staticmethod
    def _ack(notice: Notice, position: int | None) -> NoticeAck:
        return NoticeAck(str(notice.id), notice.version, notice.revoked, position)
