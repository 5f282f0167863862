"""The steps of a duty task on its day: check-in and check-out (by the code the
volunteer's phone scans, or by hand), no-shows, completion and its points.

Completion credits each attendee's time within the task's window (a missing
check-out counts to the scheduled end, and is flagged) and his points, once: the
deposits name the task as their source and are saved with the completion, or,
where the preset co-signs task points (Lishu), with the second signature. A
no-show is deducted as the preset says, with the completion.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

from aggregates.actor import Actor
from aggregates.points_account import PointsAccount
from aggregates.task import Task
from loop.errors import InvalidInput, NotPermitted
from loop.rules import inputs, permissions
from loop.rules.scoring import ScoringPolicy
from loop.rules.task_access import task_record
from loop.rules.tasks import TaskPolicy
from loop.rules.vocabulary import Role
from loop.services.lookup import find_account
from loop.storage.application import LoopApplication


class AttendanceAck(NamedTuple):
    task_id: str
    volunteer_id: str
    step: str  # checked_in | checked_out | no_show
    method: str | None
    at: str
    version: int
    position: int | None


class CompletionAck(NamedTuple):
    task_id: str
    version: int
    attended: int
    no_shows: int
    minutes: int
    points_credited: int
    awaiting_signatures: bool
    position: int | None


def check_in_code(task: Task) -> str:
    """The code on the roster page's QR: proof of being at the task, per task."""
    digest = hmac.new(task.checkin_key.encode(), str(task.id).encode(), hashlib.sha256)
    return digest.hexdigest()[:16]


def _count(field: str, value: Any) -> int:
    if type(value) is not int or not 0 <= value <= 1_000_000:
        raise InvalidInput(
            f"「{field}」必须是0到1000000之间的整数",
            f"'{field}' must be a whole number from 0 to 1000000",
            field=field,
        )
    return value


class TaskDay:
    """The day's steps; mixed into :class:`loop.services.tasks.Tasks`."""

    app: LoopApplication
    scoring: ScoringPolicy
    policy: TaskPolicy

    def get(self, task_id: UUID | str) -> Task:
        raise NotImplementedError

    def may_run(self, actor: Actor, task: Task) -> bool:
        raise NotImplementedError

    def check_may_run(self, actor: Actor, task: Task) -> None:
        raise NotImplementedError

    def check_in_code(self, actor: Actor, task_id: UUID | str) -> str:
        """The task's check-in code, for those who run it (the roster page's QR)."""
        task = self.get(task_id)
        self.check_may_run(actor, task)
        return check_in_code(task)

    def check_in(
        self, actor: Actor, task_id: UUID | str, volunteer_id: str, *, code: str | None = None
    ) -> AttendanceAck:
        """Record a booked volunteer's arrival: by himself with the roster's code
        (his phone scanned its QR), or by hand by the leader or the task's officers;
        from shortly before the start (the preset's window) until the end."""
        return self._attend(actor, task_id, volunteer_id, code, "checked_in")

    def check_out(
        self, actor: Actor, task_id: UUID | str, volunteer_id: str, *, code: str | None = None
    ) -> AttendanceAck:
        """Record his leaving (as check-in: by the code, or by hand)."""
        return self._attend(actor, task_id, volunteer_id, code, "checked_out")

    def record_no_show(self, actor: Actor, task_id: UUID | str, volunteer_id: str) -> AttendanceAck:
        """A booked volunteer did not come (after the start)."""
        who = inputs.text("volunteer_id", volunteer_id, max_len=100)
        task = self.get(task_id)
        self.check_may_run(actor, task)
        at = self.app.clock()
        task.record_no_show(actor, at, volunteer_id=who)
        return self._attended(task, who, "no_show", None, at, self.app.commit(task))

    def _attend(
        self, actor: Actor, task_id: UUID | str, volunteer_id: str, code: str | None, step: str
    ) -> AttendanceAck:
        who = inputs.text("volunteer_id", volunteer_id, max_len=100)
        task = self.get(task_id)
        if actor.role == Role.VOLUNTEER and actor.id == who and code is not None:
            method = "qr"
            if not hmac.compare_digest(str(code), check_in_code(task)):
                raise InvalidInput(
                    "签到码无效，请扫描本任务花名册上的二维码",
                    "The check-in code is not this task's; scan the roster's QR code",
                    field="code",
                )
        else:
            method = "hand"
            if actor.role == Role.VOLUNTEER and actor.id == who and not self.may_run(actor, task):
                raise NotPermitted(
                    "义警本人须扫描花名册上的二维码签到，或由带队人员手工签到",
                    "A volunteer checks in by scanning the roster's QR code, or is checked "
                    "in by hand by those who run the task",
                )
            self.check_may_run(actor, task)
        at = self.app.clock()
        if step == "checked_in":
            task.check_in(
                actor,
                at,
                volunteer_id=who,
                method=method,
                opens_before=self.policy.check_in_opens_before,
            )
        else:
            task.check_out(actor, at, volunteer_id=who, method=method)
        return self._attended(task, who, step, method, at, self.app.commit(task))

    # -- completion and points ------------------------------------------------------------

    def complete(
        self,
        actor: Actor,
        task_id: UUID | str,
        *,
        reach: int = 0,
        sessions: int = 1,
        materials: int = 0,
        evidence: str = "",
        also: tuple[Any, ...] = (),
    ) -> CompletionAck:
        """Complete the task once (by its officers): what was done (reach in 人次,
        sessions, materials handed out, evidence notes), each attendee's time and
        points, the no-shows; the points deposited now, or once co-signed.
        ``also``: aggregates changed with it (a delivered talk's order), saved with it."""
        done: dict[str, Any] = {
            "reach": _count("reach", reach),
            "sessions": _count("sessions", sessions),
            "materials": _count("materials", materials),
            "evidence": ""
            if evidence in (None, "")
            else inputs.prose("evidence", evidence, max_len=1000),
        }
        task = self.get(task_id)
        permissions.check("run_task", actor, task_record(task.community))
        at = self.app.clock()
        completed = task.complete(actor, at, awaiting_signatures=self.policy.cosigned, **done)
        accounts: dict[str, PointsAccount] = {}
        if self.policy.no_show_deduction > 0:
            for volunteer_id in completed.no_shows:
                account = find_account(self.app, volunteer_id)
                if account is None:
                    continue
                account.deduct(
                    actor,
                    at,
                    points=self.policy.no_show_deduction,
                    reason=f"未按时参加任务：{task.topic}",
                    kind="no_show",
                    period=self.scoring.period_of(task.starts_at),
                    basis={"task_id": str(task.id), "kind": task.kind, "topic": task.topic},
                )
                account.restar(actor, at, self.scoring.star_level(account.score))
                accounts[volunteer_id] = account
        credited = 0
        if not completed.awaiting_signatures:
            credited = self._deposit(task, actor, at, accounts)
        position = self.app.commit(task, *accounts.values(), *also)
        return CompletionAck(
            str(task.id),
            task.version,
            len(completed.attendance),
            len(completed.no_shows),
            sum(r["minutes"] for r in completed.attendance),
            credited,
            completed.awaiting_signatures,
            position,
        )

    def sign_points(self, actor: Actor, task_id: UUID | str) -> CompletionAck:
        """Co-sign the task's points (community director and officer of its
        community); the second signature deposits them."""
        task = self.get(task_id)
        permissions.check("sign_task_points", actor, task_record(task.community))
        at = self.app.clock()
        accounts: dict[str, PointsAccount] = {}
        credited = 0
        if task.sign_points(actor, at):
            credited = self._deposit(task, actor, at, accounts)
        assert task.completion is not None
        rows = task.completion["attendance"]
        return CompletionAck(
            str(task.id),
            task.version,
            len(rows),
            len(task.completion["no_shows"]),
            sum(r["minutes"] for r in rows),
            credited,
            task.points_state == "awaiting_signatures",
            self.app.commit(task, *accounts.values()),
        )

    def _deposit(
        self, task: Task, actor: Actor, at: datetime, accounts: dict[str, PointsAccount]
    ) -> int:
        """Each attendee's points into his account, the task named as the source."""
        assert task.completion is not None
        credited = 0
        period = self.scoring.period_of(task.starts_at)
        for row in task.completion["attendance"]:
            if not row["points"]:
                continue
            account = accounts.get(row["volunteer_id"]) or find_account(
                self.app, row["volunteer_id"]
            )
            if account is None:  # not admitted: nothing to credit
                continue
            credited += account.deposit(
                actor,
                at,
                source="task",
                source_id=str(task.id),
                points=row["points"],
                period=period,
                cap=self.scoring.cap_per_period,
                basis={
                    "task_id": str(task.id),
                    "kind": task.kind,
                    "topic": task.topic,
                    "minutes": row["minutes"],
                    "signers": dict(task.signatures),
                    "scoring": self.scoring.name,
                },
            )
            account.restar(actor, at, self.scoring.star_level(account.score))
            accounts[row["volunteer_id"]] = account
        return credited

    @staticmethod
    def _attended(
        task: Task,
        volunteer_id: str,
        step: str,
        method: str | None,
        at: datetime,
        position: int | None,
    ) -> AttendanceAck:
        return AttendanceAck(
            str(task.id), volunteer_id, step, method, at.isoformat(), task.version, position
        )
