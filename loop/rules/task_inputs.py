"""Checks of a duty task's input: its kind and other choices, whole numbers, and
its schedule against the preset (start in the future, a bounded length, places,
the sign-up and withdrawal cut-offs). A failure raises :class:`InvalidInput`
before anything is loaded."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from loop.errors import InvalidInput
from loop.rules import inputs
from loop.rules.tasks import TaskPolicy


def whole(field: str, value: Any, low: int, high: int) -> int:
    if type(value) is not int or not low <= value <= high:
        raise InvalidInput(
            f"「{field}」必须是{low}到{high}之间的整数",
            f"'{field}' must be a whole number from {low} to {high}",
            field=field,
        )
    return value


def choice(field: str, value: Any, options: dict[str, str]) -> str:
    if value not in options:
        raise InvalidInput(
            f"「{field}」必须是以下之一：{'、'.join(options.values())}",
            f"'{field}' must be one of: {', '.join(options)}",
            field=field,
            allowed=list(options),
        )
    return str(value)


def schedule(
    policy: TaskPolicy,
    at: datetime,
    starts_at: Any,
    ends_at: Any,
    needed: Any,
    minimum: Any,
    signup_closes_at: Any,
    withdraw_closes_at: Any,
) -> dict[str, Any]:
    start = inputs.moment("starts_at", starts_at)
    end = inputs.moment("ends_at", ends_at)
    if not at < start <= at + policy.max_ahead:
        days = policy.max_ahead.days
        raise InvalidInput(
            f"任务开始时间须晚于现在，且在{days}天之内",
            f"A task starts in the future, within {days} days",
            field="starts_at",
        )
    if not start < end <= start + policy.max_duration:
        hours = int(policy.max_duration.total_seconds() // 3600)
        raise InvalidInput(
            f"任务结束时间须晚于开始时间，且时长不超过{hours}小时",
            f"A task ends after it starts and lasts at most {hours} hours",
            field="ends_at",
        )
    places = whole("needed", needed, 1, policy.max_places)
    least = whole("minimum", minimum, 1, places)
    closes = (
        start if signup_closes_at is None else inputs.moment("signup_closes_at", signup_closes_at)
    )
    if not at < closes <= start:
        raise InvalidInput(
            "报名截止时间须在现在与任务开始之间",
            "Sign-up closes between now and the start",
            field="signup_closes_at",
        )
    default_cutoff = max(at, start - policy.withdraw_closes_before)
    cutoff = (
        default_cutoff
        if withdraw_closes_at is None
        else inputs.moment("withdraw_closes_at", withdraw_closes_at)
    )
    if not cutoff <= start:
        raise InvalidInput(
            "退出截止时间不能晚于任务开始",
            "Withdrawal closes at the start at the latest",
            field="withdraw_closes_at",
        )
    return {
        "starts_at": start,
        "ends_at": end,
        "needed": places,
        "minimum": least,
        "signup_closes_at": closes,
        "withdraw_closes_at": cutoff,
    }
