"""The steps of a duty task on its day: check-in and check-out, no-shows,
completion and the co-signature of its points; mixed into :class:`Task`
(``aggregates.task``), whose events they record.

Credited time is the overlap of a volunteer's check-in to check-out with the
task's window; a missing check-out counts to the scheduled end, and is flagged.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aggregates.actor import Actor
from aggregates.roster import overlap_minutes
from aggregates.task_errors import OutsideCheckInWindow, TaskClosed, TaskRefused

SIGNERS = {"community_director": "director", "community_officer": "officer"}


class TaskDay:
    """What :class:`Task` does on the day (its state and events are the task's)."""

    # the task's state and events, as this mixin uses them
    starts_at: datetime
    ends_at: datetime
    points: int
    status: str
    booked: dict[str, dict[str, Any]]
    attendance: dict[str, dict[str, Any]]
    no_shows: list[str]
    points_state: str | None
    signatures: dict[str, str]
    pending_events: Any
    CheckedIn: Any
    CheckedOut: Any
    NoShowRecorded: Any
    Completed: Any
    PointsSigned: Any

    def _record(self, event: Any, actor: Actor, at: datetime, **facts: Any) -> None:
        raise NotImplementedError

    def _check_open(self) -> None:
        raise NotImplementedError

    def _booked(self, volunteer_id: str) -> None:
        raise NotImplementedError

    def check_in(
        self, actor: Actor, at: datetime, *, volunteer_id: str, method: str, opens_before: timedelta
    ) -> None:
        """Record arrival, from ``opens_before`` the start until the end."""
        self._check_open()
        self._booked(volunteer_id)
        if volunteer_id in self.attendance:
            raise TaskRefused("已签到", "Already checked in", volunteer_id=volunteer_id)
        if volunteer_id in self.no_shows:
            raise TaskRefused("已记为缺勤", "Already recorded as a no-show")
        opens = self.starts_at - opens_before
        if not opens <= at <= self.ends_at:
            raise OutsideCheckInWindow(
                f"签到时间为任务开始前{int(opens_before.total_seconds() // 60)}分钟至任务结束",
                f"Check-in is open from {int(opens_before.total_seconds() // 60)} minutes "
                "before the start until the end",
                opens_at=opens.isoformat(),
                closes_at=self.ends_at.isoformat(),
            )
        self._record(self.CheckedIn, actor, at, volunteer_id=volunteer_id, method=method)

    def check_out(self, actor: Actor, at: datetime, *, volunteer_id: str, method: str) -> None:
        self._check_open()
        record = self.attendance.get(volunteer_id)
        if record is None:
            raise TaskRefused("尚未签到，不能签退", "Not checked in", volunteer_id=volunteer_id)
        if record["out"] is not None:
            raise TaskRefused("已签退", "Already checked out", volunteer_id=volunteer_id)
        self._record(self.CheckedOut, actor, at, volunteer_id=volunteer_id, method=method)

    def record_no_show(self, actor: Actor, at: datetime, *, volunteer_id: str) -> None:
        self._check_open()
        self._booked(volunteer_id)
        if at < self.starts_at:
            raise TaskRefused("任务尚未开始，不能记缺勤", "The task has not started yet")
        if volunteer_id in self.attendance or volunteer_id in self.no_shows:
            raise TaskRefused(
                "已签到或已记缺勤", "Already checked in or recorded", volunteer_id=volunteer_id
            )
        self._record(self.NoShowRecorded, actor, at, volunteer_id=volunteer_id)

    def credit(self) -> tuple[list[dict[str, Any]], list[str]]:
        """Each booked volunteer's credit as completion would record it now:
        attendance rows and the no-shows."""
        window = (self.starts_at, self.ends_at)
        rows, absent = [], []
        for volunteer_id in self.booked:
            record = self.attendance.get(volunteer_id)
            if record is None:
                absent.append(volunteer_id)
                continue
            out = record["out"] or self.ends_at
            minutes = overlap_minutes((record["in"], out), window)
            rows.append(
                {
                    "volunteer_id": volunteer_id,
                    "checked_in": record["in"].isoformat(),
                    "checked_out": None if record["out"] is None else record["out"].isoformat(),
                    "missing_checkout": record["out"] is None,
                    "minutes": minutes,
                    "points": self.points if minutes > 0 else 0,
                }
            )
        return rows, absent

    def complete(
        self,
        actor: Actor,
        at: datetime,
        *,
        reach: int,
        sessions: int,
        materials: int,
        evidence: str,
        awaiting_signatures: bool,
    ) -> Any:
        """Complete once: after the end, or once everyone who came has checked out."""
        if self.status == "completed":
            raise TaskClosed("任务已完成，不能重复完成", "The task was completed already")
        self._check_open()
        if at < self.starts_at:
            raise TaskRefused("任务尚未开始，不能完成", "The task has not started yet")
        still_in = [v for v, r in self.attendance.items() if r["out"] is None]
        if at < self.ends_at and still_in:
            raise TaskRefused(
                "任务尚未结束，仍有义警未签退",
                "The task has not ended and some have not checked out",
                still_in=still_in,
            )
        rows, absent = self.credit()
        self._record(
            self.Completed,
            actor,
            at,
            reach=reach,
            sessions=sessions,
            materials=materials,
            evidence=evidence,
            attendance=rows,
            no_shows=absent,
            awaiting_signatures=awaiting_signatures and any(r["points"] for r in rows),
        )
        completed = self.pending_events[-1]
        assert isinstance(completed, self.Completed)
        return completed

    def sign_points(self, actor: Actor, at: datetime) -> bool:
        """Co-sign the task's points as community director or officer; returns
        whether this signature completes them (both have signed)."""
        if self.points_state != "awaiting_signatures":
            raise TaskRefused("该任务没有待签字的积分", "No points of this task await signatures")
        role = SIGNERS.get(actor.role)
        if role is None:
            raise TaskRefused(
                "任务积分须由社区主任和社区民警共同签字",
                "Task points are co-signed by the community director and officer",
            )
        if role in self.signatures:
            raise TaskRefused("该身份已签字", "Already signed in this role", role=role)
        if actor.id in self.signatures.values():
            raise TaskRefused(
                "同一人不能以两种身份签字", "One person cannot sign in both roles", signer=actor.id
            )
        completes = len(self.signatures) == len(SIGNERS) - 1
        self._record(self.PointsSigned, actor, at, signer_role=role, completes=completes)
        return completes
