"""Notices in the notification read model: the notice, its audience's units, who
acknowledged; its publication and revisions told to the audience, and one
reminder, at the time acknowledgements are due, to those who have not."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from projections.base import handles, unit_path, utc
from projections.notifications import tables as outbox
from projections.notifications.outbox import Message
from projections.notifications.rules import SMS, WEBHOOK, Address
from projections.notifications.state import Batch

LOUD = ("important", "urgent")
"""Notice priorities that also go out as text messages."""


def reminder_key(notice_id: str) -> str:
    return f"notice:{notice_id}:reminder"


class NoticeHandlers:
    """The notice events' handlers, mixed into the notification projection."""

    @handles("Notice.Published")
    def published(self, batch: Batch, event: Any) -> None:
        notice_id = str(event.originator_id)
        county, station, community = unit_path(event.publisher_unit)
        at, start, end = utc(event.timestamp), utc(event.valid_from), utc(event.valid_until)
        assert at is not None
        assert start is not None
        assert end is not None
        notices = batch.tables["notices"]
        batch.conn.execute(
            notices.insert(),
            {
                "notice_id": notice_id,
                "publisher_unit": event.publisher_unit,
                "county": county,
                "station": station,
                "community": community,
                "title": event.title,
                "body": event.body,
                "priority": event.priority,
                "audience": json.dumps(event.audience, ensure_ascii=False, sort_keys=True),
                "valid_from": start,
                "valid_until": end,
                "requires_ack": event.requires_ack,
                "acknowledge_by": utc(event.acknowledge_by),
                "published_by": event.actor.id,
                "published_at": at,
                "revised_at": None,
                "revoked_at": None,
                "revoke_reason": None,
                "version": event.originator_version,
            },
        )
        batch.conn.execute(
            batch.tables["notice_units"].insert(),
            [
                {"notice_id": notice_id, "unit": unit}
                for unit in dict.fromkeys(event.audience["units"])
            ],
        )
        self._tell_notice(batch, event, "notice", max(at, start), end)
        if event.requires_ack and event.acknowledge_by is not None:
            due = utc(event.acknowledge_by)
            assert due is not None
            batch.mark(
                Message(
                    reminder_key(notice_id),
                    "notice_reminder",
                    notice_id,
                    event.publisher_unit,
                    Address(audience=notice_id),
                    due,
                    {
                        "notice_id": notice_id,
                        "title": event.title,
                        "acknowledge_by": due.isoformat(),
                    },
                    event.priority,
                    (SMS,),
                    end,
                    unacked_only=True,
                )
            )

    def _tell_notice(self, batch: Batch, event: Any, kind: str, at: Any, end: Any) -> None:
        notice_id = str(event.originator_id)
        batch.messages.append(
            Message(
                f"{type(event).__qualname__}:{notice_id}:{event.originator_version}",
                kind,
                notice_id,
                batch.publisher(notice_id, event),
                Address(audience=notice_id),
                at,
                {"notice_id": notice_id, "title": event.title, "body": event.body},
                event.priority,
                (WEBHOOK, SMS) if event.priority in LOUD else (WEBHOOK,),
                end,
            )
        )

    @handles("Notice.Revised")
    def revised(self, batch: Batch, event: Any) -> None:
        notices = batch.tables["notices"]
        at, end = utc(event.timestamp), utc(event.valid_until)
        batch.conn.execute(
            notices.update()
            .where(notices.c.notice_id == str(event.originator_id))
            .values(
                title=event.title,
                body=event.body,
                priority=event.priority,
                valid_until=end,
                revised_at=at,
                version=event.originator_version,
            )
        )
        self._tell_notice(batch, event, "notice_revised", at, end)

    @handles("Notice.Revoked")
    def revoked(self, batch: Batch, event: Any) -> None:
        notice_id = str(event.originator_id)
        notices = batch.tables["notices"]
        batch.conn.execute(
            notices.update()
            .where(notices.c.notice_id == notice_id)
            .values(
                revoked_at=utc(event.timestamp),
                revoke_reason=event.reason,
                version=event.originator_version,
            )
        )
        batch.drop_marks(notice_id)
        told = select(outbox.messages.c.message_id).where(outbox.messages.c.subject_id == notice_id)
        batch.cancels.append(("revoked", (outbox.deliveries.c.message_id.in_(told),)))

    @handles("NoticeAcknowledgement.Acknowledged")
    def acknowledged(self, batch: Batch, event: Any) -> None:
        batch.conn.execute(
            batch.tables["acks"].insert(),
            {
                "notice_id": event.notice_id,
                "person_id": event.person_id,
                "role": event.actor.role,
                "unit": event.actor.unit,
                "at": utc(event.timestamp),
            },
        )
        deliveries = outbox.deliveries
        batch.cancels.append(
            (
                "acknowledged",
                (
                    deliveries.c.message_id == reminder_key(event.notice_id),
                    deliveries.c.recipient == event.person_id,
                ),
            )
        )
