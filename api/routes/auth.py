"""Log-in: a bearer token for a user name and password."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import CurrentUser, ServicesDep
from api.errors import Unauthenticated
from api.schemas import Login, Me, Token
from api.services import Services
from api.units import unit_label
from loop.rules.vocabulary import label

router = APIRouter(prefix="/api", tags=["auth 登录"])


async def _token(s: Services, username: str, password: str) -> Token:
    user = await anyio.to_thread.run_sync(s.accounts.authenticate, username, password)
    if user is None:
        raise Unauthenticated(
            "用户名或密码错误，或账号已停用", "Wrong name or password, or disabled"
        )
    token, expires = s.tokens.issue(user.username)
    return Token(
        access_token=token,
        expires_at=expires,
        username=user.username,
        role=user.role,
        unit=user.unit,
        display_name=user.display_name,
    )


@router.post("/auth/login", response_model=Token)
async def login(body: Login, s: ServicesDep) -> Token:
    """用户名密码登录 / log in with a user name and password."""
    return await _token(s, body.username, body.password)


@router.post("/auth/token", response_model=Token)
async def token(form: Annotated[OAuth2PasswordRequestForm, Depends()], s: ServicesDep) -> Token:
    """OAuth2 密码模式（供接口文档“Authorize”使用）/ OAuth2 password flow."""
    return await _token(s, form.username, form.password)


@router.get("/me", response_model=Me)
async def me(user: CurrentUser) -> Me:
    """当前登录用户 / who is logged in."""
    return Me(
        username=user.username,
        role=user.role,
        role_label=label(user.role),
        unit=user.unit,
        unit_label=unit_label(user.unit),
        display_name=user.display_name,
    )
