"""Log-in, log-out and the user's own password: bearer tokens for a user name and
password, throttled per account and per address (``api.login_guard``)."""

from __future__ import annotations

from functools import partial
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from api.accounts import AccountError, User
from api.deps import ServicesDep, SessionUser
from api.errors import LOGIN_RESPONSES, Unauthenticated
from api.schemas import Login, Me, PasswordChange, Token
from api.seed import DEMO_PASSWORD
from api.services import Services
from api.units import unit_label
from loop.rules.vocabulary import label

router = APIRouter(prefix="/api", tags=["auth 登录"])


def client_address(request: Request) -> str:
    """The client's address (the proxy's ``X-Forwarded-For`` where it is trusted)."""
    return request.client.host if request.client else "unknown"


def _refused() -> Unauthenticated:
    return Unauthenticated("用户名或密码错误，或账号已停用", "Wrong name or password, or disabled")


async def authenticate(s: Services, username: str, password: str, address: str) -> User:
    """The user, if the password is right: throttled, hashed within the bound. The
    throttle's reads and writes of the shared database run off the event loop (on
    SQLite a write may wait for another writer)."""
    await anyio.to_thread.run_sync(s.guard.check, username, address)
    if password == DEMO_PASSWORD and not s.settings.demo:
        user = None  # the demo's public password opens nothing outside demo mode
    else:
        user = await s.guard.hashed(s.accounts.authenticate, username, password)
    if user is None:
        exists = s.accounts.get(username) is not None
        await anyio.to_thread.run_sync(
            partial(s.guard.failed, username, address, account_exists=exists)
        )
        raise _refused()
    await anyio.to_thread.run_sync(s.guard.succeeded, username)
    return user


def token_for(s: Services, user: User) -> Token:
    token, expires = s.tokens.issue(user.username, user.token_version)
    return Token(
        access_token=token,
        expires_at=expires,
        username=user.username,
        role=user.role,
        unit=user.unit,
        display_name=user.display_name,
        password_change_required=user.must_change_password,
    )


async def _token(s: Services, request: Request, username: str, password: str) -> Token:
    return token_for(s, await authenticate(s, username, password, client_address(request)))


@router.post("/auth/login", response_model=Token, responses=LOGIN_RESPONSES)
async def login(body: Login, request: Request, s: ServicesDep) -> Token:
    """用户名密码登录 / log in with a user name and password."""
    return await _token(s, request, body.username, body.password)


@router.post("/auth/token", response_model=Token, responses=LOGIN_RESPONSES)
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request, s: ServicesDep
) -> Token:
    """OAuth2 密码模式（供接口文档“Authorize”使用）/ OAuth2 password flow."""
    return await _token(s, request, form.username, form.password)


@router.post("/auth/logout", status_code=204)
async def logout(user: SessionUser, s: ServicesDep) -> None:
    """退出登录：此账号此前签发的令牌全部失效 / log out: every token of the account
    issued so far stops working, in every process."""
    s.accounts.revoke(user.username)


@router.post("/auth/password", response_model=Token, responses=LOGIN_RESPONSES)
async def change_password(
    body: PasswordChange, request: Request, user: SessionUser, s: ServicesDep
) -> Token:
    """修改本人密码（管理员设置的密码首次登录须修改）；旧令牌全部失效，返回新令牌 /
    change one's own password; older tokens stop working, a new one is returned."""
    try:
        await authenticate(s, user.username, body.current_password, client_address(request))
    except Unauthenticated:
        raise AccountError(
            "当前密码不正确", "The current password is wrong", field="current_password"
        ) from None
    if body.new_password == body.current_password:
        raise AccountError(
            "新密码须与当前密码不同", "The new password must differ", field="new_password"
        )
    await s.guard.hashed(s.accounts.set_password, user.username, body.new_password)
    s.log.record("password_changed", user.username, operator=user.username)
    changed = s.accounts.get(user.username)
    assert changed is not None
    return token_for(s, changed)


@router.get("/me", response_model=Me)
async def me(user: SessionUser, s: ServicesDep) -> Me:
    """当前登录用户 / who is logged in."""
    return Me(
        username=user.username,
        role=user.role,
        role_label=label(user.role),
        unit=user.unit,
        unit_label=unit_label(user.unit, s.loop.registry.tree()),
        display_name=user.display_name,
        password_change_required=user.must_change_password,
    )
