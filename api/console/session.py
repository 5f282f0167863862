"""The console's log-in session: the API's own bearer token, kept in a cookie.

The cookie is HttpOnly (no script can read the token), SameSite=Lax (a browser
sends it with no POST that another site starts) and Secure whenever the client
came over https; every form the console renders also carries a CSRF token, an
HMAC of the session's bearer token under the token key, and a POST without the
right one is refused. A page resolves the user exactly as the API does
(``api.deps.user_for_token``), so logging out anywhere ends the session.

A console session ends when it is left unused: its token lives
``console_idle_minutes`` and is re-issued (with the time the session began, so
no session outlives ``token_minutes``) by a page shown more than a minute after
the last one. A user whose password an administrator set is sent to change it
before any other page.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
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
REFRESH_SECONDS = 60
"""A session's token is re-issued by a page shown this long after it was issued."""
PASSWORD_PAGE = "/password"


class LoginRequired(Exception):
    """No valid session: the page answers with a redirect to the log-in page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class CsrfRefused(DomainError):
    code = "csrf_refused"


def token_of(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or None


class PasswordChangeFirst(Exception):
    """The user must change an administrator's password before any other page."""


async def console_user(request: Request, services: ServicesDep) -> User:
    """The logged-in user of the session cookie, as the API would resolve the token."""
    user = await session_user(request, services)
    if user.must_change_password:
        raise PasswordChangeFirst()
    return user


async def session_user(request: Request, services: ServicesDep) -> User:
    """The session's user, even one who must change the password first."""
    token = token_of(request)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if token is None:
        raise LoginRequired(target)
    try:
        user = user_for_token(services, token)
    except DomainError:
        raise LoginRequired(target) from None
    _refresh(request, services, token, user)
    return user


def _refresh(request: Request, services: Services, token: str, user: User) -> None:
    """Note a re-issued token for the page to set, once the current one is a minute old."""
    claims = services.tokens.claims(token)
    if claims is None or services.tokens.clock() - claims.issued < REFRESH_SECONDS:
        return
    request.state.session_token = _issue(services, user, auth_time=claims.auth_time)


def _issue(services: Services, user: User, auth_time: float | None = None) -> tuple[str, float]:
    idle = timedelta(minutes=services.settings.console_idle_minutes)
    token, expires = services.tokens.issue(
        user.username, user.token_version, lifetime=idle, auth_time=auth_time
    )
    return token, expires.timestamp()


def keep_alive(request: Request, response: Response) -> None:
    """Set the session's re-issued token on ``response``, if the request made one."""
    fresh = getattr(request.state, "session_token", None)
    if fresh is not None:
        _set(response, request, *fresh)


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
SessionUser = Annotated[User, Depends(session_user)]


def csrf_token(services: Services, token: str) -> str:
    key = services.token_key
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
    """Refuse a log-in posted from another site, or from an opaque origin
    (``Origin: null``: a sandboxed frame, a ``data:`` page), which the form has
    no session yet to tell apart."""
    origin = request.headers.get("origin")
    if origin is not None and (origin == "null" or urlsplit(origin).netloc != request.url.netloc):
        raise CsrfRefused(
            "登录请求来源不明，已拒绝", "The log-in did not come from this console; refused"
        )


def start(response: Response, request: Request, services: Services, user: User) -> None:
    """Begin a console session for ``user``: a token that lives while it is used."""
    _set(response, request, *_issue(services, user))


def _set(response: Response, request: Request, token: str, expires: float) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        expires=datetime.fromtimestamp(expires, UTC),
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
