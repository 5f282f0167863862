"""The console's log-in session: the API's own bearer token, kept in a cookie.

The cookie is HttpOnly (no script can read the token) and SameSite=Lax (a
browser sends it with no POST that another site starts); every form the console
renders also carries a CSRF token, an HMAC of the session's bearer token under
the service's secret, and a POST without the right one is refused. A page
resolves the user exactly as the API does (``api.deps.user_for_token``).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request, Response

from aggregates.errors import DomainError
from api.accounts import User
from api.deps import ServicesDep, user_for_token
from api.services import Services

SESSION_COOKIE = "lishu_session"
LANG_COOKIE = "lishu_lang"
CSRF_FIELD = "csrf_token"


class LoginRequired(Exception):
    """No valid session: the page answers with a redirect to the log-in page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class CsrfRefused(DomainError):
    code = "csrf_refused"


def token_of(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or None


async def console_user(request: Request, services: ServicesDep) -> User:
    """The logged-in user of the session cookie, as the API would resolve the token."""
    token = token_of(request)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if token is None:
        raise LoginRequired(target)
    try:
        return user_for_token(services, token)
    except DomainError:
        raise LoginRequired(target) from None


def peek_user(request: Request, services: Services) -> User | None:
    """The session's user if it is valid, for pages that show without one."""
    token = token_of(request)
    if token is None:
        return None
    try:
        return user_for_token(services, token)
    except DomainError:
        return None


ConsoleUser = Annotated[User, Depends(console_user)]


def csrf_token(services: Services, token: str) -> str:
    key = services.settings.secret_key.encode()
    return hmac.new(key, b"console-csrf:" + token.encode(), hashlib.sha256).hexdigest()


def check_csrf(request: Request, services: Services, given: str | None) -> None:
    """Refuse a form POST whose CSRF token does not belong to this session."""
    token = token_of(request)
    if (
        token is None
        or given is None
        or not hmac.compare_digest(csrf_token(services, token), given)
    ):
        raise CsrfRefused(
            "表单已过期或来源不明，请刷新页面后重试",
            "The form has expired or did not come from this console; reload and retry",
        )


def check_origin(request: Request) -> None:
    """Refuse a log-in posted from another site (the form has no session yet)."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.url.netloc:
        raise CsrfRefused(
            "登录请求来源不明，已拒绝", "The log-in did not come from this console; refused"
        )


def start(response: Response, request: Request, token: str, expires: datetime) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        expires=expires,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def end(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")


def login_url(next_path: str) -> str:
    return "/login?next=" + quote(next_path, safe="/")


def safe_next(value: str | None) -> str:
    """Only a path on this site is followed after logging in."""
    if value and value.startswith("/") and not value.startswith("//"):
        return value
    return "/"
