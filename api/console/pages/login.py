"""Log-in, log-out and the start page, which sends each role to its own home."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from aggregates.errors import DomainError
from api.console import session
from api.console.actions import Refusal
from api.console.pages.common import form_data, home_of, see_other
from api.console.render import page
from api.deps import ServicesDep
from api.routes import auth
from api.schemas import Login
from api.seed import DEMO_PASSWORD, STAFF, VOLUNTEERS

router = APIRouter(include_in_schema=False)

# The demo's log-ins, listed on the log-in page only where the demo is seeded.
DEMO = [(a.id, a.role, display) for a, display in [*STAFF[:-1], *VOLUNTEERS[:2]]]


@router.get("/", response_class=RedirectResponse)
async def start(request: Request, services: ServicesDep) -> Response:
    try:
        user = await session.console_user(request, services)
    except session.LoginRequired:
        return see_other("/login")
    return see_other(home_of(user))


@router.get("/login", response_class=HTMLResponse)
async def login_page(
    request: Request, services: ServicesDep, next: Annotated[str | None, Query()] = None
) -> Response:
    return _login(request, services, next, None)


def _login(
    request: Request,
    services: ServicesDep,
    next_path: str | None,
    refusal: Refusal | None,
    username: str = "",
) -> HTMLResponse:
    demo = DEMO if services.settings.seeds_demo else []
    return page(
        request,
        "login.html",
        {
            "next": session.safe_next(next_path),
            "refusal": refusal,
            "username": username,
            "demo": demo,
            "demo_password": DEMO_PASSWORD,
        },
        services=services,
        user=None,
        status_code=refusal.status if refusal else 200,
    )


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, services: ServicesDep) -> Response:
    session.check_origin(request)
    data = await form_data(request)
    name, next_path = data.get("username", "").strip(), data.get("next")
    try:
        token = await auth.login(Login(username=name, password=data.get("password", "")), services)
    except ValidationError as error:
        return _login(request, services, next_path, Refusal.invalid(error), name)
    except DomainError as error:
        return _login(request, services, next_path, Refusal.of(error), name)
    response = see_other(session.safe_next(next_path))
    session.start(response, request, token.access_token, token.expires_at)
    return response


@router.post("/logout")
async def logout(request: Request, services: ServicesDep) -> Response:
    data = await form_data(request)
    session.check_csrf(request, services, data.get(session.CSRF_FIELD))
    response = see_other("/login")
    session.end(response)
    return response
