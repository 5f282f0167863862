"""``TalkLinks``: what the orderer of a talk does by his private links, and what
those links show him.

A link's token is the order's id and a secret; the order records only its keyed
digest. A link is used once and expires: confirming or rescheduling by the
managing link answers with a new one; the rating link (given at delivery) rates
once. A reschedule changes the one order (a scheduled talk's task is released
and the order waits to be scheduled again); it never makes a second order. The
orderer is shown the station's answer and its reason, and the time once it is
scheduled; nothing the officers wrote for themselves.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from aggregates.actor import Actor
from aggregates.talk_errors import LinkRefused
from aggregates.talk_order import STATUSES, TalkOrder
from loop.errors import InvalidInput
from loop.rules import inputs
from loop.rules.talks import FORMATS, THEMES
from loop.rules.vocabulary import IntakeRole
from loop.services import talk_inputs as checks
from loop.services.talks import OrderAck, Talks

MAX_TOKEN = 100


def refused() -> LinkRefused:
    return LinkRefused("链接无效", "The link is not valid")


def orderer(order: TalkOrder) -> Actor:
    """Who acts by the order's links: its orderer, pseudonymously."""
    return Actor(f"orderer:{order.id.hex}", IntakeRole.RESIDENT, order.community)


class TalkLinks:
    def __init__(self, talks: Talks) -> None:
        self.talks = talks
        self.app = talks.app

    def opened(self, token: Any, purpose: str) -> tuple[TalkOrder, str]:
        """The order a valid, unused, unexpired ``purpose`` link opens, and the
        link's digest; :class:`LinkRefused` for any other."""
        if not isinstance(token, str) or len(token) > MAX_TOKEN or "." not in token:
            raise refused()
        try:
            order_id = UUID(hex=token.partition(".")[0])
        except ValueError:
            raise refused() from None
        order = self.app.find(order_id, TalkOrder)
        if order is None:
            raise refused()
        digest = self.talks.digest(token)
        order.check_link(digest, purpose, self.app.clock())
        return order, digest

    def current(self, actor: Actor, order_id: Any, purpose: str) -> str | None:
        """The order's ``purpose`` link still usable (unused, unexpired), made again
        for the station that holds the order to pass on; None if there is none."""
        if purpose not in ("manage", "rate"):
            raise InvalidInput("链接用途须为 manage 或 rate", "purpose: manage or rate")
        order = self.talks.held(actor, order_id, "take_talk_order")
        now = self.app.clock()
        issued = sum(1 for link in order.links.values() if link["purpose"] == purpose)
        for n in reversed(range(issued)):
            token = self.talks.token_for(order.id, purpose, n)
            link = order.links.get(self.talks.digest(token))
            if link is not None and not link["used"] and now < link["expires_at"]:
                return token
        return None

    def shown(self, token: Any, purpose: str = "manage") -> dict[str, Any]:
        """What the link's page shows the orderer (plain zh-CN)."""
        order, _ = self.opened(token, purpose)
        return {
            "order_id": str(order.id),
            "status": order.status,
            "status_zh": STATUSES[order.status],
            "theme": THEMES[order.theme],
            "title": order.title,
            "format": FORMATS[order.format],
            "window": [order.window_from, order.window_to],
            "reason": order.reason if order.status in ("declined", "cancelled") else None,
            "starts_at": order.starts_at.isoformat() if order.starts_at else None,
            "confirmed": order.confirmed,
            "rated": order.rating is not None,
        }

    def confirm(self, token: Any) -> OrderAck:
        """The orderer confirms the scheduled time; a new managing link is given."""
        order, digest = self.opened(token, "manage")
        who, at = orderer(order), self.app.clock()
        order.confirm(who, at, link=digest)
        link = self.talks.new_link(order, who, at, "manage")
        return self.talks.ack(order, self.app.commit(order), link)

    def reschedule(self, token: Any, *, window_from: Any, window_to: Any) -> OrderAck:
        """Other days for the same order (never a second one)."""
        order, digest = self.opened(token, "manage")
        who, at = orderer(order), self.app.clock()
        first, last = checks.window(self.talks.policy, at, window_from, window_to)
        booked = list(order.speakers)
        released = order.reschedule(who, at, link=digest, window_from=first, window_to=last)
        changed = self.talks.release(released, who, at, "点单人改期")
        changed += self.talks.speakers.released(booked, str(order.id), who, at, "rescheduled")
        link = self.talks.new_link(order, who, at, "manage")
        return self.talks.ack(order, self.app.commit(order, *changed), link)

    def cancel(self, token: Any, *, reason: Any = "") -> OrderAck:
        order, digest = self.opened(token, "manage")
        why = "点单人取消" if reason in (None, "") else inputs.prose("reason", reason, max_len=500)
        who, at = orderer(order), self.app.clock()
        booked = list(order.speakers)
        released = order.cancel(who, at, reason=why, link=digest)
        changed = self.talks.release(released, who, at, why)
        changed += self.talks.speakers.released(booked, str(order.id), who, at, "cancelled")
        return self.talks.ack(order, self.app.commit(order, *changed))

    def rate(self, token: Any, *, stars: Any) -> OrderAck:
        """One click: one to five stars; a low one opens a follow-up for the station."""
        if type(stars) is not int or not 1 <= stars <= 5:
            raise InvalidInput("评价须为1到5星", "A rating is 1 to 5 stars", field="stars")
        order, digest = self.opened(token, "rate")
        order.rate(
            orderer(order),
            self.app.clock(),
            link=digest,
            stars=stars,
            low=self.talks.policy.low_rating,
        )
        return self.talks.ack(order, self.app.commit(order))
