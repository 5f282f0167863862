"""Training in the console: a volunteer's progress on his phone (this year's days
against the norm, what he still lacks before duty, his exams, the sessions he
attended and those ahead); for staff, the sessions held by or for their unit and
the year's shortfall list.

The page runs the API's own route functions as the logged-in user."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.console.pages.common import names
from api.console.render import page
from api.console.session import ConsoleUser
from api.deps import ServicesDep
from api.routes import training as routes
from loop.rules.vocabulary import Role

router = APIRouter(include_in_schema=False)

WaitFor = Annotated[int | None, Query(ge=0)]
Year = Annotated[int | None, Query(ge=2000, le=2100)]


@router.get("/training", response_class=HTMLResponse)
async def training_page(
    request: Request, user: ConsoleUser, s: ServicesDep, year: Year = None,
    wait_for: WaitFor = None,
) -> Response:  # fmt: skip
    context: dict[str, Any] = {"year": routes.this_year(s, year)}
    if user.role == Role.VOLUNTEER:
        mine = await routes.record_of(
            user.username, user, s, year=context["year"], wait_for=wait_for
        )
        context.update(record=mine["record"], ahead=mine["next_sessions"])
        return page(request, "training.html", context, services=s, user=user)
    today = s.loop.training.today()
    listed = await routes.sessions(
        user, s, start=today - timedelta(days=30), end=today + timedelta(days=90),
        wait_for=wait_for,
    )  # fmt: skip
    short = await routes.shortfall(user, s, year=context["year"])
    context.update(
        sessions=listed.items,
        short=short.items,
        names=names(s, [r["volunteer_id"] for r in short.items]),
    )
    return page(request, "training.html", context, services=s, user=user)
