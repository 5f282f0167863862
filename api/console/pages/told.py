"""The auditor's page of who was told (GET /api/notifications/told): each message
within a unit, to whom it went and when it fell due, who read it in the inbox,
and each text message or webhook with its attempts and outcome."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.console.pages.common import names, units_within
from api.console.render import page
from api.console.session import ConsoleUser
from api.deps import ServicesDep
from api.query import UnitFilter
from api.routes import inbox
from loop.rules import permissions

router = APIRouter(include_in_schema=False)

Text = Annotated[str | None, Query(max_length=100)]


@router.get("/audit/told", response_class=HTMLResponse)
async def told_page(
    request: Request,
    user: ConsoleUser,
    s: ServicesDep,
    unit: UnitFilter = None,
    subject_id: Text = None,
    person: Text = None,
) -> Response:
    permissions.check_role("audit", user.actor)
    chosen = unit or user.unit
    subject, whom = (subject_id or "").strip() or None, (person or "").strip() or None
    found = await inbox.who_was_told(
        user, s, unit=chosen, subject_id=subject, person=whom, limit=100
    )
    items = found.items
    people = [m["to"]["person"] for m in items if m["to"]["person"]]
    people += [d["recipient"] for m in items for d in m["deliveries"] if d["recipient"]]
    people += [r["by"] for m in items for r in m["reads"]]
    context = {
        "items": items,
        "unit": chosen,
        "units": units_within(s, user.unit),
        "subject_id": subject,
        "person": whom,
        "people": names(s, people),
    }
    return page(request, "told.html", context, services=s, user=user)
