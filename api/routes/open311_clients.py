"""Client apps of the Open311 facade: an administrator registers one for a
jurisdiction (its api key is shown once, in the first answer only: a retry with
the same ``Idempotency-Key`` answers without it) and revokes it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import Field

from api.deps import CurrentUser, IdempotencyKey, ServicesDep
from api.dispatch import Command, execute
from api.routes.open311 import clients
from api.schemas import Answer, Body
from loop.services.intake_clients import ClientAck

router = APIRouter(prefix="/api/open311/clients", tags=["open311 外部应用"])

CLIENT_ID = r"^[a-z0-9][a-z0-9_-]{1,39}$"
ClientId = Annotated[str, Path(pattern=CLIENT_ID, max_length=40)]


class NewClient(Body):
    client_id: str = Field(pattern=CLIENT_ID, max_length=40)
    name: str = Field(min_length=1, max_length=100)
    jurisdiction: str = Field(min_length=1, max_length=100, description="县局，如 lishu")


class IssuedKey(Answer):
    client_id: str
    jurisdiction: str
    api_key: str | None = Field(
        description="只在首次应答中显示，重试时为空 / shown in the first answer only"
    )


class Revocation(Body):
    reason: str = Field(min_length=1, max_length=500)


class RevokedClient(Answer):
    client_id: str
    jurisdiction: str
    revoked: bool = True


@router.post("", response_model=IssuedKey, status_code=201)
async def register_client(
    body: NewClient, user: CurrentUser, services: ServicesDep, key: IdempotencyKey = None
) -> IssuedKey:
    """登记外部应用并发放 api_key（系统管理员）/ register a client app and issue its key.
    Only the key's keyed digest is stored, in the log and in the kept answer alike."""
    shown: dict[str, str] = {}

    def run() -> ClientAck:
        issued = clients(services).register(
            user.actor, body.client_id, body.name, body.jurisdiction
        )
        shown["api_key"] = issued.api_key
        return ClientAck(issued.client_id, issued.jurisdiction)

    def answer(done: ClientAck) -> IssuedKey:
        return IssuedKey(**done._asdict(), api_key=shown.get("api_key"))

    return await execute(
        services,
        user,
        key,
        Command(f"open311_client:{body.client_id}", body, run, IssuedKey, answer, 201),
    )


@router.post("/{client_id}/revoke", response_model=RevokedClient)
async def revoke_client(
    client_id: ClientId,
    body: Revocation,
    user: CurrentUser,
    services: ServicesDep,
    key: IdempotencyKey = None,
) -> RevokedClient:
    """吊销外部应用的 api_key（系统管理员）/ revoke a client app's key for good."""

    def run() -> ClientAck:
        return clients(services).revoke(user.actor, client_id, body.reason)

    def answer(done: ClientAck) -> RevokedClient:
        return RevokedClient(**done._asdict())

    return await execute(
        services,
        user,
        key,
        Command(f"open311_revoke:{client_id}", body, run, RevokedClient, answer),
    )
