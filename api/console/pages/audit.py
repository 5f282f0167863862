"""The auditor's pages: replay an incident version by version (GET
/api/incidents/{id}/state?version=N), a unit's backlog as it stood at a past
moment (GET /api/backlog/as-of), and the verification of the stored history."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.accounts import User
from api.console.actions import china_time
from api.console.pages.common import names, see_other, units_within
from api.console.render import CHINA, page
from api.console.session import ConsoleUser
from api.deps import ServicesDep
from api.query import DECIMAL, UnitFilter
from api.routes import audit, incidents, views
from api.schemas import MAX_VERSION, moment_of
from api.services import Services
from loop.rules import permissions

router = APIRouter(include_in_schema=False)

IncidentId = Annotated[str, Path(max_length=36)]
Version = Annotated[int | None, Query(ge=1, le=MAX_VERSION), DECIMAL]
HIDDEN = {"id", "created_on", "modified_on", "stage_label", "is_closed"}


def _shown(value: Any) -> str:
    if value is None or value == [] or value == "":
        return "—"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, indent=1)
    return str(value)


async def _state(incident_id: str, version: int, user: User, s: Services) -> dict[str, Any]:
    """The state after ``version`` as rows, each marked if that version changed it."""
    now = await incidents.get_state(incident_id, user, s, version=version, as_of=None)
    before = {}
    if version > 1:
        before = await incidents.get_state(incident_id, user, s, version=version - 1, as_of=None)
    rows = [
        (key, _shown(value), version > 1 and before.get(key) != value)
        for key, value in now.items()
        if key not in HIDDEN
    ]
    rows.sort(key=lambda row: (not row[2], row[0]))
    return {"state": now, "rows": rows}


@router.get("/audit", response_class=HTMLResponse)
async def audit_home(
    request: Request,
    user: ConsoleUser,
    s: ServicesDep,
    verify: Annotated[str | None, Query(max_length=1)] = None,
    incident: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    permissions.check_role("audit", user.actor)
    if incident:
        return see_other(f"/audit/incidents/{incident.strip()}")
    checked = await audit.verify_log(user, s) if verify else None
    recent = (await incidents.list_incidents(user, s, unit=user.unit, limit=20)).items
    now = datetime.now(CHINA).strftime("%Y-%m-%dT%H:%M:%S")
    context = {
        "verification": checked,
        "recent": recent,
        "units": units_within(s, user.unit),
        "now": now,
    }
    return page(request, "audit.html", context, services=s, user=user)


@router.get("/audit/incidents/{incident_id}", response_class=HTMLResponse)
async def replay(
    request: Request,
    incident_id: IncidentId,
    user: ConsoleUser,
    s: ServicesDep,
    version: Version = None,
) -> Response:
    permissions.check_role("audit", user.actor)
    history = (await incidents.get_history(incident_id, user, s)).entries
    chosen = min(version or len(history), len(history))
    context = {
        "incident_id": incident_id,
        "history": history,
        "version": chosen,
        "entry": history[chosen - 1],
        "people": names(s, [e["actor"]["id"] for e in history]),
        **await _state(incident_id, chosen, user, s),
    }
    name = "_replay_state.html" if request.headers.get("HX-Request") else "replay.html"
    return page(request, name, context, services=s, user=user)


@router.get("/audit/backlog", response_class=HTMLResponse)
async def backlog_then(
    request: Request,
    user: ConsoleUser,
    s: ServicesDep,
    moment: Annotated[str, Query(max_length=40)],
    unit: UnitFilter = None,
) -> Response:
    permissions.check_role("audit", user.actor)
    chosen = unit or user.unit
    at = moment_of("moment", china_time(moment))
    rows = (await views.backlog_as_of(user, s, moment=at, unit=chosen)).items
    context = {
        "rows": rows,
        "moment": at.isoformat(),
        "moment_local": at.astimezone(CHINA).strftime("%Y-%m-%dT%H:%M:%S"),
        "unit": chosen,
        "units": units_within(s, user.unit),
    }
    return page(request, "backlog_as_of.html", context, services=s, user=user)
