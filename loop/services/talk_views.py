"""A talk order as staff see it: the orderer's place and contact (kept encrypted)
only once the station has accepted the order, and only to those who may read it
(to anyone else it does not exist)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from aggregates.actor import Actor
from aggregates.talk_order import STATUSES, TalkOrder
from loop.rules import permissions
from loop.rules.talk_access import order_record
from loop.rules.talks import FORMATS, ORDERER_KINDS, THEMES
from loop.services.talks import Talks, not_found


def order_seen(talks: Talks, actor: Actor, order_id: UUID | str) -> dict[str, Any]:
    order: TalkOrder = talks.get(order_id)
    if not permissions.may("read_talk_order", actor, order_record(order.unit)):
        raise not_found(order_id)
    contact = None
    if order.accepted:
        fields = order.orderer.shown()["fields"]
        contact = {"name": fields.get("name"), "phone": fields.get("phone")}
    return {
        "order_id": str(order.id),
        "unit": order.unit,
        "community": order.community,
        "status": order.status,
        "status_zh": STATUSES[order.status],
        "theme": order.theme,
        "theme_zh": THEMES[order.theme],
        "title": order.title,
        "format": order.format,
        "format_zh": FORMATS[order.format],
        "orderer_kind": order.orderer_kind,
        "orderer_kind_zh": ORDERER_KINDS[order.orderer_kind],
        "window": [order.window_from, order.window_to],
        "answer_by": order.answer_by.isoformat(),
        "place": order.orderer.shown()["fields"].get("address") if order.accepted else None,
        "contact": contact,
        "task_id": order.task_id,
        "speakers": list(order.speakers),
        "starts_at": order.starts_at.isoformat() if order.starts_at else None,
        "confirmed": order.confirmed,
        "reschedules": order.reschedules,
        "delivery": order.delivery,
        "rating": order.rating,
        "follow_up": order.follow_up,
        "reason": order.reason,
        "version": order.version,
    }


def speaker_pool(talks: Talks, actor: Actor, order_id: UUID | str) -> list[dict[str, Any]]:
    """The speakers the station may schedule an order with (its menu item's pool),
    the school's own 法治副校长 first for a school's order once accepted (the
    orderer's name and place are the station's to see then)."""
    order = talks.get(order_id)
    if not permissions.may("read_talk_order", actor, order_record(order.unit)):
        raise not_found(order_id)
    menu = talks.menu(order.unit)
    pool = list(menu.items.get(order.item_id, {}).get("speakers", [])) if menu else []
    school: list[str] = []
    if order.accepted:
        fields = order.orderer.shown()["fields"]
        school = [str(fields.get(name) or "") for name in ("name", "address")]
    return talks.speakers.pool(pool, order.orderer_kind, [text for text in school if text])
