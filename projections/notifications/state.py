"""One batch of the notification read model: the rows it touches, what it tells."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from projections.base import Tables
from projections.notifications.outbox import Message
from projections.rows import Rows


class Batch:
    def __init__(self, conn: Connection, tables: Tables) -> None:
        self.conn = conn
        self.tables = tables
        self.incidents = Rows(conn, tables["incidents"])
        self.marks = Rows(conn, tables["marks"])
        self.people = Rows(conn, tables["people"])
        self.tasks = Rows(conn, tables["tasks"])
        self.bookings = Rows(conn, tables["bookings"])
        self.by_record: dict[str, str] = {}
        self.messages: list[Message] = []
        self.cancels: list[tuple[str, tuple[Any, ...]]] = []

        self.subjects: dict[str, set[str]] = {}
        self.replan: dict[str, None] = {}
        """Incidents whose wait began anew in this batch (their marks are made at its end)."""
        self.booked: dict[str, dict[str, dict[str, Any]]] = {}
        """Each loaded task's bookings, by volunteer (rows of ``bookings``)."""
        self.replan_tasks: dict[str, None] = {}
        """Tasks whose bookings, time or fill changed in this batch (planned at its end)."""

    def load_marks(self, subjects: set[str]) -> None:
        self.marks.load("subject_id", subjects)
        for row in self.marks.rows.values():
            if row is not None:
                self.subjects.setdefault(row["subject_id"], set()).add(row["mark_id"])

    def drop_marks(self, subject_id: str) -> None:
        for mark_id in self.subjects.pop(subject_id, set()):
            self.marks.delete(mark_id)

    def mark(self, message: Message, until: datetime | None = None) -> None:
        """Keep ``message`` for the clock to tell at its ``created_at``, unless ``until``
        passed first."""
        self.subjects.setdefault(message.subject_id, set()).add(message.message_id)
        self.marks.put(
            {
                "mark_id": message.message_id,
                **message.columns(),
                "at": message.created_at,
                "until": until,
            }
        )

    def load_tasks(self, task_ids: set[str]) -> None:
        self.tasks.load("task_id", task_ids)
        self.bookings.load("task_id", task_ids)
        for row in self.bookings.rows.values():
            if row is not None:
                self.booked.setdefault(row["task_id"], {})[row["volunteer_id"]] = row

    def book(self, task_id: str, volunteer_id: str, at: datetime) -> None:
        row = {"task_id": task_id, "volunteer_id": volunteer_id, "booked_at": at}
        self.booked.setdefault(task_id, {})[volunteer_id] = self.bookings.put(row)

    def unbook(self, task_id: str, volunteer_id: str) -> None:
        if self.booked.get(task_id, {}).pop(volunteer_id, None) is not None:
            self.bookings.delete(task_id, volunteer_id)

    def publisher(self, notice_id: str, event: Any) -> str:
        """The unit that published a notice (named by its publication event)."""
        unit = getattr(event, "publisher_unit", None)
        if unit:
            return str(unit)
        notices = self.tables["notices"]
        found = self.conn.execute(
            select(notices.c.publisher_unit).where(notices.c.notice_id == notice_id)
        ).scalar()
        return str(found or "")
