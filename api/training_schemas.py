"""Request bodies of the training endpoints. The loop validates every value again;
these give the OpenAPI document its shapes and refuse wrong types early."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, Strict, StrictBool, StrictInt
from pydantic_core import PydanticCustomError

from api.schemas import Body

ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _day_text(value: Any) -> Any:
    """A calendar day is sent as ISO 8601 text (2026-07-11): not a number, not a
    moment."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not ISO_DAY.fullmatch(value):
        raise PydanticCustomError(
            "day_format", "须为 ISO 8601 日期，如 2026-07-11 / must be an ISO 8601 date"
        )
    return value


Day = Annotated[date, Strict(False), BeforeValidator(_day_text)]


class SessionCreate(Body):
    kind: str = Field(max_length=16, description="pre_duty 岗前, regular 日常, targeted 针对性")
    topic: str = Field(max_length=100)
    instructor: str = Field(max_length=100, description="授课单位 / the teaching organisation")
    day: Day
    credit: str = Field(max_length=8, description="half 半天 / whole 一天")
    mode: str = Field(max_length=16, description="in_person, on_site, video, shadowing")
    place: str = Field(max_length=200)
    unit: str | None = Field(
        default=None, max_length=200, description="默认本单位 / default: the actor's unit"
    )


class Attendee(Body):
    volunteer_id: str = Field(max_length=100)


class AttendanceCorrection(Attendee):
    present: StrictBool
    reason: str = Field(max_length=500)


class ExamResult(Body):
    score: StrictInt
    pass_mark: StrictInt | None = Field(default=None, description="默认60分 / default 60")


class Cancellation(Body):
    reason: str = Field(max_length=500)


class SuspensionChange(Body):
    """Why a volunteer is suspended for a shortfall of the year's days, or why it is
    lifted."""

    reason: str = Field(max_length=500)
