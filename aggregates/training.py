"""The TrainingSession aggregate: one training a county bureau or a station holds.

Fuping: "普遍性培训由阜平县公安局负责，对新招募的志愿者进行岗前集中培训 … 针对性培训根据
暑期、汛期等不同时期的工作任务要求，邀请消防救援大队、'蓝天救援队''帮大哥'等讲解". Lishu:
"缺会'义警'再找时间地点进行培训，利用'社区警校'采取视频培训". A session has a kind, a topic,
the organisation that teaches it, a calendar day, a day credit (half or whole day)
and a mode; attendance is recorded per volunteer and corrected by a later event,
never erased.

The service (``loop.services.training``) checks input, who may act and what the
preset credits; the aggregate keeps the order of things.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from aggregates.actor import Actor
from aggregates.training_errors import AttendanceRefused, TrainingRefused


class TrainingSession(Aggregate):
    """One scheduled training, its attendance and its corrections."""

    class Event(Aggregate.Event):
        actor: Actor

    class Scheduled(Event, Aggregate.Created):
        unit: str  # the county bureau or station that holds it (its volunteers attend)
        kind: str  # pre_duty | regular | targeted
        topic: str
        instructor: str  # the organisation that teaches: 县公安局, 消防救援大队, 蓝天救援队 …
        day: str  # the calendar day, YYYY-MM-DD (Asia/Shanghai)
        halves: int  # the day credit in half days: 1 (half a day) or 2 (a whole day)
        mode: str  # in_person | on_site | video | shadowing
        place: str

    class AttendanceRecorded(Event):
        volunteer_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.attendance[self.volunteer_id] = True

    class AttendanceCorrected(Event):
        """The earlier record was wrong: ``present`` is what is true; ``reason`` why."""

        volunteer_id: str
        present: bool
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.attendance[self.volunteer_id] = self.present
            aggregate.corrections.append(
                {"volunteer_id": self.volunteer_id, "present": self.present, "reason": self.reason}
            )

    class Cancelled(Event):
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "cancelled"

    def __init__(
        self,
        actor: Actor,  # noqa: ARG002 (every Created field is passed; the event keeps it)
        unit: str,
        kind: str,
        topic: str,
        instructor: str,
        day: str,
        halves: int,
        mode: str,
        place: str,
    ) -> None:
        self.unit = unit
        self.kind = kind
        self.topic = topic
        self.instructor = instructor
        self.day = day
        self.halves = halves
        self.mode = mode
        self.place = place
        self.status = "scheduled"
        self.attendance: dict[str, bool] = {}
        self.corrections: list[dict[str, Any]] = []

    @classmethod
    def schedule(
        cls, actor: Actor, at: datetime, *, session_id: UUID | None = None, **details: Any
    ) -> TrainingSession:
        """``details``: every field of :class:`TrainingSession.Scheduled`, checked."""
        return cls._create(
            cls.Scheduled, id=session_id or uuid4(), timestamp=at, actor=actor, **details
        )

    @property
    def present(self) -> list[str]:
        return [v for v, here in self.attendance.items() if here]

    def record_attendance(self, actor: Actor, at: datetime, *, volunteer_id: str) -> None:
        """The volunteer attended; a second record of him is refused (correct it)."""
        self._check_scheduled()
        if volunteer_id in self.attendance:
            raise AttendanceRefused(
                "该义警的出勤已登记；如有错误请更正，不能重复登记",
                "Attendance is already recorded for this volunteer; correct it instead",
                volunteer_id=volunteer_id,
                present=self.attendance[volunteer_id],
            )
        self.trigger_event(
            self.AttendanceRecorded, actor=actor, timestamp=at, volunteer_id=volunteer_id
        )

    def correct_attendance(
        self, actor: Actor, at: datetime, *, volunteer_id: str, present: bool, reason: str
    ) -> None:
        """Record what is true about one volunteer; the earlier record stays."""
        self._check_scheduled()
        if self.attendance.get(volunteer_id, False) == present:
            raise AttendanceRefused(
                "更正与现有记录相同，无需更正",
                "The correction states what is already recorded",
                volunteer_id=volunteer_id,
                present=present,
            )
        self.trigger_event(
            self.AttendanceCorrected,
            actor=actor,
            timestamp=at,
            volunteer_id=volunteer_id,
            present=present,
            reason=reason,
        )

    def cancel(self, actor: Actor, at: datetime, *, reason: str) -> None:
        self._check_scheduled()
        if self.attendance:
            raise TrainingRefused(
                "已登记出勤的培训不能取消", "A session with recorded attendance cannot be cancelled"
            )
        self.trigger_event(self.Cancelled, actor=actor, timestamp=at, reason=reason)

    def _check_scheduled(self) -> None:
        if self.status != "scheduled":
            raise TrainingRefused("该培训已取消", "The session was cancelled", status=self.status)
