"""Audit: verify the stored history, and read any record's history (auditors)."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Path
from pydantic import BaseModel

from api.deps import CurrentUser, ServicesDep
from loop.rules import inputs, permissions
from loop.services import audit
from loop.services.proof import prove

router = APIRouter(prefix="/api/audit", tags=["audit 审计"])


class Finding(BaseModel):
    kind: str
    incident_id: str | None
    version: int | None
    notification_id: int | None
    detail: str


class SealView(BaseModel):
    seq: int
    up_to: int
    events: int
    head: str
    sealed_at: str


class Verification(BaseModel):
    intact: bool
    events: int
    head: str
    summary: str
    damage: list[Finding]
    notes: list[str]
    last_seal: SealView | None
    seal_authenticated: bool | None
    """Whether the last seal is signed with the installation's seal key: None when
    this process cannot have the key (refused; a note says why)."""
    snapshots_refused: list[str]
    """Snapshots this process found untrustworthy on loading and replayed instead."""


@router.get("/verify", response_model=Verification)
async def verify_log(user: CurrentUser, s: ServicesDep) -> Verification:
    """校验存储的全部历史：完好，或损坏的记录、版本与类型；最近一次封存及其能否验证 /
    prove the stored history unaltered, or say where and how it was damaged; the
    last seal and whether it authenticates (auditors)."""
    permissions.check_role("audit", user.actor)

    def run() -> Verification:
        proof = prove(s.settings, s.flow.app)
        report, last = proof.report, proof.report.last_seal
        return Verification(
            intact=report.intact,
            events=report.events,
            head=report.head,
            summary=report.summary(),
            damage=[Finding(**vars(d)) for d in report.damage],
            notes=report.notes,
            last_seal=SealView(**{k: getattr(last, k) for k in SealView.model_fields})
            if last
            else None,
            seal_authenticated=report.seal_authenticated,
            snapshots_refused=proof.snapshots_refused,
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
