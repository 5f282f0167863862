"""The volunteer's choice of a duty task (志愿者根据自身时间和所处地点选择参加任务):
sign-up, withdrawal, reconfirmation after a revision; mixed into
:class:`loop.services.tasks.Tasks`.

A booking changes the task and the volunteer's roster in one save, so places are
never taken beyond the capacity and one volunteer's bookings never overlap, even
when sign-ups race in several processes: the store refuses the later of two
changes to one task or roster, and the sign-up is then tried again on what is
stored (it never depends on a version the caller read).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple, TypeVar
from uuid import UUID

from aggregates.actor import Actor
from aggregates.errors import DomainError
from aggregates.roster import Roster
from aggregates.task import Task
from aggregates.volunteer import Volunteer
from loop.errors import ConcurrencyConflict, InvalidInput
from loop.rules import inputs, permissions
from loop.rules.scoring import CHINA
from loop.rules.task_access import task_record
from loop.rules.tasks import TaskPolicy
from loop.rules.vocabulary import Role
from loop.services.volunteers import Volunteers
from loop.storage.application import LoopApplication

T = TypeVar("T")

RETRIES = 8
"""Times a sign-up or withdrawal is tried again after another process changed the
task or a roster first."""


class SignUpAck(NamedTuple):
    """``state`` booked or waitlisted (with ``waitlist_position``); ``replayed`` when
    a retry found the sign-up it asked for already stored."""

    task_id: str
    volunteer_id: str
    state: str
    waitlist_position: int | None
    version: int
    replayed: bool
    position: int | None


class WithdrawalAck(NamedTuple):
    task_id: str
    volunteer_id: str
    late: bool
    promoted: list[str]
    version: int
    position: int | None


def retried(command: Callable[[], T]) -> T:
    """Run ``command()`` again on what is stored while another process wins the race
    for the same task or roster (a batch of the group committer never conflicts
    here: its conflicts are re-run one by one, each reaching this loop)."""
    for _ in range(RETRIES - 1):
        try:
            return command()
        except ConcurrencyConflict:
            continue
    return command()


class TaskSignUps:
    """The volunteer's choice; mixed into :class:`loop.services.tasks.Tasks`."""

    app: LoopApplication
    policy: TaskPolicy
    volunteers: Volunteers

    def get(self, task_id: UUID | str) -> Task:
        raise NotImplementedError

    def roster(self, volunteer_id: str, actor: Actor, at: datetime) -> Roster:
        raise NotImplementedError

    def why_not(self, volunteer: Volunteer, task: Task) -> DomainError | None:
        raise NotImplementedError

    def _fill(self, task: Task, actor: Actor, at: datetime) -> list[Roster]:
        raise NotImplementedError

    def sign_up(
        self,
        actor: Actor,
        task_id: UUID | str,
        *,
        volunteer_id: str | None = None,
        request: str | None = None,
    ) -> SignUpAck:
        """Take a place, or the next place on the waitlist when the task is full.

        ``request`` (an idempotency digest) is stored with the sign-up: asked again
        with the same one, the stored sign-up is answered (``replayed``) and nothing
        is written. Refused, with the reason, for an ineligible volunteer, after the
        sign-up cut-off, or when it overlaps another booking or exceeds the day's cap."""
        who = self._volunteer_id(actor, volunteer_id)
        return retried(lambda: self._sign_up(actor, task_id, who, request))

    def _sign_up(
        self, actor: Actor, task_id: UUID | str, volunteer_id: str, request: str | None
    ) -> SignUpAck:
        task = self.get(task_id)
        volunteer = self.volunteers.get(volunteer_id)
        permissions.check("sign_up", actor, task_record(volunteer.community, volunteer_id))
        entry = task.entry_of(volunteer_id)
        if entry is not None and request is not None and entry["request"] == request:
            return self._signed(task, volunteer_id, replayed=True, position=None)
        refusal = self.why_not(volunteer, task)
        if refusal is not None:
            raise refusal
        at = self.app.clock()
        roster = self.roster(volunteer_id, actor, at)
        limits: dict[str, Any] = {
            "daily_cap_minutes": self.policy.daily_hours_cap * 60,
            "zone": CHINA,
        }
        roster.check_free(str(task.id), task.starts_at, task.ends_at, **limits)
        signed = task.sign_up(actor, at, volunteer_id=volunteer_id, request=request)
        changed: list[Any] = [task]
        if signed["state"] == "booked":
            roster.book(
                actor,
                at,
                task_id=str(task.id),
                starts_at=task.starts_at,
                ends_at=task.ends_at,
                **limits,
            )
            changed.append(roster)
        return self._signed(task, volunteer_id, replayed=False, position=self.app.commit(*changed))

    def withdraw(
        self,
        actor: Actor,
        task_id: UUID | str,
        *,
        volunteer_id: str | None = None,
        reason: str = "",
    ) -> WithdrawalAck:
        """Leave the task (or its waitlist) before it starts; after the withdrawal
        cut-off it is recorded as late. A freed place goes to the first on the
        waitlist whose time is free, in the same save."""
        who = self._volunteer_id(actor, volunteer_id)
        why = "" if reason in (None, "") else inputs.prose("reason", reason, max_len=500)
        return retried(lambda: self._withdraw(actor, task_id, who, why))

    def _withdraw(
        self, actor: Actor, task_id: UUID | str, volunteer_id: str, reason: str
    ) -> WithdrawalAck:
        task = self.get(task_id)
        volunteer = self.volunteers.get(volunteer_id)
        permissions.check("sign_up", actor, task_record(volunteer.community, volunteer_id))
        at = self.app.clock()
        was_booked = volunteer_id in task.booked
        late = task.withdraw(actor, at, volunteer_id=volunteer_id, reason=reason)
        changed: list[Any] = []
        if was_booked:
            roster = self.roster(volunteer_id, actor, at)
            roster.release(actor, at, task_id=str(task.id), reason="withdrew")
            changed.append(roster)
        waiting = list(task.waitlist)
        changed += self._fill(task, actor, at)
        promoted = [v for v in waiting if v in task.booked]
        position = self.app.commit(task, *changed)
        return WithdrawalAck(str(task.id), volunteer_id, late, promoted, task.version, position)

    def reconfirm(
        self, actor: Actor, task_id: UUID | str, *, volunteer_id: str | None = None
    ) -> SignUpAck:
        """Confirm a booking after the task's time or place was revised."""
        who = self._volunteer_id(actor, volunteer_id)
        task = self.get(task_id)
        volunteer = self.volunteers.get(who)
        permissions.check("sign_up", actor, task_record(volunteer.community, who))
        task.reconfirm(actor, self.app.clock(), volunteer_id=who)
        return self._signed(task, who, replayed=False, position=self.app.commit(task))

    @staticmethod
    def _volunteer_id(actor: Actor, volunteer_id: str | None) -> str:
        if volunteer_id in (None, ""):
            if actor.role != Role.VOLUNTEER:
                raise InvalidInput(
                    "请指明为哪位义警办理", "Name the volunteer", field="volunteer_id"
                )
            return actor.id
        return inputs.text("volunteer_id", volunteer_id, max_len=100)

    @staticmethod
    def _signed(
        task: Task, volunteer_id: str, *, replayed: bool, position: int | None
    ) -> SignUpAck:
        entry = task.entry_of(volunteer_id) or {"state": "none", "position": None}
        return SignUpAck(
            str(task.id),
            volunteer_id,
            entry["state"],
            entry["position"],
            task.version,
            replayed,
            position,
        )
