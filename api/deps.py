"""FastAPI dependencies as ``Annotated`` aliases: the services, the current user, a
command's idempotency key and a read's log position to wait for."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.accounts import User
from api.errors import PasswordChangeRequired, Unauthenticated
from api.query import DECIMAL
from api.services import Services

bearer = HTTPBearer(
    auto_error=False, description="登录后获得的令牌 / the token from /api/auth/token"
)


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def session_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    """The logged-in, enabled user the bearer token names, even one who must
    change the password first; 401 otherwise."""
    if credentials is None:
        raise Unauthenticated("请先登录", "Log in first")
    return user_for_token(request.app.state.services, credentials.credentials)


async def current_user(user: Annotated[User, Depends(session_user)]) -> User:
    """The logged-in user, who has no password to change first (403 otherwise)."""
    refuse_until_password_changed(user)
    return user


def refuse_until_password_changed(user: User) -> None:
    if user.must_change_password:
        raise PasswordChangeRequired(
            "管理员设置的密码须先修改：POST /api/auth/password",
            "A password set by an administrator must be changed first: POST /api/auth/password",
        )


def user_for_token(services: Services, token: str) -> User:
    """The enabled user ``token`` still speaks for; :class:`Unauthenticated`
    otherwise (a token revoked in another process stops working within a second
    or so, see ``api.accounts``)."""
    claims = services.tokens.claims(token)
    user = services.accounts.session_user(claims.subject, claims.version) if claims else None
    if user is None:
        raise Unauthenticated(
            "登录已失效，请重新登录", "The login is no longer valid; log in again"
        )
    return user


SessionUser = Annotated[User, Depends(session_user)]
"""For the few operations a user who must change the password may call."""
CurrentUser = Annotated[User, Depends(current_user)]

IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="重试时保持不变 / the same on every retry"),
]
"""Optional on every command: a retry with the same key gets the first answer."""

WaitFor = Annotated[
    int | None,
    Query(
        ge=0,
        description="先等待投影追上此位置（超出日志末尾按末尾）/ wait for this log position "
        "(one beyond the log's head waits for the head)",
    ),
    DECIMAL,
]
"""On every list read: wait until the read models have applied this log position."""
