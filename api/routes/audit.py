"""Audit: verify the stored history, and read any record's history (auditors)."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Path
from pydantic import BaseModel

from api.deps import CurrentUser, ServicesDep
from loop.rules import inputs, permissions
from loop.services import audit
from loop.storage.verification import open_chain_reader, verify

router = APIRouter(prefix="/api/audit", tags=["audit 审计"])


class Finding(BaseModel):
    kind: str
    incident_id: str | None
    version: int | None
    notification_id: int | None
    detail: str


class Verification(BaseModel):
    intact: bool
    events: int
    head: str
    summary: str
    damage: list[Finding]


@router.get("/verify", response_model=Verification)
async def verify_log(user: CurrentUser, s: ServicesDep) -> Verification:
    """校验存储的全部历史：完好，或损坏的警情、版本与类型 / prove the stored history
    unaltered, or say where and how it was damaged (auditors)."""
    permissions.check_role("audit", user.actor)

    def run() -> Verification:
        with open_chain_reader(s.settings.database_url) as reader:
            report = verify(reader)  # the seals' keyed check runs on the sealing host
        return Verification(
            intact=report.intact,
            events=report.events,
            head=report.head,
            summary=report.summary(),
            damage=[Finding(**vars(d)) for d in report.damage],
        )

    return await anyio.to_thread.run_sync(run)


@router.get("/records/{record_id}/history", response_model=dict[str, Any])
async def record_history(
    record_id: Annotated[str, Path(max_length=36)], user: CurrentUser, s: ServicesDep
) -> dict[str, Any]:
    """任一记录（警情、义警档案、账户、物品）的完整历史，不遮蔽 / any record's whole
    history, unmasked (auditors of its county)."""
    permissions.check_role("audit", user.actor)
    key = inputs.incident_id("record_id", record_id)
    kind = audit.audited_kind(s.flow.app, key, user.actor)
    return {
        "record_id": str(key),
        "kind": kind,
        "entries": audit.history(s.flow.app, key, user.actor),
    }
