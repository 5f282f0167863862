"""Reads of the notifications: a person's inbox, notices and who acknowledged
them, and for the auditor who was told what, on which channel, and when.

An inbox holds the messages to the person, to his unit's role, and to the
audiences of the notices in force that include him (a volunteer's teams and
status as the read model knows them); a revoked notice leaves it, and a
notice's reminder is not shown to whom acknowledged. Reads are indexed queries;
nothing replays events. Read marks are the only thing written here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, exists, func, or_, select, union

from aggregates.errors import DomainError
from aggregates.notice import Audience
from projections.base import Tables, iso, scope_column, utc
from projections.notifications import tables as outbox
from projections.processing import Projector

NAME = "notifications"
UNREAD_WINDOW = 1000
"""The badge counts the unread among a person's latest this many messages."""
ADDRESSED = tuple(
    outbox.messages.c[name] for name in ("message_id", "created_at", "to_audience", "unacked_only")
)
"""What the badge and the read marks need of a message: not its content."""


class MessageNotFound(DomainError):
    code = "message_not_found"


@dataclass(frozen=True)
class Reader:
    """Who reads an inbox: his id (the account's user name), role and unit."""

    id: str
    role: str
    unit: str


def _ancestors(unit: str) -> list[str]:
    parts = unit.split("/")
    return ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]


def _at(now: datetime | None) -> datetime:
    moment = utc(now or datetime.now(UTC))
    assert moment is not None
    return moment


class Inbox:
    def __init__(self, projector: Projector) -> None:
        self.projector = projector
        self.store = projector.store

    # -- a person's inbox ------------------------------------------------------------

    def _profile(self, conn: Connection, tables: Tables, reader: Reader) -> tuple[list[str], Any]:
        people = tables["people"]
        row = conn.execute(select(people).where(people.c.person_id == reader.id)).first()
        if row is None:
            return [], None
        return json.loads(row.teams), row.status

    def _notices(
        self, conn: Connection, tables: Tables, reader: Reader, at: datetime
    ) -> dict[str, Any]:
        """The notices in force at ``at`` whose audience includes ``reader``."""
        notices, units = tables["notices"], tables["notice_units"]
        rows = conn.execute(
            select(notices).where(
                notices.c.notice_id.in_(
                    select(units.c.notice_id).where(units.c.unit.in_(_ancestors(reader.unit)))
                ),
                notices.c.revoked_at.is_(None),
                notices.c.valid_from <= at,
                notices.c.valid_until > at,
            )
        ).all()
        if not rows:
            return {}
        teams, status = self._profile(conn, tables, reader)
        return {
            row.notice_id: row
            for row in rows
            if Audience.of(json.loads(row.audience)).includes(
                role=reader.role, unit=reader.unit, teams=teams, status=status
            )
        }

    @staticmethod
    def _latest(
        reader: Reader,
        notices: Sequence[str],
        at: datetime,
        limit: int,
        columns: Sequence[Any],
    ) -> Select[Any]:
        """The reader's latest ``limit`` messages up to ``at``, newest first: the latest
        ``limit`` of each way a message reaches him (to him, to his unit's role, to a
        notice's audience), each read along its own index, merged. One query with the
        three joined by OR reads all his messages and sorts them, however many."""
        m = outbox.messages
        to_reader = [
            m.c.to_person == reader.id,
            and_(m.c.to_unit == reader.unit, m.c.to_role == reader.role),
        ]
        if notices:
            to_reader.append(m.c.to_audience.in_(list(notices)))
        latest = union(
            *(
                select(
                    select(*columns)
                    .where(addressed, m.c.created_at <= at)
                    .order_by(m.c.created_at.desc(), m.c.message_id.desc())
                    .limit(limit)
                    .subquery()
                )
                for addressed in to_reader
            )
        ).subquery()
        return (
            select(latest)
            .order_by(latest.c.created_at.desc(), latest.c.message_id.desc())
            .limit(limit)
        )

    def _visible(
        self,
        conn: Connection,
        reader: Reader,
        at: datetime,
        limit: int,
        columns: Sequence[Any] = tuple(outbox.messages.c),
    ) -> tuple[list[Any], dict[str, Any], set[str]]:
        """The reader's latest messages (``columns`` of them), his notices in force,
        and those he acknowledged."""
        tables = self.projector.live_tables(conn, NAME)
        notices = self._notices(conn, tables, reader, at)
        rows = conn.execute(self._latest(reader, list(notices), at, limit, columns)).all()
        acked = self._acked(conn, tables, reader, notices)
        shown = [
            r
            for r in rows
            if r.to_audience is None or not (r.unacked_only and r.to_audience in acked)
        ]
        return shown, notices, acked

    @staticmethod
    def _acked(conn: Connection, tables: Tables, reader: Reader, notices: Any) -> set[str]:
        """Which of ``notices`` the reader acknowledged."""
        if not notices:
            return set()
        acks = tables["acks"]
        return set(
            conn.execute(
                select(acks.c.notice_id).where(
                    acks.c.person_id == reader.id, acks.c.notice_id.in_(list(notices))
                )
            ).scalars()
        )

    @staticmethod
    def _reads(conn: Connection, reader: Reader, ids: Sequence[str]) -> dict[str, datetime]:
        if not ids:
            return {}
        r = outbox.reads
        found = conn.execute(
            select(r.c.message_id, r.c.read_at).where(
                r.c.username == reader.id, r.c.message_id.in_(list(ids))
            )
        ).all()
        return {row.message_id: row.read_at for row in found}

    def entries(
        self,
        reader: Reader,
        *,
        now: datetime | None = None,
        limit: int = 50,
        unread_only: bool = False,
    ) -> list[dict[str, Any]]:
        """The reader's inbox, newest first: each message's kind, priority, what it
        is about (``params``), when, whether read, and for a notice whether it asks
        for (and has) his acknowledgement."""
        at = _at(now)
        with self.store.read() as conn:
            rows, notices, acked = self._visible(conn, reader, at, UNREAD_WINDOW)
            reads = self._reads(conn, reader, [r.message_id for r in rows])
        found = []
        for row in rows:
            if unread_only and row.message_id in reads:
                continue
            notice = notices.get(row.to_audience) if row.to_audience else None
            found.append(
                {
                    "message_id": row.message_id,
                    "kind": row.kind,
                    "priority": row.priority,
                    "subject_id": row.subject_id,
                    "params": json.loads(row.params),
                    "created_at": iso(row.created_at),
                    "read": row.message_id in reads,
                    "read_at": iso(reads.get(row.message_id)),
                    "requires_ack": bool(notice is not None and notice.requires_ack),
                    "acknowledged": row.to_audience in acked,
                    "acknowledge_by": iso(notice.acknowledge_by) if notice is not None else None,
                }
            )
            if len(found) >= limit:
                break
        return found

    def unread(self, reader: Reader, *, now: datetime | None = None) -> int:
        """How many of the reader's latest messages he has not read: the badge."""
        at = _at(now)
        r = outbox.reads
        with self.store.read() as conn:
            tables = self.projector.live_tables(conn, NAME)
            notices = self._notices(conn, tables, reader, at)
            acked = sorted(self._acked(conn, tables, reader, notices))
            window = self._latest(reader, list(notices), at, UNREAD_WINDOW, ADDRESSED).subquery()
            unread = [
                ~exists().where(r.c.username == reader.id, r.c.message_id == window.c.message_id)
            ]
            if acked:  # as ``_visible``: a reminder of a notice he acknowledged is not shown
                unread.append(
                    or_(
                        window.c.to_audience.is_(None),
                        ~window.c.unacked_only,
                        window.c.to_audience.not_in(acked),
                    )
                )
            counted = select(func.count()).select_from(window).where(*unread)
            return int(conn.execute(counted).scalar_one())

    def mark_read(
        self,
        reader: Reader,
        message_ids: Iterable[str] | None = None,
        *,
        now: datetime | None = None,
    ) -> int:
        """Mark messages of the reader's inbox read (all of them if ``message_ids`` is
        None); a message not in his inbox is :class:`MessageNotFound`. Returns how
        many were unread."""
        at = _at(now)
        with self.store.write() as conn:
            rows, _, _ = self._visible(conn, reader, at, UNREAD_WINDOW, ADDRESSED)
            visible = {r.message_id for r in rows}
            chosen = visible if message_ids is None else set(message_ids)
            missing = sorted(chosen - visible)
            if missing:
                raise MessageNotFound(
                    "没有这条消息", "No such message in your inbox", message_id=missing[0]
                )
            unread = sorted(chosen - set(self._reads(conn, reader, sorted(chosen))))
            outbox.insert_new(
                conn,
                outbox.reads,
                [{"username": reader.id, "message_id": m, "read_at": at} for m in unread],
            )
        return len(unread)

    # -- notices -----------------------------------------------------------------------

    @staticmethod
    def _notice(row: Any, acknowledged: int = 0) -> dict[str, Any]:
        return {
            "notice_id": row.notice_id,
            "publisher_unit": row.publisher_unit,
            "title": row.title,
            "body": row.body,
            "priority": row.priority,
            "audience": json.loads(row.audience),
            "valid_from": iso(row.valid_from),
            "valid_until": iso(row.valid_until),
            "requires_ack": row.requires_ack,
            "acknowledge_by": iso(row.acknowledge_by),
            "published_by": row.published_by,
            "published_at": iso(row.published_at),
            "revised_at": iso(row.revised_at),
            "revoked_at": iso(row.revoked_at),
            "revoke_reason": row.revoke_reason,
            "version": row.version,
            "acknowledged": acknowledged,
        }

    def notices(self, unit: str, *, limit: int = 100) -> list[dict[str, Any]]:
        """Notices published within ``unit`` (by it or the units below), newest first,
        with how many acknowledged each."""
        with self.store.read() as conn:
            tables = self.projector.live_tables(conn, NAME)
            notices, acks = tables["notices"], tables["acks"]
            counted = (
                select(acks.c.notice_id, func.count().label("n"))
                .group_by(acks.c.notice_id)
                .subquery()
            )
            rows = conn.execute(
                select(notices, counted.c.n)
                .outerjoin(counted, counted.c.notice_id == notices.c.notice_id)
                .where(scope_column(notices, unit) == unit)
                .order_by(notices.c.published_at.desc(), notices.c.notice_id)
                .limit(limit)
            ).all()
        return [self._notice(r, r.n or 0) for r in rows]

    def notice(self, notice_id: str) -> dict[str, Any] | None:
        """One notice, and who acknowledged it (when, in which role and unit), in the
        order they did (at the same moment, by person id)."""
        with self.store.read() as conn:
            tables = self.projector.live_tables(conn, NAME)
            notices, acks = tables["notices"], tables["acks"]
            row = conn.execute(select(notices).where(notices.c.notice_id == notice_id)).first()
            if row is None:
                return None
            done = conn.execute(
                select(acks)
                .where(acks.c.notice_id == notice_id)
                .order_by(acks.c.at, acks.c.person_id)
            ).all()
        found = self._notice(row, len(done))
        found["acknowledgements"] = [
            {"person_id": a.person_id, "role": a.role, "unit": a.unit, "at": iso(a.at)}
            for a in done
        ]
        return found

    def people(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Volunteers' teams, status and whether forgotten, by id (a notice's audience)."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        with self.store.read() as conn:
            people = self.projector.live_tables(conn, NAME)["people"]
            rows = conn.execute(select(people).where(people.c.person_id.in_(wanted))).all()
        return {
            r.person_id: {
                "teams": json.loads(r.teams),
                "status": r.status,
                "forgotten": r.forgotten,
            }
            for r in rows
        }
