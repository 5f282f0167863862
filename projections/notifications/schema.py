"""The notification read model's own tables, rebuilt from the log like any
projection's (the outbox beside them is not: ``projections.notifications.tables``).

* ``alert_incidents``: each incident's reporter, module, urgency and current
  wait (owner, ``started_at`` .. ``due_at``, and the ``epoch``, the version of
  the step that began it: a step that changes stage, owner or due time begins
  a new wait, and the clock's marks of the old one are dropped);
* ``alert_marks``: the times someone is to be told (the clock fires them), keyed
  by the de-duplication key the message will carry, and the moment after which
  one is told no more (``until``: a duty task's reminder once the task began);
* ``alert_people``: volunteers' communities, statuses and teams (a notice's
  audience), and who was forgotten (told nothing any more);
* ``notices``, ``notice_units``, ``notice_acks``: notices, the units each
  addresses (an indexed read of a user's notices) and who acknowledged;
* ``alert_tasks``, ``alert_task_bookings``: each open duty task's unit, kind,
  community, time and minimum, how many are booked, when it was last planned
  (published or revised), moved (its time changed) and left short by a
  withdrawal; and who is booked on it since when (the waitlist is not kept: a
  promotion names the volunteer). A cancelled or completed task leaves them.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Index, Integer, MetaData, String, Table, Text

from projections.base import Tables, level_indexes
from projections.notifications import tables as outbox


def define_tables(metadata: MetaData, suffix: str) -> Tables:
    incidents = Table(
        f"alert_incidents_{suffix}",
        metadata,
        Column("incident_id", String(36), primary_key=True),
        Column("reporter_id", String(100), nullable=False),
        Column("community", String(200), nullable=False),
        Column("module", String(32), nullable=False),
        Column("urgency", String(16)),
        Column("stage", String(32), nullable=False),
        Column("owner_unit", String(200)),
        Column("owner_role", String(32)),
        Column("started_at", DateTime, nullable=False),
        Column("due_at", DateTime),
        Column("epoch", Integer, nullable=False),
        Column("points", Integer),
    )
    marks = Table(
        f"alert_marks_{suffix}",
        metadata,
        Column("mark_id", String(200), primary_key=True),
        *outbox.address_columns(),
        Column("at", DateTime, nullable=False),
        Column("until", DateTime),
    )
    Index(f"ix_alert_marks_{suffix}_at", marks.c.at)
    Index(f"ix_alert_marks_{suffix}_subject", marks.c.subject_id)
    people = Table(
        f"alert_people_{suffix}",
        metadata,
        Column("person_id", String(100), primary_key=True),
        Column("record_id", String(36)),
        Column("community", String(200)),
        Column("county", String(200)),
        Column("status", String(16)),
        Column("teams", Text, nullable=False),
        Column("forgotten", Boolean, nullable=False),
    )
    Index(f"ix_alert_people_{suffix}_record", people.c.record_id)
    Index(f"ix_alert_people_{suffix}_county", people.c.county)
    notices = Table(
        f"notices_{suffix}",
        metadata,
        Column("notice_id", String(36), primary_key=True),
        Column("publisher_unit", String(200), nullable=False),
        Column("county", String(200)),
        Column("station", String(200)),
        Column("community", String(200)),
        Column("title", String(200), nullable=False),
        Column("body", Text, nullable=False),
        Column("priority", String(16), nullable=False),
        Column("audience", Text, nullable=False),
        Column("valid_from", DateTime, nullable=False),
        Column("valid_until", DateTime, nullable=False),
        Column("requires_ack", Boolean, nullable=False),
        Column("acknowledge_by", DateTime),
        Column("published_by", String(100), nullable=False),
        Column("published_at", DateTime, nullable=False),
        Column("revised_at", DateTime),
        Column("revoked_at", DateTime),
        Column("revoke_reason", String(500)),
        Column("version", Integer, nullable=False),
    )
    level_indexes(notices, "{level}", "published_at")
    notice_units = Table(
        f"notice_units_{suffix}",
        metadata,
        Column("notice_id", String(36), primary_key=True),
        Column("unit", String(200), primary_key=True),
    )
    Index(f"ix_notice_units_{suffix}_unit", notice_units.c.unit)
    acks = Table(
        f"notice_acks_{suffix}",
        metadata,
        Column("notice_id", String(36), primary_key=True),
        Column("person_id", String(100), primary_key=True),
        Column("role", String(32), nullable=False),
        Column("unit", String(200), nullable=False),
        Column("at", DateTime, nullable=False),
    )
    tasks = Table(
        f"alert_tasks_{suffix}",
        metadata,
        Column("task_id", String(36), primary_key=True),
        Column("unit", String(200), nullable=False),
        Column("community", String(200), nullable=False),
        Column("kind", String(32), nullable=False),
        Column("starts_at", DateTime, nullable=False),
        Column("ends_at", DateTime, nullable=False),
        Column("minimum", Integer, nullable=False),
        Column("booked", Integer, nullable=False),
        Column("planned_at", DateTime, nullable=False),
        Column("moved_at", DateTime, nullable=False),
        Column("short_since", DateTime),
    )
    bookings = Table(
        f"alert_task_bookings_{suffix}",
        metadata,
        Column("task_id", String(36), primary_key=True),
        Column("volunteer_id", String(100), primary_key=True),
        Column("booked_at", DateTime, nullable=False),
    )
    return {
        "incidents": incidents,
        "marks": marks,
        "people": people,
        "notices": notices,
        "notice_units": notice_units,
        "acks": acks,
        "tasks": tasks,
        "bookings": bookings,
    }


# -- the batch ----------------------------------------------------------------------
