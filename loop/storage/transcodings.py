"""How loop values are stored inside events and snapshots."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import Transcoding

from aggregates.actor import Actor


class ActorAsList(Transcoding):
    """Stores an :class:`Actor` compactly as ``[id, role, unit]``."""

    type = Actor
    name = "actor"

    def encode(self, obj: Actor) -> list[str]:
        return [obj.id, obj.role, obj.unit]

    def decode(self, data: Any) -> Actor:
        actor_id, role, unit = data
        return Actor(id=actor_id, role=role, unit=unit)
