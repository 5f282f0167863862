"""``Tasks``: duty tasks (任务发布) a station publishes and volunteers choose.

Fuping: "各乡镇派出所具体下发活动任务实施管理，'蓝马甲'治安志愿者根据自身时间和所处地点
选择参加任务". Each command validates its input, loads the task, checks who may act
and what the policy allows, records and saves through :meth:`LoopApplication.commit`.
A new time changes the task and its volunteers' rosters in one save. The volunteer's
choice (sign-up, withdrawal, reconfirmation) is in
:class:`loop.services.task_signups.TaskSignUps`; the steps on the day (check-in,
completion, points) in :class:`loop.services.task_day.TaskDay`.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import NamedTuple
from uuid import UUID

from aggregates.actor import Actor
from aggregates.errors import DomainError
from aggregates.roster import Roster, roster_id
from aggregates.task import Task
from aggregates.volunteer import Volunteer
from loop.errors import (
    InvalidInput,
    TaskNotFound,
    VolunteerIneligible,
)
from loop.rules import inputs, permissions, units
from loop.rules.scoring import CHINA, LISHU_SCORING, ScoringPolicy
from loop.rules.task_access import task_record
from loop.rules.task_inputs import choice, schedule, whole
from loop.rules.tasks import INTENSITIES, KINDS, eligibility_scope, ineligibility, task_policy_for
from loop.rules.training import training_policy_for
from loop.rules.vocabulary import Role
from loop.services.task_day import TaskDay
from loop.services.task_signups import TaskSignUps
from loop.services.training_gate import duty_refusal
from loop.services.volunteers import Volunteers
from loop.storage.application import LoopApplication


class TaskAck(NamedTuple):
    task_id: str
    version: int
    status: str
    booked: int
    waitlisted: int
    position: int | None


def task_uuid(task_id: UUID | str) -> UUID:
    if isinstance(task_id, UUID):
        return task_id
    try:
        return UUID(str(task_id))
    except ValueError:
        raise TaskNotFound("任务不存在", "No such task", task_id=str(task_id)) from None


class Tasks(TaskSignUps, TaskDay):
    """Commands on duty tasks, stored in the one application store ``app``."""

    def __init__(self, app: LoopApplication, scoring: ScoringPolicy = LISHU_SCORING) -> None:
        self.app = app
        self.scoring = scoring
        self.policy = task_policy_for(scoring)
        self.training = training_policy_for(scoring)
        self.volunteers = Volunteers(app, scoring)

    # -- reading ---------------------------------------------------------------------

    def get(self, task_id: UUID | str) -> Task:
        """The task; :class:`TaskNotFound` if there is none under that id."""
        task = self.app.find(task_uuid(task_id), Task)
        if task is None:
            raise TaskNotFound("任务不存在", "No such task", task_id=str(task_id))
        return task

    def roster(self, volunteer_id: str, actor: Actor, at: datetime) -> Roster:
        """The volunteer's roster, opened (not yet saved) by ``actor`` if he has none."""
        found = self.app.find(roster_id(volunteer_id), Roster)
        if found is not None:
            return found
        return Roster.open(actor, at, volunteer_id=volunteer_id)

    def why_not(self, volunteer: Volunteer, task: Task) -> DomainError | None:
        """Why ``volunteer`` may not take ``task`` (status, flexible duty, team,
        station, the duty gate: 考试合格后方可上岗), or None."""
        found = ineligibility(
            self.policy,
            status=volunteer.status,
            teams=volunteer.teams,
            community=volunteer.community,
            intensity=task.intensity,
            team=task.team,
            scope=eligibility_scope(task.unit, task.community),
        )
        if found is not None:
            return VolunteerIneligible(found[0], found[1], **found[2])
        return self.training_refusal(volunteer)

    def training_refusal(self, volunteer: Volunteer) -> DomainError | None:
        """Why the county's duty gate or a shortfall of the year's training days keeps
        ``volunteer`` off duty, or None."""
        today = self.app.clock().astimezone(CHINA).date()
        return duty_refusal(self.app, self.training, volunteer, today)

    def may_run(self, actor: Actor, task: Task) -> bool:
        """Whether ``actor`` leads the task or may run it for his unit."""
        if actor.role == Role.VOLUNTEER and actor.id == task.leader_id:
            return True
        return permissions.may("run_task", actor, task_record(task.community))

    def check_may_run(self, actor: Actor, task: Task) -> None:
        if not self.may_run(actor, task):
            permissions.check("run_task", actor, task_record(task.community))

    # -- publishing --------------------------------------------------------------------

    def publish(
        self,
        actor: Actor,
        *,
        kind: str,
        topic: str,
        place: str,
        starts_at: datetime,
        ends_at: datetime,
        needed: int,
        community: str | None = None,
        minimum: int = 1,
        team: str | None = None,
        intensity: str = "normal",
        points: int | None = None,
        signup_closes_at: datetime | None = None,
        withdraw_closes_at: datetime | None = None,
        leader_id: str | None = None,
        task_id: UUID | None = None,
    ) -> TaskAck:
        """Publish a task for a community of the actor's unit (his own, for a
        community officer): what, where, when, how many, for whom, for how many points."""
        at = self.app.clock()
        where = community or actor.unit
        if not units.is_community(where) or not units.within(where, actor.unit):
            raise InvalidInput(
                "任务须安排在本单位辖区内的社区",
                "A task takes place in a community within the actor's unit",
                field="community",
            )
        details = {
            "kind": choice("kind", kind, KINDS),
            "topic": inputs.text("topic", topic, max_len=100),
            "place": inputs.text("place", place, max_len=200),
            # the county preset's specialty teams (volunteers carries the preset)
            "team": None if team in (None, "") else self.volunteers.county.team(team),
            "intensity": choice("intensity", intensity, INTENSITIES),
            "points": whole(
                "points",
                self.policy.points_min if points is None else points,
                self.policy.points_min,
                self.policy.points_max,
            ),
            "leader_id": self._leader(leader_id),
            **schedule(
                self.policy,
                at,
                starts_at,
                ends_at,
                needed,
                minimum,
                signup_closes_at,
                withdraw_closes_at,
            ),
        }
        permissions.check("publish_task", actor, task_record(where))
        if task_id is not None and task_id in self.app.repository:
            raise InvalidInput("任务编号已被使用", "That task id is taken", field="task_id")
        task = Task.publish(
            actor,
            at,
            task_id=task_id,
            unit=actor.unit,
            community=where,
            checkin_key=secrets.token_hex(16),
            **details,
        )
        return self._ack(task, self.app.commit(task))

    def revise(
        self,
        actor: Actor,
        task_id: UUID | str,
        *,
        reason: str,
        starts_at: datetime | None = None,
        ends_at: datetime | None = None,
        place: str | None = None,
        needed: int | None = None,
        minimum: int | None = None,
        signup_closes_at: datetime | None = None,
        withdraw_closes_at: datetime | None = None,
    ) -> TaskAck:
        """A new time, place or number of places. The booked volunteers' rosters follow
        a new time (refused if it clashes with another of their bookings); a new time
        or place asks them to reconfirm; more places move the waitlist up."""
        why = inputs.prose("reason", reason, max_len=500)
        new_place = None if place is None else inputs.text("place", place, max_len=200)
        task = self.get(task_id)
        permissions.check("publish_task", actor, task_record(task.community))
        at = self.app.clock()
        planned = schedule(
            self.policy,
            at,
            starts_at or task.starts_at,
            ends_at or task.ends_at,
            task.needed if needed is None else needed,
            task.minimum if minimum is None else minimum,
            signup_closes_at or (task.signup_closes_at if starts_at is None else None),
            withdraw_closes_at or (task.withdraw_closes_at if starts_at is None else None),
        )
        rosters = []
        if (planned["starts_at"], planned["ends_at"]) != (task.starts_at, task.ends_at):
            for volunteer_id in task.booked:
                roster = self.roster(volunteer_id, actor, at)
                roster.book(
                    actor,
                    at,
                    task_id=str(task.id),
                    starts_at=planned["starts_at"],
                    ends_at=planned["ends_at"],
                    daily_cap_minutes=self.policy.daily_hours_cap * 60,
                    zone=CHINA,
                )
                rosters.append(roster)
        task.revise(actor, at, reason=why, place=new_place or task.place, **planned)
        rosters += self._fill(task, actor, at)
        return self._ack(task, self.app.commit(task, *rosters))

    def cancel(self, actor: Actor, task_id: UUID | str, *, reason: str) -> TaskAck:
        """Cancel the task; every booking it held is released."""
        why = inputs.prose("reason", reason, max_len=500)
        task = self.get(task_id)
        permissions.check("publish_task", actor, task_record(task.community))
        at = self.app.clock()
        rosters = []
        for volunteer_id in task.cancel(actor, at, reason=why):
            roster = self.roster(volunteer_id, actor, at)
            roster.release(actor, at, task_id=str(task.id), reason="cancelled")
            rosters.append(roster)
        return self._ack(task, self.app.commit(task, *rosters))

    # -- helpers -------------------------------------------------------------------------

    def _fill(self, task: Task, actor: Actor, at: datetime) -> list[Roster]:
        """Move the waitlist up into the free places: in order, each whose status and
        time allow it; those passed over keep their place in line."""
        changed = []
        passed_over: list[dict[str, str]] = []
        for volunteer_id in list(task.waitlist):
            if not task.free_places:
                break
            roster = self.roster(volunteer_id, actor, at)
            refusal: DomainError | None = self.why_not(self.volunteers.get(volunteer_id), task)
            if refusal is None:
                try:
                    roster.book(
                        actor,
                        at,
                        task_id=str(task.id),
                        starts_at=task.starts_at,
                        ends_at=task.ends_at,
                        daily_cap_minutes=self.policy.daily_hours_cap * 60,
                        zone=CHINA,
                    )
                except DomainError as error:  # another booking at that time, or the cap
                    refusal = error
            if refusal is not None:
                passed_over.append({"volunteer_id": volunteer_id, "reason": refusal.code})
                continue
            task.promote(actor, at, volunteer_id=volunteer_id, passed_over=passed_over)
            passed_over = []
            changed.append(roster)
        return changed

    def _leader(self, leader_id: str | None) -> str | None:
        if leader_id in (None, ""):
            return None
        leader = self.volunteers.get(str(leader_id))
        if leader.status not in ("active", "flexible"):
            raise InvalidInput(
                "带队义警须为在岗义警", "The leader must be a serving volunteer", field="leader_id"
            )
        return leader.volunteer_id

    @staticmethod
    def _ack(task: Task, position: int | None) -> TaskAck:
        return TaskAck(
            str(task.id), task.version, task.status, len(task.booked), len(task.waitlist), position
        )
