"""Helpers for tests of talk orders: the talks over a loop, a menu item, an order."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime, timedelta
from typing import Any

from aggregates.actor import Actor
from loop import demo
from loop.bootstrap import Loop
from loop.services.talk_links import TalkLinks
from loop.services.talks import OrderAck, Talks
from tests.support import CHINA

KEY = b"talk-link-digest-key-for-tests"
STATION = demo.STATION_OFFICER
SPEAKERS = [demo.RIDER.id, demo.COURIER.id, demo.METER.id]


def digest(token: str) -> str:
    return hmac.new(KEY, token.encode(), hashlib.sha256).hexdigest()


def talks_of(loop: Loop) -> tuple[Talks, TalkLinks]:
    talks = Talks(loop.app, loop.tasks, digest)
    return talks, TalkLinks(talks)


def offer(talks: Talks, **changes: Any) -> str:
    item: dict[str, Any] = {
        "theme": "anti_fraud",
        "title": "防范电信网络诈骗",
        "format": "market_talk",
        "minutes": 60,
        "audience": "赶集群众",
        "speakers": SPEAKERS,
    }
    return talks.offer(STATION, **{**item, **changes}).item_id


def order(talks: Talks, item_id: str, today: date, **changes: Any) -> OrderAck:
    details: dict[str, Any] = {
        "unit": demo.STATION,
        "item_id": item_id,
        "community": demo.XINGFU,
        "orderer_kind": "village_committee",
        "window_from": (today + timedelta(days=5)).isoformat(),
        "window_to": (today + timedelta(days=12)).isoformat(),
        "name": "王主任",
        "phone": "13900001111",
        "place": "幸福村村委会广场",
    }
    merged = {**details, **changes}
    actor = changes.pop("actor", None) or Actor("public_form", "resident", merged["community"])
    merged.pop("actor", None)
    return talks.order(actor, **merged)


def slot(today: date, days: int = 6, hour: int = 9) -> datetime:
    return datetime(today.year, today.month, today.day, hour, 0, tzinfo=CHINA) + timedelta(
        days=days
    )
