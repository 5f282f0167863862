"""One batch of the notification read model: the rows it touches, what it tells."""

from __future__ import annotations

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
        self.by_record: dict[str, str] = {}
        self.messages: list[Message] = []
        self.cancels: list[tuple[str, tuple[Any, ...]]] = []

        self.subjects: dict[str, set[str]] = {}
        self.replan: dict[str, None] = {}
        """Incidents whose wait began anew in this batch (their marks are made at its end)."""

    def load_marks(self, subjects: set[str]) -> None:
        self.marks.load("subject_id", subjects)
        for row in self.marks.rows.values():
            if row is not None:
                self.subjects.setdefault(row["subject_id"], set()).add(row["mark_id"])

    def drop_marks(self, subject_id: str) -> None:
        for mark_id in self.subjects.pop(subject_id, set()):
            self.marks.delete(mark_id)

    def mark(self, message: Message) -> None:
        self.subjects.setdefault(message.subject_id, set()).add(message.message_id)
        self.marks.put(
            {"mark_id": message.message_id, **message.columns(), "at": message.created_at}
        )

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
