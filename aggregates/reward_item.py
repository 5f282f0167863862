"""The RewardItem aggregate: goods donated by local businesses, redeemable for points.

Stock never goes below zero: a hand-out beyond it is refused, and two hand-outs
racing for the last piece conflict on the item's version, so one is refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from aggregates.actor import Actor
from aggregates.errors import OutOfStock, RedemptionLimitReached


class RewardItem(Aggregate):
    """One kind of donated goods in a Happiness Bank's catalogue."""

    class Event(Aggregate.Event):
        actor: Actor

    class Donated(Event, Aggregate.Created):
        name: str
        donor: str
        stock: int
        price: int  # points per piece
        limit_per_volunteer: int | None  # pieces one volunteer may take, ever
        bank: str  # the unit running the Happiness Bank that holds the item

    class Restocked(Event):
        quantity: int
        donor: str

        def apply(self, aggregate: Any) -> None:
            aggregate.stock += self.quantity
            if self.donor not in aggregate.donors:
                aggregate.donors.append(self.donor)

    class HandedOut(Event):
        volunteer_id: str
        quantity: int
        points: int  # what the volunteer paid, in all

        def apply(self, aggregate: Any) -> None:
            aggregate.stock -= self.quantity
            taken = aggregate.handed_out.get(self.volunteer_id, 0)
            aggregate.handed_out[self.volunteer_id] = taken + self.quantity

    def __init__(
        self,
        actor: Actor,  # noqa: ARG002 (every Created field is passed; the event keeps it)
        name: str,
        donor: str,
        stock: int,
        price: int,
        limit_per_volunteer: int | None,
        bank: str,
    ) -> None:
        self.name = name
        self.donors = [donor]
        self.stock = stock
        self.price = price
        self.limit_per_volunteer = limit_per_volunteer
        self.bank = bank
        self.handed_out: dict[str, int] = {}

    @classmethod
    def donate(
        cls,
        actor: Actor,
        at: datetime,
        *,
        name: str,
        donor: str,
        stock: int,
        price: int,
        limit_per_volunteer: int | None,
        bank: str,
        item_id: UUID | None = None,
    ) -> RewardItem:
        return cls._create(
            cls.Donated,
            id=item_id or uuid4(),
            timestamp=at,
            actor=actor,
            name=name,
            donor=donor,
            stock=stock,
            price=price,
            limit_per_volunteer=limit_per_volunteer,
            bank=bank,
        )

    @property
    def donor(self) -> str:
        """The first donor (a restock may name others)."""
        return self.donors[0]

    def restock(self, actor: Actor, at: datetime, quantity: int, donor: str) -> None:
        self.trigger_event(
            self.Restocked, actor=actor, timestamp=at, quantity=quantity, donor=donor
        )

    def hand_out(self, actor: Actor, at: datetime, volunteer_id: str, quantity: int) -> int:
        """Give ``quantity`` pieces to a volunteer; returns the points they cost."""
        if quantity > self.stock:
            raise OutOfStock(
                f"「{self.name}」库存不足：剩余{self.stock}件，申请兑换{quantity}件",
                f"Not enough '{self.name}' in stock: {self.stock} left, {quantity} asked",
                stock=self.stock,
                requested=quantity,
            )
        taken = self.handed_out.get(volunteer_id, 0)
        if self.limit_per_volunteer is not None and taken + quantity > self.limit_per_volunteer:
            raise RedemptionLimitReached(
                f"「{self.name}」每人限兑{self.limit_per_volunteer}件，已兑{taken}件",
                f"'{self.name}' is limited to {self.limit_per_volunteer} per volunteer; "
                f"{taken} already taken",
                limit=self.limit_per_volunteer,
                taken=taken,
            )
        points = self.price * quantity
        self.trigger_event(
            self.HandedOut,
            actor=actor,
            timestamp=at,
            volunteer_id=volunteer_id,
            quantity=quantity,
            points=points,
        )
        return points
