"""FastAPI dependencies as ``Annotated`` aliases: the services, the current user, a
command's idempotency key and a read's log position to wait for."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.accounts import User
from api.errors import Unauthenticated
from api.query import DECIMAL
from api.services import Services

bearer = HTTPBearer(
    auto_error=False, description="登录后获得的令牌 / the token from /api/auth/token"
)


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    """The logged-in, enabled user the bearer token names; 401 otherwise."""
    if credentials is None:
        raise Unauthenticated("请先登录", "Log in first")
    return user_for_token(request.app.state.services, credentials.credentials)


def user_for_token(services: Services, token: str) -> User:
    """The enabled user ``token`` names; :class:`Unauthenticated` otherwise (an
    account disabled in another process stops working within a second or so,
    see ``api.accounts``)."""
    username = services.tokens.subject(token)
    user = services.accounts.enabled(username) if username else None
    if user is None:
        raise Unauthenticated(
            "登录已失效，请重新登录", "The login is no longer valid; log in again"
        )
    return user


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
