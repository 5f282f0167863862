"""Duty tasks (任务发布): open tasks with their fill levels, each volunteer's tasks
and service hours, a station's calendar, and task statistics.

* ``tasks``: one row per task: where (county, station, community, each indexed
  with the start), when, what, the places (``needed``, ``minimum``) and how they
  are filled (``booked``, ``waitlisted``, ``checked_in``), and on completion the
  attendance, minutes, reach and the points credited;
* ``entries``: one row per volunteer and task: booked, waitlisted (``seq`` orders
  the waitlist; ``unplaced`` once the task is completed, ``cancelled`` with it),
  withdrew (``late``), attended or no-show, reconfirmation asked,
  check-in and check-out, credited minutes and points; indexed by volunteer;
* ``hours``: per volunteer and month (the task's, Asia/Shanghai): tasks attended,
  minutes credited (服务时长), points credited, no-shows;
* ``statistics``: counters by unit (the task's community, station and county),
  month, kind and metric: ``published``, ``completed``, ``attendances`` (人次),
  ``minutes``, ``reach``, ``sessions``, ``materials``, ``no_shows``, ``points``;
* ``accounts``: which volunteer holds which Happiness Bank account, so a deposit
  for a task (``PointsAccount.Deposited``, source ``task``) is counted as credited.

Points count as the Happiness Bank credited them (after any period cap), once,
when the deposit is stored: on completion, or on the second co-signature.
A batch is applied in memory to the rows it touches (``projections.rows``).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
)

from projections.base import Projection, Tables, handles, level_indexes, month_of, unit_path, utc
from projections.rows import Rows

TASK_COUNTS = ("booked", "waitlisted", "checked_in", "attended", "no_shows", "minutes", "points")
HOUR_COUNTS = ("tasks", "minutes", "points", "no_shows")


class Tasks(Projection):
    name = "tasks"
    version = 1

    def define(self, metadata: MetaData, suffix: str) -> Tables:
        tasks = Table(
            f"tasks_{suffix}",
            metadata,
            Column("task_id", String(36), primary_key=True),
            Column("unit", String(200), nullable=False),
            Column("county", String(200), nullable=False),
            Column("station", String(200), nullable=False),
            Column("community", String(200), nullable=False),
            Column("kind", String(32), nullable=False),
            Column("topic", String(100), nullable=False),
            Column("place", String(200), nullable=False),
            Column("starts_at", DateTime, nullable=False),
            Column("ends_at", DateTime, nullable=False),
            Column("signup_closes_at", DateTime, nullable=False),
            Column("needed", Integer, nullable=False),
            Column("minimum", Integer, nullable=False),
            Column("team", String(32)),
            Column("intensity", String(16), nullable=False),
            Column("points_each", Integer, nullable=False),
            Column("leader_id", String(100)),
            Column("status", String(16), nullable=False),
            Column("points_state", String(24)),
            Column("published_at", DateTime, nullable=False),
            Column("completed_at", DateTime),
            Column("reach", Integer),
            *(Column(name, Integer, nullable=False) for name in TASK_COUNTS),
        )
        level_indexes(tasks, "{level}", "starts_at")
        entries = Table(
            f"task_entries_{suffix}",
            metadata,
            Column("task_id", String(36), primary_key=True),
            Column("volunteer_id", String(100), primary_key=True),
            Column("state", String(16), nullable=False),
            Column("seq", Integer, nullable=False),
            Column("starts_at", DateTime, nullable=False),
            Column("late", Boolean, nullable=False),
            Column("reconfirm", Boolean, nullable=False),
            Column("checked_in_at", DateTime),
            Column("checked_out_at", DateTime),
            Column("check_in_method", String(8)),
            Column("missing_checkout", Boolean),
            Column("minutes", Integer),
            Column("points", Integer),
        )
        Index(f"ix_task_entries_{suffix}_volunteer", entries.c.volunteer_id, entries.c.starts_at)
        hours = Table(
            f"task_hours_{suffix}",
            metadata,
            Column("volunteer_id", String(100), primary_key=True),
            Column("period", String(7), primary_key=True),
            *(Column(name, Integer, nullable=False) for name in HOUR_COUNTS),
        )
        statistics = Table(
            f"task_statistics_{suffix}",
            metadata,
            Column("unit", String(200), primary_key=True),
            Column("period", String(7), primary_key=True),
            Column("kind", String(32), primary_key=True),
            Column("metric", String(32), primary_key=True),
            Column("value", Integer, nullable=False),
        )
        accounts = Table(
            f"task_accounts_{suffix}",
            metadata,
            Column("account_id", String(36), primary_key=True),
            Column("volunteer_id", String(100), nullable=False),
        )
        return {
            "tasks": tasks,
            "entries": entries,
            "hours": hours,
            "statistics": statistics,
            "accounts": accounts,
        }

    # -- a batch in memory ----------------------------------------------------------------

    def apply_batch(self, conn: Connection, tables: Tables, events: list[tuple[str, Any]]) -> None:
        if not events:
            return
        batch = _Batch(conn, tables)
        task_ids = {str(e.originator_id) for n, e in events if n.startswith("Task.")}
        deposits = [e for n, e in events if n == "PointsAccount.Deposited" and e.source == "task"]
        task_ids |= {e.source_id for e in deposits}
        batch.tasks.load("task_id", task_ids)
        batch.entries.load("task_id", task_ids)
        batch.accounts.load(
            "account_id", {str(e.originator_id) for n, e in events if n.startswith("Points")}
        )
        volunteers = {r["volunteer_id"] for r in batch.accounts.rows.values() if r}
        volunteers |= {e.volunteer_id for n, e in events if n == "PointsAccount.Opened"}
        for name, event in events:
            if name == "Task.Completed":
                volunteers |= {r["volunteer_id"] for r in event.attendance}
                volunteers |= set(event.no_shows)
        batch.hours.load("volunteer_id", volunteers)
        for name, event in events:
            self.handlers[name](self, batch, event)
        batch.write()

    # -- the station's steps ----------------------------------------------------------------

    @handles("Task.Published")
    def published(self, batch: _Batch, event: Any) -> None:
        county, station, community = unit_path(event.community)
        batch.tasks.put(
            {
                "task_id": str(event.originator_id),
                "unit": event.unit,
                "county": county,
                "station": station,
                "community": community,
                "kind": event.kind,
                "topic": event.topic,
                "place": event.place,
                "starts_at": utc(event.starts_at),
                "ends_at": utc(event.ends_at),
                "signup_closes_at": utc(event.signup_closes_at),
                "needed": int(event.needed),
                "minimum": int(event.minimum),
                "team": event.team,
                "intensity": event.intensity,
                "points_each": int(event.points),
                "leader_id": event.leader_id,
                "status": "open",
                "points_state": None,
                "published_at": utc(event.timestamp),
                "completed_at": None,
                "reach": None,
                **dict.fromkeys(TASK_COUNTS, 0),
            }
        )
        batch.count(batch.task(event), month_of(event.timestamp), "published")

    @handles("Task.Revised")
    def revised(self, batch: _Batch, event: Any) -> None:
        task = batch.task(event)
        starts = utc(event.starts_at)
        task.update(
            starts_at=starts,
            ends_at=utc(event.ends_at),
            signup_closes_at=utc(event.signup_closes_at),
            place=event.place,
            needed=int(event.needed),
            minimum=int(event.minimum),
        )
        for entry in batch.entries_of(task["task_id"]):
            entry["starts_at"] = starts
            if entry["volunteer_id"] in event.reconfirm:
                entry["reconfirm"] = True

    @handles("Task.Cancelled")
    def cancelled(self, batch: _Batch, event: Any) -> None:
        task = batch.task(event)
        task["status"] = "cancelled"
        for entry in batch.entries_of(task["task_id"]):
            if entry["state"] in ("booked", "waitlisted"):
                entry["state"] = "cancelled"

    # -- the volunteer's choice ----------------------------------------------------------

    def _enter(self, batch: _Batch, event: Any, state: str) -> None:
        task = batch.task(event)
        batch.entries.put(
            {
                "task_id": task["task_id"],
                "volunteer_id": event.volunteer_id,
                "state": state,
                "seq": int(event.originator_version),
                "starts_at": task["starts_at"],
                "late": False,
                "reconfirm": False,
                "checked_in_at": None,
                "checked_out_at": None,
                "check_in_method": None,
                "missing_checkout": None,
                "minutes": None,
                "points": None,
            }
        )
        task[state] += 1

    @handles("Task.Booked")
    def booked(self, batch: _Batch, event: Any) -> None:
        self._enter(batch, event, "booked")

    @handles("Task.Waitlisted")
    def waitlisted(self, batch: _Batch, event: Any) -> None:
        self._enter(batch, event, "waitlisted")

    @handles("Task.Promoted")
    def promoted(self, batch: _Batch, event: Any) -> None:
        task, entry = batch.task(event), batch.entry(event)
        entry["state"] = "booked"
        task["waitlisted"] -= 1
        task["booked"] += 1

    @handles("Task.Withdrew")
    def withdrew(self, batch: _Batch, event: Any) -> None:
        task, entry = batch.task(event), batch.entry(event)
        entry.update(state="withdrew", late=bool(event.late), reconfirm=False)
        task[event.was] -= 1

    @handles("Task.Reconfirmed")
    def reconfirmed(self, batch: _Batch, event: Any) -> None:
        batch.entry(event)["reconfirm"] = False

    # -- on the day ----------------------------------------------------------------------------

    @handles("Task.CheckedIn")
    def checked_in(self, batch: _Batch, event: Any) -> None:
        batch.entry(event).update(checked_in_at=utc(event.timestamp), check_in_method=event.method)
        batch.task(event)["checked_in"] += 1

    @handles("Task.CheckedOut")
    def checked_out(self, batch: _Batch, event: Any) -> None:
        batch.entry(event)["checked_out_at"] = utc(event.timestamp)

    @handles("Task.NoShowRecorded")
    def no_show(self, batch: _Batch, event: Any) -> None:
        batch.entry(event)["state"] = "no_show"

    @handles("Task.Completed")
    def completed(self, batch: _Batch, event: Any) -> None:
        task = batch.task(event)
        period = month_of(task["starts_at"])
        minutes = sum(int(r["minutes"]) for r in event.attendance)
        task.update(
            status="completed",
            completed_at=utc(event.timestamp),
            reach=int(event.reach),
            points_state="awaiting_signatures" if event.awaiting_signatures else "credited",
            attended=len(event.attendance),
            no_shows=len(event.no_shows),
            minutes=minutes,
        )
        for row in event.attendance:
            entry = batch.entries.get(task["task_id"], row["volunteer_id"])
            assert entry is not None, "an attendee never booked"
            entry.update(
                state="attended",
                minutes=int(row["minutes"]),
                missing_checkout=bool(row["missing_checkout"]),
            )
            batch.hour(row["volunteer_id"], period).update(
                tasks=batch.hour(row["volunteer_id"], period)["tasks"] + 1,
                minutes=batch.hour(row["volunteer_id"], period)["minutes"] + int(row["minutes"]),
            )
        for entry in batch.entries_of(task["task_id"]):
            if entry["state"] == "waitlisted":
                entry["state"] = "unplaced"  # the waitlist closes with the task
        for volunteer_id in event.no_shows:
            entry = batch.entries.get(task["task_id"], volunteer_id)
            assert entry is not None, "a no-show never booked"
            entry["state"] = "no_show"
            batch.hour(volunteer_id, period)["no_shows"] += 1
        figures = {
            "completed": 1,
            "attendances": len(event.attendance),
            "minutes": minutes,
            "reach": int(event.reach),
            "sessions": int(event.sessions),
            "materials": int(event.materials),
            "no_shows": len(event.no_shows),
        }
        for metric, by in figures.items():
            batch.count(task, period, metric, by)

    @handles("Task.PointsSigned")
    def points_signed(self, batch: _Batch, event: Any) -> None:
        if event.completes:
            batch.task(event)["points_state"] = "credited"

    # -- the Happiness Bank ----------------------------------------------------------------------

    @handles("PointsAccount.Opened")
    def account_opened(self, batch: _Batch, event: Any) -> None:
        batch.accounts.put(
            {"account_id": str(event.originator_id), "volunteer_id": event.volunteer_id}
        )

    @handles("PointsAccount.Deposited")
    def deposited(self, batch: _Batch, event: Any) -> None:
        """Points credited for a task: the attendee's, the task's and the figures'."""
        if event.source != "task":
            return
        account = batch.accounts.get(str(event.originator_id))
        task = batch.tasks.get(event.source_id)
        if account is None or task is None:  # not a ledger or a task we know
            return
        amount = int(event.amount)
        volunteer_id = account["volunteer_id"]
        entry = batch.entries.get(event.source_id, volunteer_id)
        if entry is not None:
            entry["points"] = (entry["points"] or 0) + amount
        period = month_of(task["starts_at"])  # the task's month, as its minutes
        batch.hour(volunteer_id, period)["points"] += amount
        task["points"] += amount
        batch.count(task, period, "points", amount)


class _Batch:
    """The rows one batch touches, and its statistics counters."""

    def __init__(self, conn: Connection, tables: Tables) -> None:
        self.tables = tables
        self.tasks = Rows(conn, tables["tasks"])
        self.entries = Rows(conn, tables["entries"])
        self.hours = Rows(conn, tables["hours"])
        self.accounts = Rows(conn, tables["accounts"])
        self.statistics = Rows(conn, tables["statistics"])
        self.counts: Counter[tuple[str, str, str, str]] = Counter()

    def task(self, event: Any) -> dict[str, Any]:
        task = self.tasks.get(str(event.originator_id))
        assert task is not None, "an event of a task never published"
        return task

    def entry(self, event: Any) -> dict[str, Any]:
        entry = self.entries.get(str(event.originator_id), event.volunteer_id)
        assert entry is not None, "a step of a volunteer never signed up"
        return entry

    def entries_of(self, task_id: str) -> list[dict[str, Any]]:
        return [r for k, r in self.entries.rows.items() if r is not None and k[0] == task_id]

    def hour(self, volunteer_id: str, period: str) -> dict[str, Any]:
        row = self.hours.get(volunteer_id, period)
        if row is None:
            row = self.hours.put(
                {"volunteer_id": volunteer_id, "period": period, **dict.fromkeys(HOUR_COUNTS, 0)}
            )
        return row

    def count(self, task: dict[str, Any], period: str, metric: str, by: int = 1) -> None:
        for unit in (task["county"], task["station"], task["community"]):
            self.counts[(unit, period, task["kind"], metric)] += by

    def write(self) -> None:
        units = {key[0] for key in self.counts}
        if units:
            self.statistics.load("unit", units)
        for (unit, period, kind, metric), by in self.counts.items():
            row = self.statistics.get(unit, period, kind, metric)
            value = (row["value"] if row else 0) + by
            self.statistics.put(
                {"unit": unit, "period": period, "kind": kind, "metric": metric, "value": value}
            )
        for rows in (self.tasks, self.entries, self.hours, self.accounts, self.statistics):
            rows.write()
