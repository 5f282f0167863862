"""The tables of who was told what: they outlive every build of the read model.

A projection's own tables can be dropped and built again from the log; what was
told cannot: a time-driven alert is not in the log, and a message sent must
never be sent again because a read model was rebuilt. So these tables sit
beside the builds, like the control tables, and every row is keyed by what
makes it unique (a message by its de-duplication key, a delivery by message,
channel and recipient), written with "insert unless present".

* ``notify_messages``: the outbox and the inbox's content, one row per thing
  told: its kind, the ids and codes it is about (``params``: no names, no phone
  numbers, no free text a reporter typed), and to whom: a person, a unit's
  role, or a notice's audience.
* ``notify_deliveries``: one row per message, channel (``sms``, ``webhook``)
  and recipient, with its status (pending, sending, sent, failed, skipped,
  cancelled, expired), attempts and next attempt; the dispatcher claims them.
* ``notify_attempts``: every attempt and its outcome, for the auditor.
* ``notify_reads``: which inbox entries a user has read.
* ``notify_clock``: how far the clock has looked.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from projections.rows import driver_insert

OUTBOX = MetaData()


def address_columns() -> list[Column[Any]]:
    """What a message is and to whom: shared by messages and the clock's marks."""
    return [
        Column("kind", String(40), nullable=False),
        Column("priority", String(16), nullable=False),
        Column("subject_id", String(100), nullable=False),
        Column("unit", String(200), nullable=False),
        Column("county", String(200)),
        Column("station", String(200)),
        Column("community", String(200)),
        Column("to_person", String(100)),
        Column("to_unit", String(200)),
        Column("to_role", String(40)),
        Column("to_audience", String(36)),
        Column("unacked_only", Boolean, nullable=False),
        Column("params", Text, nullable=False),
        Column("channels", String(100), nullable=False),
        Column("expires_at", DateTime),
    ]


messages = Table(
    "notify_messages",
    OUTBOX,
    Column("message_id", String(200), primary_key=True),
    *address_columns(),
    Column("created_at", DateTime, nullable=False),  # when it fell due
    Column("recorded_at", DateTime, nullable=False),  # when it was written
)
# An inbox's latest messages in order, and what its badge needs of each, from the
# index alone: a person's and a unit's role's (the audience's are few).
LATEST = ("created_at", "message_id", "to_audience", "unacked_only")
INBOX_INDEXES = (
    Index(
        "ix_notify_messages_person_latest", messages.c.to_person, *(messages.c[c] for c in LATEST)
    ),
    Index(
        "ix_notify_messages_unit_latest",
        messages.c.to_unit,
        messages.c.to_role,
        *(messages.c[c] for c in LATEST),
    ),
)
SUPERSEDED = ("ix_notify_messages_person", "ix_notify_messages_unit")
"""Indexes of earlier releases that the inbox's indexes replace."""
Index("ix_notify_messages_audience", messages.c.to_audience, messages.c.created_at)
Index("ix_notify_messages_subject", messages.c.subject_id)
Index("ix_notify_messages_county", messages.c.county, messages.c.created_at)  # the auditor's

deliveries = Table(
    "notify_deliveries",
    OUTBOX,
    Column("delivery_id", Integer, primary_key=True, autoincrement=True),
    Column("message_id", String(200), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("recipient", String(100), nullable=False),  # a person id; "" for a webhook
    Column("priority", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime, nullable=False),
    Column("lease_until", DateTime),
    Column("worker", String(100)),
    Column("last_error", String(500)),
    Column("created_at", DateTime, nullable=False),
    Column("sent_at", DateTime),
    Column("expires_at", DateTime),
    UniqueConstraint("message_id", "channel", "recipient", name="uq_notify_deliveries"),
)
Index("ix_notify_deliveries_due", deliveries.c.status, deliveries.c.next_attempt_at)
Index("ix_notify_deliveries_recipient", deliveries.c.recipient, deliveries.c.status)
Index("ix_notify_deliveries_message", deliveries.c.message_id)

attempts = Table(
    "notify_attempts",
    OUTBOX,
    Column("attempt_id", Integer, primary_key=True, autoincrement=True),
    Column("delivery_id", Integer, nullable=False, index=True),
    Column("attempt", Integer, nullable=False),
    Column("at", DateTime, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("detail", String(500), nullable=False),
    Column("worker", String(100), nullable=False),
)

reads = Table(
    "notify_reads",
    OUTBOX,
    Column("username", String(100), primary_key=True),
    Column("message_id", String(200), primary_key=True),
    Column("read_at", DateTime, nullable=False),
)

clock_state = Table(
    "notify_clock",
    OUTBOX,
    Column("name", String(32), primary_key=True),
    Column("checked_through", DateTime, nullable=False),
)

OPEN = ("pending", "sending")
"""Delivery statuses still to be settled."""


def create(conn: Connection) -> None:
    """The tables, and on tables an earlier release made, the indexes added since."""
    OUTBOX.create_all(conn)
    for index in INBOX_INDEXES:
        index.create(conn, checkfirst=True)
    for name in SUPERSEDED:
        conn.execute(text(f"DROP INDEX IF EXISTS {name}"))


def insert_new(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows``, skipping any whose key (or unique columns) is there already.

    Rows holding every column, or every one but an autoincrement key, go to the
    driver as one ``executemany`` of the statement compiled once
    (``projections.rows``), with ``ON CONFLICT DO NOTHING`` (SQLite and PostgreSQL
    alike); others through SQLAlchemy's dialect insert."""
    if not rows:
        return
    given, every = set(rows[0]), list(table.c.keys())
    missing = set(every) - given
    if not missing or (missing <= _generated_keys(table) and given <= set(every)):
        columns = None if not missing else tuple(c for c in every if c in given)
        insert = driver_insert(table, conn.dialect, columns)
        conn.exec_driver_sql(insert.sql + " ON CONFLICT DO NOTHING", insert.params(list(rows)))
        return
    if conn.dialect.name == "postgresql":
        conn.execute(postgres_insert(table).on_conflict_do_nothing(), list(rows))
    elif conn.dialect.name == "sqlite":
        conn.execute(sqlite_insert(table).on_conflict_do_nothing(), list(rows))
    else:  # pragma: no cover - the read models run on SQLite or PostgreSQL
        raise NotImplementedError(conn.dialect.name)


def _generated_keys(table: Table) -> set[str]:
    """The key columns the database numbers itself (declared autoincrement)."""
    return {c.name for c in table.primary_key.columns if c.autoincrement is True}
