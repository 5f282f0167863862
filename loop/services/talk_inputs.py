"""Checks of a talk order's and a menu item's input; a failure raises
:class:`InvalidInput` before anything is loaded."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from loop.errors import InvalidInput
from loop.rules import inputs
from loop.rules.scoring import CHINA
from loop.rules.talks import TalkPolicy
from loop.rules.task_inputs import whole

MAX_TOPICS_ON_SITE = 30


def day(field: str, value: Any) -> date:
    """A calendar day given as ``date`` or ``YYYY-MM-DD`` (no time)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidInput(
        f"「{field}」须为日期（年-月-日）", f"'{field}' must be a date (YYYY-MM-DD)", field=field
    )


def window(policy: TalkPolicy, at: datetime, first: Any, last: Any) -> tuple[str, str]:
    """The days the orderer can host the talk: from today on, in order, not too long
    nor too far ahead; as ISO dates."""
    start, end = day("window_from", first), day("window_to", last)
    today = at.astimezone(CHINA).date()
    if start < today or start > today + policy.furthest_ahead:
        raise InvalidInput(
            f"宣讲日期须从今天起，{policy.furthest_ahead.days}天之内",
            f"The days start today or later, within {policy.furthest_ahead.days} days",
            field="window_from",
        )
    if not start <= end <= start + policy.longest_window:
        raise InvalidInput(
            f"结束日期不能早于开始日期，且跨度不超过{policy.longest_window.days}天",
            f"The last day is not before the first, at most {policy.longest_window.days} days on",
            field="window_to",
        )
    return start.isoformat(), end.isoformat()


def in_window(starts_at: datetime, first: str, last: str) -> None:
    if not first <= starts_at.astimezone(CHINA).date().isoformat() <= last:
        raise InvalidInput(
            f"宣讲时间须在点单人可接待的日期内（{first}至{last}）",
            f"The talk is given on a day the orderer can host it ({first} to {last})",
            field="starts_at",
            window=[first, last],
        )


def topic_counts(value: Any) -> dict[str, int]:
    """Topics the audience picked on site (群众点题), each with a count: no names."""
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > MAX_TOPICS_ON_SITE:
        raise InvalidInput(
            f"「现场点题」须为至多{MAX_TOPICS_ON_SITE}个话题及其次数",
            f"'topics_on_site' maps at most {MAX_TOPICS_ON_SITE} topics to counts",
            field="topics_on_site",
        )
    counted = {}
    for topic, count in value.items():
        name = inputs.text("topics_on_site", topic, max_len=50)
        counted[name] = whole(f"topics_on_site.{name}", count, 1, 100_000)
    return counted


def speakers(policy: TalkPolicy, value: Any) -> list[str]:
    if (
        not isinstance(value, list)
        or not 1 <= len(value) <= policy.most_speakers
        or len(set(map(str, value))) != len(value)
    ):
        raise InvalidInput(
            f"宣讲人须为1到{policy.most_speakers}位不重复的义警",
            f"Name 1 to {policy.most_speakers} different speakers",
            field="speakers",
        )
    return [inputs.text("speakers", s, max_len=100) for s in value]


def talk_end(starts_at: datetime, minutes: int) -> datetime:
    return starts_at + timedelta(minutes=minutes)
