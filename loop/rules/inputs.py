"""Validation of command input; a failure raises :class:`InvalidInput` before any load."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar
from uuid import UUID

from loop.errors import InvalidInput
from loop.rules.vocabulary import label

E = TypeVar("E", bound=StrEnum)

MAX_TEXT = 2000


def text(field: str, value: Any, *, max_len: int = MAX_TEXT) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"「{field}」不能为空", f"'{field}' must not be empty", field=field)
    if len(value) > max_len:
        raise InvalidInput(
            f"「{field}」不能超过{max_len}字",
            f"'{field}' must be at most {max_len} characters",
            field=field,
        )
    return value.strip()


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


def moment(field: str, value: Any) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidInput(
            f"「{field}」必须是带时区的时间",
            f"'{field}' must be a timezone-aware datetime",
            field=field,
        )
    return value


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
