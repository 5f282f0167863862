"""Request bodies of the training endpoints. The loop validates every value again;
these give the OpenAPI document its shapes and refuse wrong types early."""

from __future__ import annotations

from datetime import date

from pydantic import Field, StrictBool, StrictInt

from api.schemas import Body


class SessionCreate(Body):
    kind: str = Field(max_length=16, description="pre_duty 岗前, regular 日常, targeted 针对性")
    topic: str = Field(max_length=100)
    instructor: str = Field(max_length=100, description="授课单位 / the teaching organisation")
    day: date
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
