"""The loop's declaration and the policy in force, for anyone logged in."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from api.deps import CurrentUser, ServicesDep
from api.errors import JSON_RESPONSES
from api.routes.incidents import diagram
from loop.rules.policy import RULES
from loop.rules.stages import LOOP, STAGES
from loop.rules.steps import step_label
from loop.rules.vocabulary import label

router = APIRouter(prefix="/api/policy", tags=["policy 规章"])


@router.get("", response_model=dict[str, Any])
async def policy(_user: CurrentUser, s: ServicesDep) -> dict[str, Any]:
    """阶段、合法步骤、谁在何范围可执行、各阶段时限，本县预设的职业（分队、职责）与专业队 /
    stages, legal steps, who may take each step within which scope, each stage's
    deadline, and the county preset's occupations (squads, duty roles) and teams."""
    deadlines = s.flow.policy.deadlines
    urgent = s.flow.policy.urgent_deadlines
    return {
        "name": s.flow.policy.name,
        "scoring": s.flow.scoring.name,
        "county": s.volunteers.county.described(),
        "stages": [
            {
                "stage": stage,
                "label": name,
                "legal_steps": LOOP.legal_steps(stage),
                "deadline_seconds": int(deadlines[stage].total_seconds())
                if stage in deadlines
                else None,
                "urgent_deadline_seconds": int(urgent[stage].total_seconds())
                if stage in urgent
                else None,
            }
            for stage, name in STAGES.items()
        ],
        "rules": [
            {
                "step": rule.step,
                "step_label": step_label(rule.step),
                "roles": sorted(rule.roles),
                "role_labels": sorted(label(r) for r in rule.roles),
                "scope": str(rule.scope),
                "scope_label": rule.scope.label,
                "stages": sorted(rule.stages) if rule.stages else None,
            }
            for rule in RULES
        ],
    }


@router.get("/diagram", response_class=PlainTextResponse, responses=JSON_RESPONSES)
async def loop_diagram(_user: CurrentUser) -> str:
    """闭环的 Mermaid 状态图 / the loop as a Mermaid state diagram."""
    return diagram(None)
