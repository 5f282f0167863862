"""Who was told what, and when: the auditor's read of the outbox.

Each message within a unit (about an incident of its communities, or a notice
its units published), to whom it was addressed and when it fell due, who read
it in the inbox and when, and each delivery beyond the inbox with every attempt
and its outcome.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from projections.base import iso, scope_column
from projections.notifications import tables as outbox
from projections.store import Store


def told(
    store: Store,
    unit: str,
    *,
    subject_id: str | None = None,
    person: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Messages about ``unit`` (optionally one incident or notice, or those to or
    delivered to one person), newest first, with their reads, deliveries and
    attempts."""
    m, d, a, r = outbox.messages, outbox.deliveries, outbox.attempts, outbox.reads
    county = unit.split("/")[0]  # along the county's index, then the unit's own column
    query = select(m).where(m.c.county == county, scope_column(m, unit) == unit)
    if subject_id is not None:
        query = query.where(m.c.subject_id == subject_id)
    if person is not None:
        query = query.where(
            (m.c.to_person == person)
            | m.c.message_id.in_(select(d.c.message_id).where(d.c.recipient == person))
        )
    with store.read() as conn:
        rows = conn.execute(
            query.order_by(m.c.created_at.desc(), m.c.message_id).limit(limit)
        ).all()
        ids = [row.message_id for row in rows]
        sent = conn.execute(select(d).where(d.c.message_id.in_(ids))).all() if ids else []
        tries = (
            conn.execute(
                select(a)
                .where(a.c.delivery_id.in_([x.delivery_id for x in sent]))
                .order_by(a.c.attempt_id)
            ).all()
            if sent
            else []
        )
        read = conn.execute(select(r).where(r.c.message_id.in_(ids))).all() if ids else []
    by_delivery: dict[int, list[dict[str, Any]]] = {}
    for t in tries:
        by_delivery.setdefault(t.delivery_id, []).append(
            {
                "attempt": t.attempt,
                "at": iso(t.at),
                "outcome": t.outcome,
                "detail": t.detail,
                "worker": t.worker,
            }
        )
    by_message: dict[str, list[dict[str, Any]]] = {}
    for x in sent:
        by_message.setdefault(x.message_id, []).append(
            {
                "delivery_id": x.delivery_id,
                "channel": x.channel,
                "recipient": x.recipient,
                "status": x.status,
                "attempts": x.attempts,
                "next_attempt_at": iso(x.next_attempt_at),
                "sent_at": iso(x.sent_at),
                "last_error": x.last_error,
                "log": by_delivery.get(x.delivery_id, []),
            }
        )
    reads: dict[str, list[dict[str, Any]]] = {}
    for x in read:
        reads.setdefault(x.message_id, []).append({"by": x.username, "at": iso(x.read_at)})
    return [
        {
            "message_id": row.message_id,
            "kind": row.kind,
            "priority": row.priority,
            "subject_id": row.subject_id,
            "unit": row.unit,
            "to": {
                "person": row.to_person,
                "unit": row.to_unit,
                "role": row.to_role,
                "audience": row.to_audience,
            },
            "params": json.loads(row.params),
            "created_at": iso(row.created_at),
            "recorded_at": iso(row.recorded_at),
            "reads": reads.get(row.message_id, []),
            "deliveries": sorted(
                by_message.get(row.message_id, []), key=lambda x: x["delivery_id"]
            ),
        }
        for row in rows
    ]
