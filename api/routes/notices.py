"""Notices (通知公告): publish, revise, revoke, acknowledge, and the publisher's view
of who acknowledged.

Commands run as the logged-in user on the group-commit writer and take an
optional ``Idempotency-Key`` (a retried publication publishes once). A notice
the caller may not read (neither in its audience nor staff at or above the
publishing unit) answers 404, as if it did not exist.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from fastapi import APIRouter, Path
from pydantic import Field

from aggregates.notice import Audience, Notice
from api.accounts import User
from api.deps import CurrentUser, IdempotencyKey, ServicesDep, WaitFor
from api.dispatch import Command, command, execute, ids
from api.query import UnitFilter, unit_for
from api.schemas import Answer, Body, Moment, Rows, answer_of
from api.services import Services
from loop.errors import NoticeNotFound
from loop.rules import notices as rules
from loop.rules import permissions
from loop.services.notices import Acknowledgement, NoticeAck

router = APIRouter(prefix="/api/notices", tags=["notices 通知公告"])

NoticeId = Annotated[str, Path(max_length=36)]
Name = Annotated[str, Field(max_length=200)]


class AudienceBody(Body):
    units: list[Name] = Field(default_factory=list, max_length=50)
    roles: list[Name] = Field(default_factory=list, max_length=20)
    teams: list[Name] = Field(default_factory=list, max_length=20)
    statuses: list[Name] = Field(default_factory=list, max_length=10)


class Publication(Body):
    title: str = Field(max_length=rules.MAX_TITLE)
    body: str = Field(max_length=rules.MAX_BODY)
    audience: AudienceBody | None = None
    priority: str = Field(default="normal", max_length=20)
    valid_from: Moment | None = None
    valid_until: Moment | None = None
    requires_ack: bool = False
    acknowledge_by: Moment | None = None


class Revision(Body):
    title: str = Field(max_length=rules.MAX_TITLE)
    body: str = Field(max_length=rules.MAX_BODY)
    priority: str = Field(max_length=20)
    valid_until: Moment
    expected_version: int | None = Field(default=None, ge=1, le=2**31 - 1)


class Revocation(Body):
    reason: str = Field(max_length=500)
    expected_version: int | None = Field(default=None, ge=1, le=2**31 - 1)


def notice_id_for(user: User, key: str) -> UUID:
    """The notice a publication's idempotency key fixes, per user."""
    return uuid5(NAMESPACE_URL, f"lishu-loop:notice:{user.username}:{key}")


def over(user: User, notice: Notice) -> bool:
    """Whether ``user`` is staff of the publishing unit or a unit above it."""
    return permissions.visible(user.actor, rules.notice_record(notice.publisher_unit))


def readable(s: Services, user: User, notice_id: str) -> Notice:
    """The notice, if the caller may know of it; else :class:`NoticeNotFound`."""
    notice = s.notices.get(notice_id)
    if over(user, notice) or s.notices.addresses(notice, user.actor):
        return notice
    raise NoticeNotFound("通知不存在", "No such notice", notice_id=notice_id)


NoticeAnswer = answer_of(NoticeAck)
AcknowledgementAnswer = answer_of(Acknowledgement)


def publish_command(s: Services, user: User, body: Publication, key: str | None) -> Command[Answer]:
    """Publish as ``user``; a key fixes the notice's id, so a retry whose first answer
    was not kept finds the notice instead of publishing a second (the console's
    form too)."""
    details = body.model_dump(exclude={"audience"})
    details["audience"] = body.audience.model_dump() if body.audience else None
    notice_id = None if key is None else notice_id_for(user, key)

    def run() -> NoticeAck:
        return s.notices.publish(user.actor, notice_id=notice_id, **details)

    def recover() -> Answer | None:
        if notice_id is None:
            return None
        try:
            found = s.notices.get(notice_id)
        except NoticeNotFound:
            return None
        kept = {"notice_id": str(found.id), "version": found.version, "revoked": found.revoked}
        return NoticeAnswer.model_validate({**kept, "position": None, "replayed": True})

    return Command(
        "publish",
        body,
        run,
        NoticeAnswer,
        lambda done: NoticeAnswer.model_validate(done._asdict()),
        201,
        recover,
    )


def acknowledge_command(s: Services, user: User, notice_id: str) -> Command[Answer]:
    """Acknowledge as ``user`` a notice he may read (the console's button too)."""

    def run() -> Acknowledgement:
        readable(s, user, notice_id)
        return s.notices.acknowledge(user.actor, notice_id)

    return command(
        f"acknowledge:{notice_id}", None, run, AcknowledgementAnswer, loads=ids(notice_id)
    )


def revoke_command(s: Services, user: User, notice_id: str, body: Revocation) -> Command[Answer]:
    def run() -> NoticeAck:
        permissions.check_role("change_notice", user.actor)  # whatever the id
        readable(s, user, notice_id)
        return s.notices.revoke(user.actor, notice_id, **body.model_dump())

    return command(f"revoke:{notice_id}", body, run, NoticeAnswer, loads=ids(notice_id))


@router.post("", response_model=NoticeAnswer, status_code=201)
async def publish(
    body: Publication, user: CurrentUser, s: ServicesDep, key: IdempotencyKey = None
) -> Answer:
    """发布通知：县局或派出所发给本单位及下属单位的指定人员 / publish a notice to an
    audience within the publisher's unit (units, roles, teams, statuses), with a
    priority, validity and optionally a required acknowledgement. A retry with
    the same ``Idempotency-Key`` publishes once."""
    return await execute(s, user, key, publish_command(s, user, body, key))


@router.get("", response_model=Rows)
async def published(
    user: CurrentUser,
    s: ServicesDep,
    unit: UnitFilter = None,
    wait_for: WaitFor = None,
) -> Rows:
    """本单位及下属单位发布的通知，及确认人数 / notices published within a unit, newest
    first, each with how many acknowledged."""
    chosen = unit_for(user, unit)
    await s.wait_for(wait_for)
    return Rows(items=s.notifier.inbox.notices(chosen))


@router.get("/{notice_id}", response_model=dict[str, Any])
async def notice(
    notice_id: NoticeId, user: CurrentUser, s: ServicesDep, wait_for: WaitFor = None
) -> Any:
    """一则通知；发布单位及上级还看到谁已确认、谁尚未确认 / one notice; its publisher
    and the units above also see who acknowledged and who has not yet."""
    found = readable(s, user, notice_id)
    await s.wait_for(wait_for)
    shown = s.notifier.inbox.notice(str(found.id))
    if shown is None:  # published a moment ago, not yet in the read model
        raise NoticeNotFound("通知不存在", "No such notice", notice_id=notice_id)
    acknowledged = {a["person_id"] for a in shown["acknowledgements"]}
    if over(user, found):
        shown["not_yet"] = sorted(set(audience_members(s, found.addressed)) - acknowledged)
    else:
        shown["acknowledgements"] = [
            a for a in shown["acknowledgements"] if a["person_id"] == user.username
        ]
    shown["acknowledged_by_me"] = user.username in acknowledged
    return shown


def audience_members(s: Services, audience: Audience) -> list[str]:
    """The accounts a notice addresses now (volunteers by their teams and status)."""
    users = [u for u in s.accounts.all() if not u.disabled]
    people = s.notifier.inbox.people(u.username for u in users if u.role == "volunteer")
    members = []
    for u in users:
        person = people.get(u.username, {})
        if person.get("forgotten"):
            continue
        if audience.includes(
            role=u.role, unit=u.unit, teams=person.get("teams", ()), status=person.get("status")
        ):
            members.append(u.username)
    return members


@router.post("/{notice_id}/revision", response_model=NoticeAnswer)
async def revise(
    notice_id: NoticeId,
    body: Revision,
    user: CurrentUser,
    s: ServicesDep,
    key: IdempotencyKey = None,
) -> Answer:
    """修订通知（受众再次收到）/ revise a notice's text, priority or end; its audience
    is told again."""

    def run() -> NoticeAck:
        permissions.check_role("change_notice", user.actor)  # whatever the id
        readable(s, user, notice_id)
        return s.notices.revise(user.actor, notice_id, **body.model_dump())

    asked = command(f"revise:{notice_id}", body, run, NoticeAnswer, loads=ids(notice_id))
    return await execute(s, user, key, asked)


@router.post("/{notice_id}/revocation", response_model=NoticeAnswer)
async def revoke(
    notice_id: NoticeId,
    body: Revocation,
    user: CurrentUser,
    s: ServicesDep,
    key: IdempotencyKey = None,
) -> Answer:
    """撤回通知：从所有收件箱中消失，未发出的不再发出 / revoke a notice: it leaves every
    inbox, and what was not yet sent is not."""
    return await execute(s, user, key, revoke_command(s, user, notice_id, body))


@router.post("/{notice_id}/acknowledgement", response_model=AcknowledgementAnswer)
async def acknowledge(
    notice_id: NoticeId, user: CurrentUser, s: ServicesDep, key: IdempotencyKey = None
) -> Answer:
    """确认已阅（每人一次）/ acknowledge a notice addressed to the caller, once."""
    return await execute(s, user, key, acknowledge_command(s, user, notice_id))
