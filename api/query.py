"""Query parameters, strict: the same aliases serve the API's reads and the
console's pages, so both refuse the same input the same way.

A whole number is decimal digits (not ``1.0``, ``1_000``, `` 1`` or ``true``); a
moment is ISO 8601 text with its zone (``api.schemas.Moment``); a filter takes
one of its known values, and an unknown one is refused with the values listed
(never answered as an empty list). An empty filter is no filter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import Query
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from aggregates.volunteer import STATUSES
from api.accounts import User
from loop.rules import inputs, permissions, units
from loop.rules.access import unit_record
from loop.rules.stages import STAGES
from loop.rules.vocabulary import Module

DIGITS = re.compile(r"[0-9]{1,19}")
MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


def _decimal(value: Any) -> Any:
    if isinstance(value, bool) or (isinstance(value, str) and not DIGITS.fullmatch(value)):
        raise PydanticCustomError(
            "whole_number", "须为十进制整数 / must be a whole number in decimal digits"
        )
    return value


DECIMAL = BeforeValidator(_decimal)
"""A whole number written in decimal digits: beside ``Query(...)`` in one
``Annotated[int, Query(...), DECIMAL]`` (nested, the document loses its bounds)."""


def known(values: Iterable[str]) -> BeforeValidator:
    """A filter's check: no value (or an empty one) is no filter; one of ``values``
    is kept; anything else is refused naming them."""
    allowed = list(values)

    def check(value: Any) -> Any:
        if value is None or value == "":
            return None
        if value not in allowed:
            raise PydanticCustomError(
                "unknown_value",
                "须为以下之一 / must be one of: {allowed}",
                {"allowed": allowed},
            )
        return value

    return BeforeValidator(check)


def one_of(values: Iterable[str], description: str) -> Any:
    """An optional filter taking one of ``values``: documented as their enum,
    anything else refused naming them."""
    allowed = list(values)
    return Annotated[
        str | None,
        Query(description=description, json_schema_extra={"enum": allowed}),
        known(allowed),
    ]


def _unit(value: Any) -> Any:
    if value is None or value == "":
        return None
    if (
        not isinstance(value, str)
        or len(value) > 200
        or units.level(value) is None
        or inputs.refused_character(value, multiline=False) is not None
        or value != value.strip()
    ):
        raise PydanticCustomError(
            "unit_format",
            "须为单位路径，如 lishu/chaoyang/xingfu / must be a unit path (lishu/chaoyang)",
        )
    return value


def _month(value: Any) -> Any:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not MONTH.fullmatch(value):
        raise PydanticCustomError(
            "month_format", "须为 YYYY-MM 格式的月份 / must be a month YYYY-MM"
        )
    return value


UnitFilter = Annotated[
    str | None,
    Query(max_length=200, description="默认本人单位 / default: yours"),
    BeforeValidator(_unit),
]
StageFilter = one_of(STAGES, "阶段 / stage")
ModuleFilter = one_of((m.value for m in Module), "模块 / module")
StatusFilter = one_of(STATUSES, "义警状态 / volunteer status")
MonthFilter = Annotated[
    str | None,
    Query(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="YYYY-MM"),
    BeforeValidator(_month),
]
Limit = Annotated[int, Query(ge=1, le=500), DECIMAL]


def unit_for(user: User, unit: str | None, action: str = "read_unit") -> str:
    """The unit a ``UnitFilter`` asks for (default: the user's), once the user may
    ``action`` on it (by default read its lists)."""
    chosen = unit or user.unit
    permissions.check(action, user.actor, unit_record(chosen))
    return chosen
