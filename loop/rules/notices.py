"""Notices (通知公告) as data: who publishes to whom, priorities, validity.

Fuping: "警网中心根据群众需求及阶段性工作侧重下发通知提示，各乡镇派出所具体下发活动任务".
A county bureau or a station publishes to an audience within its own scope;
the staff of the publishing unit who may publish may also revise or revoke.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from aggregates.actor import Actor
from aggregates.notice import PRIORITIES, READERS_ONLY, Audience
from aggregates.volunteer import STATUSES, TEAMS
from loop.errors import InvalidInput
from loop.rules import units
from loop.rules.access import UNIT_READERS, Grant, Record, allows, grant
from loop.rules.vocabulary import Role

PRIORITY_LABELS = {
    "normal": ("一般", "normal"),
    "important": ("重要", "important"),
    "urgent": ("紧急", "urgent"),
}
assert set(PRIORITY_LABELS) == set(PRIORITIES)

COUNTY_PUBLISHERS = (Role.COUNTY_OFFICER, Role.PUBLICITY_OFFICER)
NOTICE_GRANTS: dict[str, tuple[Grant, ...]] = {
    # the county bureau's command centre and publicity section, and the stations,
    # each for its own unit
    "publish_notice": (
        grant(COUNTY_PUBLISHERS, "county"),
        grant([Role.STATION_OFFICER], "station"),
    ),
    # revised or revoked by the publishers of the publishing unit itself
    "change_notice": (
        grant(COUNTY_PUBLISHERS, "owner"),
        grant([Role.STATION_OFFICER], "owner"),
    ),
    # staff at or above the publishing unit; its audience reads it too (``addresses``)
    "read_notice": (grant(UNIT_READERS, "within"),),
}
"""Who publishes to whom, in the one permission model (``loop.rules.permissions``)."""
NOTICE_COMMANDS = {
    "publish_notice": ("发布通知", "publish a notice"),
    "change_notice": ("修改或撤回该通知", "revise or revoke this notice"),
    "read_notice": ("查看该通知", "read this notice"),
}

AUDIENCE_STATUSES = ("active", "flexible", "suspended")
"""The volunteer statuses a notice may be addressed to."""

DEFAULT_VALIDITY = timedelta(days=30)
MAX_VALIDITY = timedelta(days=366)
DEFAULT_ACK_WINDOW = timedelta(days=3)
"""Acknowledgements are due three days after publication unless a time is given."""

MAX_TITLE = 100
MAX_BODY = 2000


def notice_record(publisher_unit: str) -> Record:
    """A notice (or one about to be published) of ``publisher_unit``."""
    return Record("notice", publisher_unit, owner=publisher_unit)


def may_publish(actor: Actor) -> bool:
    """Whether ``actor`` publishes for his unit."""
    return allows(NOTICE_GRANTS["publish_notice"], actor, notice_record(actor.unit))


def _names(field: str, value: Any, allowed: Iterable[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(
            f"「{field}」须为列表", f"'{field}' must be a list of names", field=field
        )
    known = list(allowed)
    unknown = [v for v in value if v not in known]
    if unknown:
        raise InvalidInput(
            f"「{field}」含有未知的值：{'、'.join(unknown)}",
            f"'{field}' holds unknown values: {', '.join(unknown)}",
            field=field,
            allowed=known,
        )
    return tuple(dict.fromkeys(value))


def audience(actor: Actor, value: Mapping[str, Any] | None) -> Audience:
    """The audience a publisher asked for, checked: units within his own unit
    (his unit if none), known roles, teams and statuses."""
    if value is not None and not isinstance(value, Mapping):
        raise InvalidInput(
            "「audience」格式不正确", "'audience' must be an object", field="audience"
        )
    given = dict(value or {})
    extra = set(given) - {"units", "roles", "teams", "statuses"}
    if extra:
        raise InvalidInput(
            f"「audience」含有未知的项：{'、'.join(sorted(extra))}",
            f"'audience' holds unknown keys: {', '.join(sorted(extra))}",
            field="audience",
        )
    scope = given.get("units") or [actor.unit]
    if not isinstance(scope, list | tuple) or not all(isinstance(u, str) for u in scope):
        raise InvalidInput("「units」须为单位列表", "'units' must be a list", field="units")
    for unit in scope:
        if units.level(unit) is None or not units.within(unit, actor.unit):
            raise InvalidInput(
                f"通知只能发给本单位及下属单位：{unit}",
                f"A notice goes to the publisher's own unit or those below it: {unit}",
                field="units",
                unit=unit,
            )
    return Audience(
        tuple(dict.fromkeys(scope)),
        _names("roles", given.get("roles"), (r.value for r in Role if r not in READERS_ONLY)),
        _names("teams", given.get("teams"), TEAMS),
        _names("statuses", given.get("statuses"), AUDIENCE_STATUSES),
    )


def priority(value: Any) -> str:
    if value not in PRIORITY_LABELS:
        raise InvalidInput(
            "「priority」必须是以下之一：一般、重要、紧急",
            "'priority' must be one of: normal, important, urgent",
            field="priority",
            allowed=list(PRIORITY_LABELS),
        )
    return str(value)


def validity(
    now: datetime, valid_from: datetime | None, valid_until: datetime | None
) -> tuple[datetime, datetime]:
    """The notice's validity: from now (or later) for 30 days by default, a year at
    most, ending after it begins and after now."""
    start = valid_from or now
    end = valid_until or start + DEFAULT_VALIDITY
    for field, moment in (("valid_from", start), ("valid_until", end)):
        if moment.tzinfo is None:
            raise InvalidInput(
                f"「{field}」必须是带时区的时间",
                f"'{field}' must be a timezone-aware datetime",
                field=field,
            )
    if end <= max(start, now):
        raise InvalidInput(
            "有效期须在开始时间和当前时间之后结束",
            "The validity must end after it starts and after now",
            field="valid_until",
        )
    if end - start > MAX_VALIDITY:
        raise InvalidInput(
            "通知有效期不能超过一年", "A notice is valid for a year at most", field="valid_until"
        )
    return start, end


def acknowledge_by(
    requires_ack: Any, value: datetime | None, start: datetime, end: datetime
) -> datetime | None:
    """When acknowledgements are due (the one reminder goes then), within validity."""
    if not isinstance(requires_ack, bool):
        raise InvalidInput(
            "「requires_ack」须为是或否",
            "'requires_ack' must be true or false",
            field="requires_ack",
        )
    if not requires_ack:
        if value is not None:
            raise InvalidInput(
                "无需确认的通知不设确认截止时间",
                "acknowledge_by is only for notices that ask for acknowledgement",
                field="acknowledge_by",
            )
        return None
    due = value or min(start + DEFAULT_ACK_WINDOW, end)
    if due.tzinfo is None or not start < due <= end:
        raise InvalidInput(
            "确认截止时间须在有效期内",
            "acknowledge_by must fall within the validity",
            field="acknowledge_by",
        )
    return due


def status_label(status: str) -> str:
    return STATUSES.get(status, status)
