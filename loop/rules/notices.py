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
from loop.errors import InvalidInput, NotPermitted
from loop.rules import units
from loop.rules.vocabulary import Role, label

PRIORITY_LABELS = {
    "normal": ("一般", "normal"),
    "important": ("重要", "important"),
    "urgent": ("紧急", "urgent"),
}
assert set(PRIORITY_LABELS) == set(PRIORITIES)

PUBLISHERS: dict[str, frozenset[Role]] = {
    "county": frozenset({Role.COUNTY_OFFICER, Role.PUBLICITY_OFFICER}),
    "station": frozenset({Role.STATION_OFFICER}),
}
"""Who publishes, by the level of the unit he works at."""

AUDIENCE_STATUSES = ("active", "flexible", "suspended")
"""The volunteer statuses a notice may be addressed to."""

DEFAULT_VALIDITY = timedelta(days=30)
MAX_VALIDITY = timedelta(days=366)
DEFAULT_ACK_WINDOW = timedelta(days=3)
"""Acknowledgements are due three days after publication unless a time is given."""

MAX_TITLE = 100
MAX_BODY = 2000


def may_publish(actor: Actor) -> bool:
    level = units.level(actor.unit)
    return level is not None and actor.role in PUBLISHERS.get(level, frozenset())


def check_publisher(actor: Actor, unit: str | None = None) -> None:
    """:class:`NotPermitted` unless ``actor`` publishes for his unit (and, when
    ``unit`` names a published notice's unit, works there)."""
    if may_publish(actor) and (unit is None or actor.unit == unit):
        return
    raise NotPermitted(
        f"「{label(actor.role)}」（{actor.unit}）无权发布或修改该通知；"
        "可办理者：县局指挥中心民警、县局宣传科（县局）；派出所民警（派出所）",
        f"Role '{actor.role}' in unit '{actor.unit}' may not publish or change this notice; "
        "allowed: county_officer, publicity_officer (county); station_officer (station)",
        unit=unit or actor.unit,
        allowed=[{"roles": sorted(roles), "level": level} for level, roles in PUBLISHERS.items()],
    )


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
