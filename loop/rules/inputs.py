"""Validation of command input; a failure raises :class:`InvalidInput` before any load."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar
from uuid import UUID

from loop.errors import InvalidInput
from loop.rules.vocabulary import label

E = TypeVar("E", bound=StrEnum)

MAX_TEXT = 2000


LINE_BREAKS = frozenset("\n\r\u2028\u2029")
"""Allowed only where several lines are expected (prose), with the tab."""
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Characters that reorder how text is shown: refused everywhere."""


def refused_character(value: str, *, multiline: bool) -> str | None:
    """The first character ``value`` may not hold, or None: control characters
    (NUL, ESC, BEL...), lone surrogates and bidirectional overrides anywhere; line
    breaks and tabs except in several lines of prose."""
    allowed = LINE_BREAKS | {"\t"} if multiline else frozenset()
    for char in value:
        if char in allowed:
            continue
        kind = unicodedata.category(char)
        if kind in ("Cc", "Cs", "Zl", "Zp") or char in BIDI_CONTROLS:
            return char
    return None


def text(field: str, value: Any, *, max_len: int = MAX_TEXT, multiline: bool = False) -> str:
    """One line of text (several lines with ``multiline``), not empty, at most
    ``max_len`` characters, stripped; no control characters."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"「{field}」不能为空", f"'{field}' must not be empty", field=field)
    if len(value) > max_len:
        raise InvalidInput(
            f"「{field}」不能超过{max_len}字",
            f"'{field}' must be at most {max_len} characters",
            field=field,
        )
    char = refused_character(value, multiline=multiline)
    if char is not None:
        raise InvalidInput(
            f"「{field}」含有不允许的控制字符（U+{ord(char):04X}）"
            + ("" if multiline else "，且须为单行"),
            f"'{field}' holds a character that is not allowed (U+{ord(char):04X})"
            + ("" if multiline else "; it is one line"),
            field=field,
            character=f"U+{ord(char):04X}",
        )
    return value.strip()


def prose(field: str, value: Any, *, max_len: int = MAX_TEXT) -> str:
    """A few sentences: :func:`text` that may run over several lines."""
    return text(field, value, max_len=max_len, multiline=True)


def choice(field: str, value: Any, enum: type[E]) -> E:
    try:
        return enum(value)
    except ValueError:
        allowed = [m.value for m in enum]
        raise InvalidInput(
            f"「{field}」必须是以下之一：{'、'.join(label(v) for v in allowed)}",
            f"'{field}' must be one of: {', '.join(allowed)}",
            field=field,
            allowed=allowed,
        ) from None


def moment(field: str, value: Any, *, window: tuple[datetime, datetime] | None = None) -> datetime:
    """A date and time with its zone; within ``window`` (earliest, latest) if given."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidInput(
            f"「{field}」必须是带时区的时间",
            f"'{field}' must be a timezone-aware datetime",
            field=field,
        )
    if window is not None and not _within(value, window):
        earliest, latest = (w.isoformat(timespec="seconds") for w in window)
        raise InvalidInput(
            f"「{field}」须在 {earliest} 至 {latest} 之间（不早于本县记录开始，不晚于现在）",
            f"'{field}' must lie between {earliest} and {latest} "
            "(not before the county's records begin, not after now)",
            field=field,
            earliest=earliest,
            latest=latest,
        )
    return value


def _within(value: datetime, window: tuple[datetime, datetime]) -> bool:
    try:
        return window[0] <= value <= window[1]
    except OverflowError:  # a moment with no time in UTC (year 1 at UTC+14)
        return False


def incident_id(field: str, value: Any) -> UUID:
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        raise InvalidInput(
            f"「{field}」不是有效的警情编号", f"'{field}' is not a valid incident id", field=field
        ) from None


def score_items(value: Any, max_points: int) -> list[dict[str, Any]]:
    """Score items as ``[{"item": str, "points": int}, ...]`` within ``max_points`` in all."""
    if not isinstance(value, list) or not value:
        raise InvalidInput("考评项目不能为空", "score items must not be empty", field="items")
    items: list[dict[str, Any]] = []
    for entry in value:
        points = entry.get("points") if isinstance(entry, dict) else None
        if type(points) is not int or points < 0:
            raise InvalidInput(
                "每个考评项目的分值必须是非负整数",
                "each score item needs a non-negative whole number of points",
                field="items",
            )
        items.append({"item": text("item", entry.get("item"), max_len=100), "points": points})
    total = sum(i["points"] for i in items)
    if total > max_points:
        raise InvalidInput(
            f"考评总分{total}超过上限{max_points}分",
            f"score total {total} exceeds the maximum of {max_points}",
            field="items",
            total=total,
            maximum=max_points,
        )
    return items
