"""Duty tasks in the notification read model: what is told at once, and the
reminders planned from each open task and its bookings.

Fuping: "各乡镇派出所具体下发活动任务实施管理，'蓝马甲'治安志愿者根据自身时间和所处地点
选择参加任务". A task's events do not all name its time (a booking names only the
volunteer), so the read model keeps what its alerts need of each open task (unit,
kind, community, time, minimum, how many are booked) and who is booked on it.
After each batch, every task it touched is planned again from those rows, as an
incident's marks are planned from its current wait: a reminder for each booked
volunteer (``TaskRules.remind_before`` the start), and the publisher's one
under-filled alert. A withdrawal or a cancellation drops a volunteer's reminders,
a new time moves them; a mark's key holds the task, the volunteer, the start and
the lead, so a restart, a second clock or a rebuild tells each once.

Told at once, with the batch: the volunteer promoted off the waitlist, those a new
time or place asks to reconfirm, and those booked on a task cancelled.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select

from projections.base import handles, unit_level, utc
from projections.notifications import tables as outbox
from projections.notifications.outbox import Message
from projections.notifications.rules import (
    TIER_ROLES,
    Address,
    TaskRules,
    task_at_risk_at,
    task_params,
    task_reminders,
)
from projections.notifications.state import Batch


def reminder_key(task: dict[str, Any], volunteer_id: str, before_minutes: int) -> str:
    """A reminder's de-duplication key: the booking, the start it is for, its lead."""
    return (
        f"task_soon:{task['task_id']}:{volunteer_id}:"
        f"{task['starts_at']:%Y%m%dT%H%M%S}Z:{before_minutes}m"
    )


def at_risk_key(task_id: str) -> str:
    return f"task_at_risk:{task_id}"


MOOT = ("task_soon", "task_at_risk", "task_promoted", "task_revised")
"""What a task's cancellation, or a volunteer's withdrawal, leaves unsent (the
cancellation's own message goes)."""


def _unsent(batch: Batch, reason: str, event: Any, volunteer_id: str | None = None) -> None:
    """Cancel the pending deliveries of the task's messages told by the time of
    ``event`` (to ``volunteer_id`` only, if named): a text not yet sent for a task he
    left, or one cancelled, is not sent (nor, replayed, one told after he came back)."""
    m, d = outbox.messages, outbox.deliveries
    told = select(m.c.message_id).where(
        m.c.subject_id == str(event.originator_id),
        m.c.kind.in_(MOOT),
        m.c.created_at <= utc(event.timestamp),
    )
    conditions: list[ColumnElement[bool]] = [d.c.message_id.in_(told)]
    if volunteer_id is not None:
        conditions.append(d.c.recipient == volunteer_id)
    batch.cancels.append((reason, tuple(conditions)))


class TaskHandlers:
    """The task events' handlers, mixed into the notification projection."""

    task_rules: TaskRules

    # -- the station's steps ------------------------------------------------------------

    @handles("Task.Published")
    def task_published(self, batch: Batch, event: Any) -> None:
        at = utc(event.timestamp)
        task_id = str(event.originator_id)
        batch.tasks.put(
            {
                "task_id": task_id,
                "unit": event.unit,
                "community": event.community,
                "kind": event.kind,
                "starts_at": utc(event.starts_at),
                "ends_at": utc(event.ends_at),
                "minimum": int(event.minimum),
                "booked": 0,
                "planned_at": at,
                "moved_at": at,
                "short_since": None,
            }
        )
        batch.replan_tasks[task_id] = None

    @handles("Task.Revised")
    def task_revised(self, batch: Batch, event: Any) -> None:
        task = batch.tasks.get(str(event.originator_id))
        if task is None:  # not an open task this read model knows
            return
        at = utc(event.timestamp)
        starts, ends = utc(event.starts_at), utc(event.ends_at)
        if (starts, ends) != (task["starts_at"], task["ends_at"]):
            task["moved_at"] = at  # the reminders follow the new time
        task.update(
            starts_at=starts,
            ends_at=ends,
            minimum=int(event.minimum),
            planned_at=at,
            short_since=None,
        )
        for volunteer_id in event.reconfirm:
            self._tell_task(batch, event, "task_revised", task, volunteer_id, "important")
        batch.replan_tasks[task["task_id"]] = None

    @handles("Task.Cancelled")
    def task_cancelled(self, batch: Batch, event: Any) -> None:
        task = batch.tasks.get(str(event.originator_id))
        if task is None:
            return
        for volunteer_id in sorted(batch.booked.get(task["task_id"], {})):
            self._tell_task(batch, event, "task_cancelled", task, volunteer_id, "important")
        self._close(batch, task["task_id"])
        _unsent(batch, "task_cancelled", event)

    @handles("Task.Completed")
    def task_completed(self, batch: Batch, event: Any) -> None:
        self._close(batch, str(event.originator_id))

    # -- the volunteers' choice -----------------------------------------------------------

    @handles("Task.Booked")
    def task_booked(self, batch: Batch, event: Any) -> None:
        self._book(batch, event)

    @handles("Task.Promoted")
    def task_promoted(self, batch: Batch, event: Any) -> None:
        task = self._book(batch, event)
        if task is not None:
            self._tell_task(batch, event, "task_promoted", task, event.volunteer_id, "normal")

    @handles("Task.Withdrew")
    def task_withdrew(self, batch: Batch, event: Any) -> None:
        task = batch.tasks.get(str(event.originator_id))
        if task is None or event.was != "booked":
            return
        batch.unbook(task["task_id"], event.volunteer_id)
        _unsent(batch, "withdrew", event, event.volunteer_id)
        task["booked"] -= 1
        if task["booked"] < task["minimum"]:
            task["short_since"] = utc(event.timestamp)
        batch.replan_tasks[task["task_id"]] = None

    # -- helpers --------------------------------------------------------------------------

    def _book(self, batch: Batch, event: Any) -> dict[str, Any] | None:
        task = batch.tasks.get(str(event.originator_id))
        if task is None:
            return None
        at = utc(event.timestamp)
        assert at is not None
        batch.book(task["task_id"], event.volunteer_id, at)
        task["booked"] += 1
        batch.replan_tasks[task["task_id"]] = None
        return task

    @staticmethod
    def _close(batch: Batch, task_id: str) -> None:
        """A cancelled or completed task: nothing more to tell of it."""
        for volunteer_id in list(batch.booked.get(task_id, {})):
            batch.unbook(task_id, volunteer_id)
        batch.tasks.delete(task_id)
        batch.replan_tasks[task_id] = None

    def _tell_task(
        self,
        batch: Batch,
        event: Any,
        kind: str,
        task: dict[str, Any],
        volunteer_id: str,
        priority: str,
    ) -> None:
        at = utc(event.timestamp)
        assert at is not None
        name = type(event).__qualname__
        key = f"{name}:{event.originator_id}:{event.originator_version}"
        batch.messages.append(
            Message(
                key if kind == "task_promoted" else f"{key}:{volunteer_id}",
                kind,
                task["task_id"],
                task["community"],
                Address(person=volunteer_id),
                at,
                task_params(task),
                priority,
                self.task_rules.channels,
                min(task["starts_at"], at + self.task_rules.told_within),
            )
        )

    def plan_task(self, batch: Batch, task_id: str) -> None:
        """The marks of a task, in place of any earlier ones: each booked volunteer's
        reminders and the publisher's under-filled alert (none once it is closed)."""
        batch.drop_marks(task_id)
        task = batch.tasks.get(task_id)
        if task is None:
            return
        rules = self.task_rules
        for volunteer_id, booking in sorted(batch.booked.get(task_id, {}).items()):
            since = max(booking["booked_at"], task["moved_at"])
            for reminder in task_reminders(task["starts_at"], since, rules):
                minutes = int(reminder.before.total_seconds() // 60)
                batch.mark(
                    Message(
                        reminder_key(task, volunteer_id, minutes),
                        "task_soon",
                        task_id,
                        task["community"],
                        Address(person=volunteer_id),
                        reminder.at,
                        task_params(task) | {"before_minutes": minutes},
                        "normal",
                        rules.channels,
                        reminder.until,
                    ),
                    until=reminder.until,
                )
        at_risk = task_at_risk_at(task, rules)
        if at_risk is not None:
            role = TIER_ROLES.get(unit_level(task["unit"]) or "", "station_officer")
            batch.mark(
                Message(
                    at_risk_key(task_id),
                    "task_at_risk",
                    task_id,
                    task["community"],
                    Address(unit=task["unit"], role=role),
                    at_risk,
                    task_params(task) | {"booked": task["booked"], "minimum": task["minimum"]},
                    "important",
                    (),
                    task["starts_at"],
                ),
                until=task["starts_at"],
            )
