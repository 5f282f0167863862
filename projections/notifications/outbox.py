"""Writing what is to be told: messages, and their deliveries beyond the inbox.

:func:`tell` runs inside the caller's transaction (the projection's batch, or a
clock tick): a message whose key is stored already is skipped, and only a new
message gets delivery rows, so neither a rebuilt read model nor a second clock
sends anything twice. A message to a forgotten person is not written at all.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from aggregates.notice import Audience
from projections.base import Tables, unit_path
from projections.notifications import tables as outbox
from projections.notifications.rules import SMS, WEBHOOK, Address

CHUNK = 500


@dataclass(frozen=True)
class Message:
    """One thing told: ``message_id`` is its de-duplication key."""

    message_id: str
    kind: str
    subject_id: str
    unit: str
    to: Address
    created_at: datetime  # naive UTC
    params: dict[str, Any] = field(default_factory=dict)
    priority: str = "normal"
    channels: tuple[str, ...] = ()
    expires_at: datetime | None = None
    unacked_only: bool = False

    def columns(self) -> dict[str, Any]:
        """The columns messages and marks share."""
        county, station, community = unit_path(self.unit)
        return {
            "kind": self.kind,
            "priority": self.priority,
            "subject_id": self.subject_id,
            "unit": self.unit,
            "county": county,
            "station": station,
            "community": community,
            "to_person": self.to.person,
            "to_unit": self.to.unit,
            "to_role": self.to.role,
            "to_audience": self.to.audience,
            "unacked_only": self.unacked_only,
            "params": json.dumps(self.params, ensure_ascii=False, sort_keys=True),
            "channels": ",".join(self.channels),
            "expires_at": self.expires_at,
        }

    @classmethod
    def of(cls, row: Any, message_id: str, created_at: datetime) -> Message:
        """A message from a stored row of messages or marks."""
        return cls(
            message_id=message_id,
            kind=row.kind,
            subject_id=row.subject_id,
            unit=row.unit,
            to=Address(row.to_person, row.to_unit, row.to_role, row.to_audience),
            created_at=created_at,
            params=json.loads(row.params),
            priority=row.priority,
            channels=tuple(c for c in row.channels.split(",") if c),
            expires_at=row.expires_at,
            unacked_only=row.unacked_only,
        )


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def stored(conn: Connection, ids: Collection[str]) -> set[str]:
    found: set[str] = set()
    table = outbox.messages
    for chunk in _chunks(sorted(ids)):
        query = select(table.c.message_id).where(table.c.message_id.in_(chunk))
        found.update(conn.execute(query).scalars())
    return found


def _people(conn: Connection, people: Any, ids: Collection[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for chunk in _chunks(sorted(ids)):
        for row in conn.execute(select(people).where(people.c.person_id.in_(chunk))):
            found[row.person_id] = row
    return found


def audience_volunteers(
    conn: Connection, tables: Tables, notice_id: str, *, unacked_only: bool = False
) -> list[str]:
    """The volunteers a notice addresses (known, not forgotten), minus those who
    acknowledged it when ``unacked_only``."""
    notices, people, acks = tables["notices"], tables["people"], tables["acks"]
    notice = conn.execute(select(notices).where(notices.c.notice_id == notice_id)).first()
    if notice is None:
        return []
    audience = Audience.of(json.loads(notice.audience))
    if audience.roles and "volunteer" not in audience.roles:
        return []
    county = unit_path(notice.publisher_unit)[0]
    done: set[str] = set()
    if unacked_only:
        query = select(acks.c.person_id).where(acks.c.notice_id == notice_id)
        done = set(conn.execute(query).scalars())
    rows = conn.execute(
        select(people).where(people.c.county == county, people.c.forgotten.is_(False))
    )
    return sorted(
        row.person_id
        for row in rows
        if row.person_id not in done
        and row.community is not None
        and audience.includes(
            role="volunteer", unit=row.community, teams=json.loads(row.teams), status=row.status
        )
    )


def tell(
    conn: Connection,
    tables: Tables,
    messages: Sequence[Message],
    enabled: Collection[str],
) -> list[Message]:
    """Store the new ones among ``messages`` and their deliveries on the
    ``enabled`` channels; returns those stored."""
    if not messages:
        return []
    unique = list({m.message_id: m for m in messages}.values())
    known = stored(conn, [m.message_id for m in unique])
    fresh = [m for m in unique if m.message_id not in known]
    persons = _people(conn, tables["people"], {m.to.person for m in fresh if m.to.person})
    keep = [m for m in fresh if not (m.to.person and _forgotten(persons.get(m.to.person)))]
    recorded = datetime.now(UTC).replace(tzinfo=None)
    outbox.insert_new(
        conn,
        outbox.messages,
        [
            {"message_id": m.message_id, **m.columns(), "created_at": m.created_at}
            | {"recorded_at": recorded}
            for m in keep
        ],
    )
    rows: list[dict[str, Any]] = []
    for message in keep:
        for channel in message.channels:
            if channel not in enabled:
                continue
            for recipient in _recipients(conn, tables, message, channel, persons):
                rows.append(
                    {
                        "message_id": message.message_id,
                        "channel": channel,
                        "recipient": recipient,
                        "priority": message.priority,
                        "status": "pending",
                        "attempts": 0,
                        "next_attempt_at": message.created_at,
                        "lease_until": None,
                        "worker": None,
                        "last_error": None,
                        "created_at": recorded,
                        "sent_at": None,
                        "expires_at": message.expires_at,
                    }
                )
    outbox.insert_new(conn, outbox.deliveries, rows)
    return keep


def _forgotten(person: Any) -> bool:
    return person is not None and bool(person.forgotten)


def _recipients(
    conn: Connection, tables: Tables, message: Message, channel: str, persons: dict[str, Any]
) -> list[str]:
    if channel == WEBHOOK:
        return [""]
    if channel != SMS:
        return []
    if message.to.person is not None:  # a text message reaches a known volunteer only
        known = persons.get(message.to.person)
        return [message.to.person] if known is not None and not known.forgotten else []
    if message.to.audience is not None:
        return audience_volunteers(
            conn, tables, message.to.audience, unacked_only=message.unacked_only
        )
    return []


def cancel(conn: Connection, reason: str, *conditions: Any) -> None:
    """Settle the pending deliveries matching ``conditions`` as cancelled, saying why."""
    table = outbox.deliveries
    conn.execute(
        table.update()
        .where(table.c.status == "pending", *conditions)
        .values(status="cancelled", lease_until=None, last_error=reason)
    )
