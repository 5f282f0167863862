"""The TalkMenu aggregate: the 宣讲菜单 a station or the county bureau offers.

Ping'an: "紧紧围绕防范电信网络诈骗、交通安全、校园安全、防毒识毒等内容制定'宣讲菜单'".
One menu per unit; each item names its theme, title, format (田间课堂, 流动电影,
集市宣讲...), length, audience and the pool of speakers who give it. Which
themes, formats and speakers are allowed is checked by ``loop/`` first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from aggregates.actor import Actor
from aggregates.talk_errors import MenuItemNotOffered, TalkRefused


def menu_id(unit: str) -> UUID:
    """One menu per unit; its id follows from the unit's."""
    return uuid5(NAMESPACE_URL, f"lishu:talk-menu:{unit}")


class TalkMenu(Aggregate):
    """The talks one unit offers."""

    class Event(Aggregate.Event):
        actor: Actor

    class Opened(Event, Aggregate.Created):
        unit: str

    class ItemOffered(Event):
        unit: str
        item_id: str
        theme: str
        title: str
        format: str
        minutes: int
        audience: str
        speakers: list[str]

        def apply(self, aggregate: Any) -> None:
            aggregate.items[self.item_id] = {
                "theme": self.theme,
                "title": self.title,
                "format": self.format,
                "minutes": self.minutes,
                "audience": self.audience,
                "speakers": list(self.speakers),
            }

    class ItemWithdrawn(Event):
        item_id: str
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.items.pop(self.item_id)

    def __init__(self, actor: Actor, unit: str) -> None:  # noqa: ARG002
        self.unit = unit
        self.items: dict[str, dict[str, Any]] = {}

    @classmethod
    def open(cls, actor: Actor, at: datetime, unit: str) -> TalkMenu:
        return cls._create(cls.Opened, id=menu_id(unit), timestamp=at, actor=actor, unit=unit)

    def item(self, item_id: str) -> dict[str, Any]:
        found = self.items.get(item_id)
        if found is None:
            raise MenuItemNotOffered(
                "菜单中没有这项宣讲", "The menu offers no such talk", item_id=item_id
            )
        return found

    def offer(self, actor: Actor, at: datetime, *, item_id: str, **item: Any) -> None:
        if item_id in self.items:
            raise TalkRefused(
                "菜单中已有该编号的宣讲", "That menu item id is taken", item_id=item_id
            )
        self.trigger_event(
            self.ItemOffered, actor=actor, timestamp=at, unit=self.unit, item_id=item_id, **item
        )

    def withdraw(self, actor: Actor, at: datetime, *, item_id: str, reason: str) -> None:
        self.item(item_id)
        self.trigger_event(
            self.ItemWithdrawn, actor=actor, timestamp=at, item_id=item_id, reason=reason
        )
