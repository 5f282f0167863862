"""The backlog board: a unit's open incidents in columns by stage, soonest due
first, from GET /api/backlog; and the list of every incident, open or closed,
from GET /api/incidents."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.console.pages.common import units_within
from api.console.render import page
from api.console.session import ConsoleUser
from api.deps import ServicesDep, WaitFor
from api.query import ModuleFilter, StageFilter, UnitFilter, known
from api.routes import incidents, views
from loop.rules.stages import STAGES
from loop.rules.vocabulary import Module

router = APIRouter(include_in_schema=False)

COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("intake", ("discovered", "reported")),
    ("handling", ("handling_community", "handling_station", "handling_county")),
    ("escalated", ("escalated_to_station", "escalated_to_county")),
    ("diverted", ("diverted", "handed_over")),
    ("outcome", ("outcome_recorded",)),
    ("scoring", ("score_proposed",)),
    ("reward", ("scored",)),
    ("closing", ("rewarded", "publicized")),
)
AGES = {"1d": 86400, "3d": 3 * 86400, "7d": 7 * 86400}
AgeFilter = Annotated[str | None, Query(max_length=10), known(AGES)]
Flag = Annotated[str | None, Query(max_length=10)]


def _keep(row: dict[str, Any], module: str | None, age: str | None, overdue: bool) -> bool:
    if module and row["module"] != module:
        return False
    if age in AGES and row["age_seconds"] < AGES[age]:
        return False
    return not overdue or bool(row["overdue"])


@router.get("/board", response_class=HTMLResponse)
async def board(
    request: Request,
    user: ConsoleUser,
    s: ServicesDep,
    unit: UnitFilter = None,
    module: ModuleFilter = None,
    age: AgeFilter = None,
    overdue: Flag = None,
    wait_for: WaitFor = None,
) -> Response:
    chosen = unit or user.unit
    rows = (await views.backlog(user, s, unit=chosen, limit=500, wait_for=wait_for)).items
    summary = await views.backlog_summary(user, s, unit=chosen)
    now = datetime.now(UTC)
    for row in rows:
        due = row["due_at"]
        row["due_in"] = (datetime.fromisoformat(due) - now).total_seconds() if due else None
    shown = [r for r in rows if _keep(r, module, age, bool(overdue))]
    columns = [(key, [r for r in shown if r["stage"] in stages]) for key, stages in COLUMNS]
    context = {
        "columns": columns,
        "summary": summary,
        "urgent": sum(1 for r in rows if r["urgency"] == "urgent"),
        "shown": len(shown),
        "units": units_within(s, user.unit),
        "modules": [m.value for m in Module],
        "ages": list(AGES),
        "filters": {"unit": chosen, "module": module, "age": age, "overdue": bool(overdue)},
    }
    name = "_board_columns.html" if request.headers.get("HX-Request") else "board.html"
    return page(request, name, context, services=s, user=user)


@router.get("/incidents", response_class=HTMLResponse)
async def case_list(
    request: Request,
    user: ConsoleUser,
    s: ServicesDep,
    unit: UnitFilter = None,
    stage: StageFilter = None,
    module: ModuleFilter = None,
) -> Response:
    chosen = None if user.role == "volunteer" else unit or user.unit
    rows = (
        await incidents.list_incidents(
            user, s, unit=chosen, stage=stage or None, module=module or None, limit=200
        )
    ).items
    context = {
        "rows": rows,
        "units": [] if chosen is None else units_within(s, user.unit),
        "stages": list(STAGES),
        "modules": [m.value for m in Module],
        "filters": {"unit": chosen, "stage": stage, "module": module},
    }
    return page(request, "cases.html", context, services=s, user=user)
