"""Another app allowed to pass residents' reports on (an Open311 client).

A client is registered for one jurisdiction (a county) with the keyed digest of
its api key, never the key itself; revoking it is a fact too. The key is
``<client id>.<secret>``: the id finds the record, the digest checks the secret.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from aggregates.actor import Actor

CLIENT_NAMESPACE = uuid5(NAMESPACE_URL, "https://lishu-loop/intake-client")


class IntakeClient(Aggregate):
    """An app's permission to report into one jurisdiction, until revoked."""

    class Event(Aggregate.Event):
        actor: Actor

    class Registered(Event, Aggregate.Created):
        client_id: str
        name: str
        jurisdiction: str
        key_digest: str

    class Revoked(Event):
        reason: str

        def apply(self, aggregate: Any) -> None:
            client: IntakeClient = aggregate
            client.revoked = True
            client.revoked_reason = self.reason

    def __init__(
        self, actor: Actor, client_id: str, name: str, jurisdiction: str, key_digest: str
    ) -> None:
        self.registered_by = actor
        self.client_id = client_id
        self.name = name
        self.jurisdiction = jurisdiction
        self.key_digest = key_digest
        self.revoked = False
        self.revoked_reason: str | None = None

    @staticmethod
    def id_for(client_id: str) -> UUID:
        return uuid5(CLIENT_NAMESPACE, client_id)

    @classmethod
    def register(
        cls,
        actor: Actor,
        at: datetime,
        *,
        client_id: str,
        name: str,
        jurisdiction: str,
        key_digest: str,
    ) -> IntakeClient:
        return cls._create(
            cls.Registered,
            id=cls.id_for(client_id),
            timestamp=at,
            actor=actor,
            client_id=client_id,
            name=name,
            jurisdiction=jurisdiction,
            key_digest=key_digest,
        )

    def revoke(self, actor: Actor, at: datetime, reason: str) -> None:
        self.trigger_event(self.Revoked, actor=actor, timestamp=at, reason=reason)
