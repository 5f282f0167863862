"""The Task aggregate: a duty task (任务发布) a station publishes and volunteers take.

Fuping: "各乡镇派出所具体下发活动任务实施管理，'蓝马甲'治安志愿者根据自身时间和所处地点
选择参加任务". A task has a time and a place, the people it needs, an intensity and
the points each attendee earns. Volunteers sign up until the places are taken,
then wait in order and move up when a place frees; the leader checks them in and
out; completion credits each attendee's time within the task's window, once.

Who may act and what the policy allows (cut-offs, the check-in window, eligibility)
is decided by ``loop/`` before a method here is called; the aggregate keeps the
order of things: places never beyond the capacity, one entry per volunteer,
check-in only for the booked, completion once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from aggregates.actor import Actor
from aggregates.task_day import TaskDay
from aggregates.task_errors import (
    AlreadySignedUp,
    NotSignedUp,
    SignUpClosed,
    TaskClosed,
    TaskRefused,
)

STATUSES = {"open": "报名中", "cancelled": "已取消", "completed": "已完成"}


class Task(TaskDay, Aggregate):
    """One duty task, from publication to completion."""

    class Event(Aggregate.Event):
        actor: Actor

    class Published(Event, Aggregate.Created):
        unit: str  # the publishing unit: a community, a station or the county bureau
        community: str  # where it takes place
        kind: str
        topic: str
        place: str
        starts_at: datetime
        ends_at: datetime
        needed: int
        minimum: int
        team: str | None  # the specialty team it asks for, if any
        intensity: str  # light | normal | heavy
        points: int  # earned by each attendee on completion
        signup_closes_at: datetime
        withdraw_closes_at: datetime
        leader_id: str | None  # the volunteer who leads it (checks people in), if any
        checkin_key: str  # signs the check-in code shown on the roster page

    class Revised(Event):
        """A new time, place or number of places; ``reconfirm`` lists the booked
        volunteers asked to confirm again (the time or place changed)."""

        starts_at: datetime
        ends_at: datetime
        place: str
        needed: int
        minimum: int
        signup_closes_at: datetime
        withdraw_closes_at: datetime
        reason: str
        reconfirm: list[str]

        def apply(self, aggregate: Any) -> None:
            task: Task = aggregate
            for name in (
                "starts_at", "ends_at", "place", "needed", "minimum",
                "signup_closes_at", "withdraw_closes_at",
            ):  # fmt: skip
                setattr(task, name, getattr(self, name))
            for volunteer_id in self.reconfirm:
                task.booked[volunteer_id]["reconfirm"] = True

    class Cancelled(Event):
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "cancelled"

    class Booked(Event):
        volunteer_id: str
        request: str | None  # the sign-up's idempotency digest, if any

        def apply(self, aggregate: Any) -> None:
            aggregate.booked[self.volunteer_id] = {"request": self.request, "reconfirm": False}

    class Waitlisted(Event):
        volunteer_id: str
        position: int
        request: str | None

        def apply(self, aggregate: Any) -> None:
            aggregate.waitlist.append(self.volunteer_id)
            aggregate.waiting[self.volunteer_id] = {"request": self.request}

    class Promoted(Event):
        """A place freed: the first on the waitlist whose time is free takes it;
        ``passed_over`` lists those before him who could not, and why."""

        volunteer_id: str
        passed_over: list[dict[str, str]]

        def apply(self, aggregate: Any) -> None:
            task: Task = aggregate
            task.waitlist.remove(self.volunteer_id)
            entry = task.waiting.pop(self.volunteer_id)
            task.booked[self.volunteer_id] = {"request": entry["request"], "reconfirm": False}

    class Withdrew(Event):
        volunteer_id: str
        was: str  # booked | waitlisted
        late: bool  # after the withdrawal cut-off
        reason: str

        def apply(self, aggregate: Any) -> None:
            task: Task = aggregate
            if self.was == "booked":
                task.booked.pop(self.volunteer_id)
            else:
                task.waitlist.remove(self.volunteer_id)
                task.waiting.pop(self.volunteer_id)
            task.withdrawals.append({"volunteer_id": self.volunteer_id, "late": self.late})

    class Reconfirmed(Event):
        volunteer_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.booked[self.volunteer_id]["reconfirm"] = False

    class CheckedIn(Event):
        volunteer_id: str
        method: str  # qr (his phone scanned the roster's code) | hand (the leader)

        def apply(self, aggregate: Any) -> None:
            aggregate.attendance[self.volunteer_id] = {
                "in": self.timestamp,
                "out": None,
                "method": self.method,
            }

    class CheckedOut(Event):
        volunteer_id: str
        method: str

        def apply(self, aggregate: Any) -> None:
            aggregate.attendance[self.volunteer_id]["out"] = self.timestamp

    class NoShowRecorded(Event):
        volunteer_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.no_shows.append(self.volunteer_id)

    class Completed(Event):
        """What was done (reach in 人次, sessions, materials, evidence) and each
        booked volunteer's credit: ``attendance`` rows (minutes within the task's
        window, whether the check-out was missing and so credited to the scheduled
        end, the points earned); ``no_shows`` those who never came. Points are
        paid now, or once co-signed (``awaiting_signatures``)."""

        reach: int
        sessions: int
        materials: int
        evidence: str
        attendance: list[dict[str, Any]]
        no_shows: list[str]
        awaiting_signatures: bool

        def apply(self, aggregate: Any) -> None:
            task: Task = aggregate
            task.status = "completed"
            task.completion = {
                "reach": self.reach,
                "sessions": self.sessions,
                "materials": self.materials,
                "evidence": self.evidence,
                "attendance": self.attendance,
                "no_shows": self.no_shows,
            }
            task.points_state = "awaiting_signatures" if self.awaiting_signatures else "credited"

    class PointsSigned(Event):
        """A co-signature of the task's points; with both, they are credited."""

        signer_role: str  # director | officer
        completes: bool

        def apply(self, aggregate: Any) -> None:
            task: Task = aggregate
            task.signatures[self.signer_role] = self.actor.id
            if self.completes:
                task.points_state = "credited"

    def __init__(
        self,
        actor: Actor,  # noqa: ARG002 (every Created field is passed; the event keeps it)
        unit: str,
        community: str,
        kind: str,
        topic: str,
        place: str,
        starts_at: datetime,
        ends_at: datetime,
        needed: int,
        minimum: int,
        team: str | None,
        intensity: str,
        points: int,
        signup_closes_at: datetime,
        withdraw_closes_at: datetime,
        leader_id: str | None,
        checkin_key: str,
    ) -> None:
        self.unit = unit
        self.community = community
        self.kind = kind
        self.topic = topic
        self.place = place
        self.starts_at = starts_at
        self.ends_at = ends_at
        self.needed = needed
        self.minimum = minimum
        self.team = team
        self.intensity = intensity
        self.points = points
        self.signup_closes_at = signup_closes_at
        self.withdraw_closes_at = withdraw_closes_at
        self.leader_id = leader_id
        self.checkin_key = checkin_key
        self.status = "open"
        self.booked: dict[str, dict[str, Any]] = {}
        self.waitlist: list[str] = []
        self.waiting: dict[str, dict[str, Any]] = {}
        self.withdrawals: list[dict[str, Any]] = []
        self.attendance: dict[str, dict[str, Any]] = {}
        self.no_shows: list[str] = []
        self.completion: dict[str, Any] | None = None
        self.points_state: str | None = None
        self.signatures: dict[str, str] = {}

    @classmethod
    def publish(
        cls, actor: Actor, at: datetime, *, task_id: UUID | None = None, **details: Any
    ) -> Task:
        """``details``: every field of :class:`Task.Published`, checked by the service."""
        return cls._create(
            cls.Published, id=task_id or uuid4(), timestamp=at, actor=actor, **details
        )

    # -- reading ----------------------------------------------------------------------

    @property
    def free_places(self) -> int:
        return max(0, self.needed - len(self.booked))

    def entry_of(self, volunteer_id: str) -> dict[str, Any] | None:
        """The volunteer's sign-up (``state``: booked or waitlisted; ``position`` on
        the waitlist; the ``request`` digest), or None."""
        if volunteer_id in self.booked:
            return {"state": "booked", "position": None, **self.booked[volunteer_id]}
        if volunteer_id in self.waiting:
            position = self.waitlist.index(volunteer_id) + 1
            return {"state": "waitlisted", "position": position, **self.waiting[volunteer_id]}
        return None

    # -- the station's steps -----------------------------------------------------------

    def revise(self, actor: Actor, at: datetime, *, reason: str, **schedule: Any) -> list[str]:
        """A new schedule (every field of :class:`Task.Revised` but the reason and
        the reconfirmations); returns the booked volunteers asked to reconfirm."""
        self._check_open()
        if at >= self.starts_at:
            raise TaskRefused(
                "任务已开始，不能再修改", "The task has started; it cannot be revised"
            )
        if schedule["needed"] < len(self.booked):
            raise TaskRefused(
                f"已有{len(self.booked)}人报名，名额不能减少到{schedule['needed']}人",
                f"{len(self.booked)} are booked; the places cannot drop to {schedule['needed']}",
                booked=len(self.booked),
            )
        moved = (schedule["starts_at"], schedule["ends_at"], schedule["place"]) != (
            self.starts_at,
            self.ends_at,
            self.place,
        )
        reconfirm = list(self.booked) if moved else []
        self._record(self.Revised, actor, at, reason=reason, reconfirm=reconfirm, **schedule)
        return reconfirm

    def cancel(self, actor: Actor, at: datetime, *, reason: str) -> list[str]:
        """Cancel the task; returns the volunteers who were booked."""
        self._check_open()
        booked = list(self.booked)
        self._record(self.Cancelled, actor, at, reason=reason)
        return booked

    # -- the volunteer's steps ---------------------------------------------------------

    def sign_up(
        self, actor: Actor, at: datetime, *, volunteer_id: str, request: str | None
    ) -> dict[str, Any]:
        """Book a free place, or join the waitlist when none is free; returns the
        volunteer's entry (:meth:`entry_of`)."""
        self._check_open()
        if self.entry_of(volunteer_id) is not None:
            raise AlreadySignedUp(
                "已报名该任务，不能重复报名",
                "Already signed up for this task",
                volunteer_id=volunteer_id,
                **{k: v for k, v in (self.entry_of(volunteer_id) or {}).items() if k != "request"},
            )
        if at > self.signup_closes_at:
            raise SignUpClosed(
                "该任务报名已截止",
                "Sign-up for this task has closed",
                closed_at=self.signup_closes_at.isoformat(),
            )
        if self.free_places:
            self._record(self.Booked, actor, at, volunteer_id=volunteer_id, request=request)
        else:
            self._record(
                self.Waitlisted,
                actor,
                at,
                volunteer_id=volunteer_id,
                position=len(self.waitlist) + 1,
                request=request,
            )
        entry = self.entry_of(volunteer_id)
        assert entry is not None
        return entry

    def withdraw(self, actor: Actor, at: datetime, *, volunteer_id: str, reason: str) -> bool:
        """Leave the task or its waitlist; returns whether it was late (after the
        withdrawal cut-off, and not the answer to a revision of time or place)."""
        self._check_open()
        entry = self._entry(volunteer_id)
        if at >= self.starts_at:
            raise TaskRefused(
                "任务已开始，不能退出；未到岗将记为缺勤",
                "The task has started; one who does not come is recorded as a no-show",
            )
        late = (
            entry["state"] == "booked"
            and at > self.withdraw_closes_at
            and not entry.get("reconfirm", False)
        )
        self._record(
            self.Withdrew,
            actor,
            at,
            volunteer_id=volunteer_id,
            was=entry["state"],
            late=late,
            reason=reason,
        )
        return late

    def promote(
        self, actor: Actor, at: datetime, *, volunteer_id: str, passed_over: list[dict[str, str]]
    ) -> None:
        if not self.free_places or volunteer_id not in self.waiting:
            raise TaskRefused(
                "没有可递补的名额", "No place to move up to", volunteer_id=volunteer_id
            )
        self._record(
            self.Promoted,
            actor,
            at,
            volunteer_id=volunteer_id,
            passed_over=passed_over,
        )

    def reconfirm(self, actor: Actor, at: datetime, *, volunteer_id: str) -> None:
        self._check_open()
        entry = self._entry(volunteer_id)
        if not entry.get("reconfirm"):
            raise TaskRefused(
                "无需确认：任务时间地点未变更", "Nothing to reconfirm", volunteer_id=volunteer_id
            )
        self._record(self.Reconfirmed, actor, at, volunteer_id=volunteer_id)

    # -- guards ---------------------------------------------------------------------------

    def _record(self, event: Any, actor: Actor, at: datetime, **facts: Any) -> None:
        self.trigger_event(event, actor=actor, timestamp=at, **facts)

    def _check_open(self) -> None:
        if self.status != "open":
            raise TaskClosed(
                f"任务{STATUSES[self.status]}，不能办理此事项",
                f"The task is {self.status}",
                status=self.status,
            )

    def _entry(self, volunteer_id: str) -> dict[str, Any]:
        entry = self.entry_of(volunteer_id)
        if entry is None:
            raise NotSignedUp(
                "未报名该任务", "Not signed up for this task", volunteer_id=volunteer_id
            )
        return entry

    def _booked(self, volunteer_id: str) -> None:
        if volunteer_id not in self.booked:
            raise NotSignedUp(
                "该义警未获得此任务名额", "Not booked on this task", volunteer_id=volunteer_id
            )
