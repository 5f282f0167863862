"""The apps allowed to pass residents' reports on (Open311 clients): registered
by an administrator for one jurisdiction with a new api key, and revocable.

The key is shown once, when it is made; only its keyed digest is recorded (the
caller's ``digest``, an HMAC under the installation's digest key), so neither
the event log nor a backup holds a usable key.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Callable
from typing import NamedTuple

from eventsourcing.persistence import RecordConflictError

from aggregates.actor import Actor
from aggregates.errors import DomainError
from aggregates.intake_client import IntakeClient
from loop.errors import ConcurrencyConflict, InvalidInput
from loop.rules import inputs, permissions, units
from loop.rules.intake_access import client_record
from loop.storage.application import LoopApplication

CLIENT_ID = re.compile(r"[a-z0-9][a-z0-9_-]{1,39}")
Digest = Callable[[str], str]


class KeyRefused(DomainError):
    """A missing, unknown or revoked api key (Open311 answers 403)."""

    code = "api_key_refused"


class ClientNotFound(DomainError):
    code = "client_not_found"


class ClientAlreadyRegistered(DomainError):
    code = "client_already_registered"


class ClientAck(NamedTuple):
    client_id: str
    jurisdiction: str


class Issued(NamedTuple):
    client_id: str
    jurisdiction: str
    api_key: str
    """Shown once; never stored."""


def refused() -> KeyRefused:
    return KeyRefused(
        "api_key 缺失、无效或已吊销", "Missing, invalid or revoked api_key", field="api_key"
    )


class IntakeClients:
    def __init__(self, app: LoopApplication, digest: Digest) -> None:
        self.app = app
        self.digest = digest

    def register(self, actor: Actor, client_id: str, name: str, jurisdiction: str) -> Issued:
        """Register ``client_id`` for ``jurisdiction`` (a county) with a new key."""
        permissions.check_role("register_client", actor)
        if not isinstance(client_id, str) or not CLIENT_ID.fullmatch(client_id):
            raise InvalidInput(
                "客户端编号须为2-40位小写字母、数字、-或_",
                "a client id is 2-40 lowercase letters, digits, - or _",
                field="client_id",
            )
        name = inputs.text("name", name, max_len=100)
        if units.level(jurisdiction) != "county":
            raise InvalidInput(
                "管辖区须为县局", "the jurisdiction must be a county", field="jurisdiction"
            )
        permissions.check("register_client", actor, client_record(jurisdiction))
        secret = secrets.token_urlsafe(32)
        api_key = f"{client_id}.{secret}"
        client = IntakeClient.register(
            actor,
            self.app.clock(),
            client_id=client_id,
            name=name,
            jurisdiction=jurisdiction,
            key_digest=self.digest(api_key),
        )
        try:
            self.app.commit(client)
        except (RecordConflictError, ConcurrencyConflict):
            raise ClientAlreadyRegistered(
                "该客户端已登记", "This client is already registered", client_id=client_id
            ) from None
        return Issued(client_id, jurisdiction, api_key)

    def revoke(self, actor: Actor, client_id: str, reason: str) -> ClientAck:
        """Revoke the client's key for good: its reports are refused from now on."""
        permissions.check_role("revoke_client", actor)
        reason = inputs.text("reason", reason, max_len=500)
        client = self.find(client_id)
        if client is None:
            raise ClientNotFound(
                "没有这个外部应用", "No such client app", client_id=str(client_id)[:40]
            )
        permissions.check("revoke_client", actor, client_record(client.jurisdiction))
        if client.revoked:
            raise refused()
        client.revoke(actor, self.app.clock(), reason)
        self.app.commit(client)
        return ClientAck(client.client_id, client.jurisdiction)

    def find(self, client_id: str) -> IntakeClient | None:
        if not isinstance(client_id, str) or not CLIENT_ID.fullmatch(client_id):
            return None
        return self.app.find(IntakeClient.id_for(client_id), IntakeClient)

    def authenticate(self, api_key: str | None) -> IntakeClient:
        """The client ``api_key`` belongs to, or :class:`KeyRefused`."""
        if not api_key or len(api_key) > 200 or "." not in api_key:
            raise refused()
        client = self.find(api_key.partition(".")[0])
        if client is None or client.revoked:
            raise refused()
        if not hmac.compare_digest(client.key_digest, self.digest(api_key)):
            raise refused()
        return client
