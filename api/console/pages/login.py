"""Log-in, log-out, the user's own password and the start page, which sends each
role to its own home."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from aggregates.errors import DomainError
from api.accounts import AccountError, User
from api.console import session
from api.console.actions import Refusal
from api.console.pages.common import form_data, home_of, see_other
from api.console.render import page
from api.deps import ServicesDep
from api.errors import Unauthenticated
from api.routes import auth
from api.schemas import Login, PasswordChange
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
    demo = DEMO if services.settings.demo else []
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
        body = Login(username=name, password=data.get("password", ""))
        address = auth.client_address(request)
        user = await auth.authenticate(services, body.username, body.password, address)
    except ValidationError as error:
        return _login(request, services, next_path, Refusal.invalid(error), name)
    except DomainError as error:
        answer = _login(request, services, next_path, Refusal.of(error), name)
        if "retry_after" in error.details:
            answer.headers["Retry-After"] = str(error.details["retry_after"])
        return answer
    target = session.PASSWORD_PAGE if user.must_change_password else session.safe_next(next_path)
    response = see_other(target)
    session.start(response, request, services, user)
    return response


@router.post("/logout")
async def logout(request: Request, services: ServicesDep) -> Response:
    """End the session, and every other token of the account with it."""
    data = await form_data(request)
    session.check_csrf(request, services, data.get(session.CSRF_FIELD))
    user = session.peek_user(request, services)
    if user is not None:
        services.accounts.revoke(user.username)
    response = see_other("/login")
    session.end(response)
    return response


@router.get("/password", response_class=HTMLResponse)
async def password_page(
    request: Request, services: ServicesDep, user: session.SessionUser
) -> Response:
    return _password(request, services, user, None)


def _password(
    request: Request, services: ServicesDep, user: User, refusal: Refusal | None
) -> HTMLResponse:
    context = {"refusal": refusal, "required": user.must_change_password}
    status = refusal.status if refusal else 200
    return page(request, "password.html", context, services=services, user=user, status_code=status)


@router.post("/password", response_class=HTMLResponse)
async def change_password(
    request: Request, services: ServicesDep, user: session.SessionUser
) -> Response:
    """The user's own new password: the API's rules and answers, a new session."""
    data = await form_data(request)
    session.check_csrf(request, services, data.get(session.CSRF_FIELD))
    try:
        body = PasswordChange(
            current_password=data.get("current_password", ""),
            new_password=data.get("new_password", ""),
        )
        if body.new_password != data.get("confirm_password", ""):
            raise AccountError(
                "两次输入的新密码不一致", "The new passwords differ", field="confirm_password"
            )
        await auth.change_password(body, request, user, services)
    except ValidationError as error:
        return _password(request, services, user, Refusal.invalid(error))
    except DomainError as error:
        return _password(request, services, user, Refusal.of(error))
    changed = services.accounts.get(user.username)
    if changed is None:
        raise Unauthenticated("登录已失效，请重新登录", "The login is no longer valid")
    response = see_other(home_of(changed))
    session.start(response, request, services, changed)
    return response
