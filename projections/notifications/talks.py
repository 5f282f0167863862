"""Talk orders in the notification read model: the holding station is told when
an order is still unanswered at its deadline.

Ping'an: "让群众'点单'，'枫'警宣讲队现场'接单'". An order keeps one mark, for the
station (or county desk) holding it, at its answer deadline; accepting,
declining or cancelling drops it, forwarding moves it to the new holder with
its new deadline. The mark's key holds the order, the holder and the deadline,
so a restart, a second clock or a rebuild tells each once.
"""

from __future__ import annotations

from typing import Any

from projections.base import handles, unit_level, utc
from projections.notifications.outbox import Message
from projections.notifications.rules import Address
from projections.notifications.state import Batch

ROLE_AT = {"station": "station_officer", "county": "county_officer"}


def unanswered_key(order_id: str, unit: str, answer_by: Any) -> str:
    return f"talk_unanswered:{order_id}:{unit}:{utc(answer_by):%Y%m%dT%H%M%S}Z"


class TalkHandlers:
    """The talk orders' handlers, mixed into the notification projection."""

    @staticmethod
    def _unanswered(batch: Batch, event: Any, unit: str) -> None:
        order_id = str(event.originator_id)
        at = utc(event.answer_by)
        assert at is not None
        batch.mark(
            Message(
                unanswered_key(order_id, unit, event.answer_by),
                "talk_unanswered",
                order_id,
                unit,
                Address(unit=unit, role=ROLE_AT.get(unit_level(unit) or "", "station_officer")),
                at,
                {"order_id": order_id, "answer_by": at.isoformat() + "+00:00"},
            )
        )

    @handles("TalkOrder.Placed")
    def talk_placed(self, batch: Batch, event: Any) -> None:
        self._unanswered(batch, event, event.unit)

    @handles("TalkOrder.Forwarded")
    def talk_forwarded(self, batch: Batch, event: Any) -> None:
        batch.drop_marks(str(event.originator_id))
        self._unanswered(batch, event, event.to_unit)

    @handles("TalkOrder.Accepted", "TalkOrder.Declined", "TalkOrder.Cancelled")
    def talk_answered(self, batch: Batch, event: Any) -> None:
        batch.drop_marks(str(event.originator_id))
