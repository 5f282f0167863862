"""Log-in accounts (账号), for the administrator: list and search, create with a
one-time password, give a role in a unit, disable, enable, reset the password,
and each account's history.

Every change is an event of the account (``loop.services.accounts``) with its
actor and reason, run on the group-commit writer; who may manage which account
is the organisation's rule (an administrator, within his own unit), and an
account he may not manage answers 404, as if it did not exist. A one-time
password is made here, shown once in the answer, and only its hash is kept
(apart from the events); so creation and resets take no ``Idempotency-Key``
(a kept answer would hold the password): a retried creation finds the user
name taken, a retried reset issues another password.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Path, Query, UploadFile
from pydantic import BaseModel, Field

from aggregates.errors import UnitNotFound
from api.accounts import User
from api.deps import CurrentUser, IdempotencyKey, ServicesDep, WaitFor
from api.dispatch import command, execute
from api.schemas import Answer, Body, Rows, answer_of
from api.services import Services
from loop.rules import organisation as rules
from loop.rules import permissions
from loop.rules.organisation_access import login_record
from loop.services.accounts import AccountAck, AccountNotFound
from loop.services.imports import ImportAck
from loop.services.roll_files import MAX_BYTES

router = APIRouter(prefix="/api/admin/accounts", tags=["accounts 账号管理"])

Username = Annotated[str, Path(max_length=100)]
Reason = Annotated[str, Field(max_length=500)]


class NewAccount(Body):
    username: str = Field(max_length=100)
    display_name: str = Field(default="", max_length=100)
    role: str = Field(max_length=40)
    unit: str = Field(max_length=64)
    reason: Reason = ""


class RoleBody(Body):
    role: str = Field(max_length=40)
    unit: str = Field(max_length=64)
    reason: Reason


class ReasonBody(Body):
    reason: Reason


Kept = answer_of(AccountAck)
"""What is kept with an idempotency key: the account's acknowledgement, no password."""


class AccountAnswer(Answer):
    username: str
    version: int
    role: str | None
    unit: str | None
    disabled: bool
    position: int | None
    one_time_password: str | None = None
    """Shown once, not on a replay: the owner must change it at the first log-in."""


def one_time_password() -> str:
    """A random password (96 bits) the policy accepts, to be changed at log-in."""
    return "lishu-" + secrets.token_urlsafe(12)


def administrator(user: User, action: str = "manage_account") -> None:
    """Refused (403) unless the user's role may ever take ``action``: asked before
    any account is looked at."""
    permissions.check_role(action, user.actor)


def managed(s: Services, user: User, username: str) -> None:
    """404 unless the account exists within the user's reach (its role's unit
    within his); whether he may give or take a role is the command's check."""
    administrator(user)
    account = s.loop.accounts.find(username)
    tree = s.loop.registry.tree()
    unit = account.unit if account is not None and account.unit else user.unit
    record = login_record(username, rules.record_unit(tree, unit))
    if account is None or not permissions.visible(user.actor, record):
        raise AccountNotFound(
            f"用户不存在：{username}", f"no such user: {username}", username=username
        )


async def keyed(
    s: Services, user: User, key: str | None, request: str, body: BaseModel, run: Any
) -> AccountAnswer:
    """Run ``run`` once per key (``api.dispatch``), answered as an account."""
    kept = await execute(s, user, key, command(request, body, run, Kept))
    return AccountAnswer(**kept.model_dump())


@router.get("", response_model=Rows)
async def accounts(
    user: CurrentUser,
    s: ServicesDep,
    search: Annotated[str, Query(max_length=100)] = "",
    unit: Annotated[str | None, Query(max_length=64)] = None,
    role: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
    wait_for: WaitFor = None,
) -> Rows:
    """本单位及下属单位的账号，可按用户名或姓名搜索 / the accounts within the
    administrator's unit (or ``unit`` below it), searched by user name or name."""
    administrator(user)
    tree = s.loop.registry.tree()
    scope = unit or user.unit
    if not tree.registered(scope) or not permissions.visible(
        user.actor, login_record("", rules.record_unit(tree, scope))
    ):
        raise UnitNotFound(
            f"没有编码为 {scope} 的单位", f"No unit has the code {scope}", unit=scope
        )
    await s.wait_for(wait_for)
    rows = s.views.accounts.accounts(
        tree.descendants(scope),
        search=search,
        role=role,
        limit=limit,
        offset=offset,
    )
    return Rows(items=rows)


@router.post("", response_model=AccountAnswer, status_code=201)
async def create(
    body: NewAccount, user: CurrentUser, s: ServicesDep, key: IdempotencyKey = None
) -> AccountAnswer:
    """创建账号并给出一次性密码（首次登录须修改）/ create an account holding a role in a
    unit, with a one-time password shown once (to be changed at the first log-in)."""
    administrator(user)
    password = one_time_password()
    password_hash = s.accounts.hashed(password, body.username.strip(), body.display_name)

    def run() -> AccountAck:
        return s.loop.accounts.create(
            user.actor,
            username=body.username,
            role=body.role,
            unit=body.unit,
            display_name=body.display_name,
            reason=body.reason,
            password="one_time",
        )

    done = await keyed(s, user, key, f"create_account:{body.username}", body, run)
    if done.replayed:
        return done
    s.accounts.keep_hash(done.username, password_hash)
    return done.model_copy(update={"one_time_password": password})


@router.post("/{username}/role", response_model=AccountAnswer)
async def grant(
    body: RoleBody,
    username: Username,
    user: CurrentUser,
    s: ServicesDep,
    key: IdempotencyKey = None,
) -> Any:
    """授予角色（原角色同时撤销，其登录全部失效）/ give the account a role in a unit;
    its former role is revoked and its sessions end."""
    managed(s, user, username)

    def run() -> AccountAck:
        return s.loop.accounts.grant(
            user.actor, username, role=body.role, unit=body.unit, reason=body.reason
        )

    done = await keyed(s, user, key, f"grant:{username}", body, run)
    s.accounts.changed(username)
    return done


@router.post("/{username}/disable", response_model=AccountAnswer)
async def disable(
    body: ReasonBody,
    username: Username,
    user: CurrentUser,
    s: ServicesDep,
    key: IdempotencyKey = None,
) -> Any:
    """停用账号：不能再登录，已有登录全部失效 / disable: no more log-ins, and every
    session ends at once."""
    managed(s, user, username)

    def run() -> AccountAck:
        return s.loop.accounts.disable(user.actor, username, reason=body.reason)

    done = await keyed(s, user, key, f"disable:{username}", body, run)
    s.accounts.changed(username)
    return done


@router.post("/{username}/enable", response_model=AccountAnswer)
async def enable(
    body: ReasonBody,
    username: Username,
    user: CurrentUser,
    s: ServicesDep,
    key: IdempotencyKey = None,
) -> Any:
    """重新启用账号（旧的登录不恢复）/ enable again (old sessions stay ended)."""
    managed(s, user, username)

    def run() -> AccountAck:
        return s.loop.accounts.enable(user.actor, username, reason=body.reason)

    done = await keyed(s, user, key, f"enable:{username}", body, run)
    s.accounts.changed(username)
    return done


@router.post("/{username}/password", response_model=AccountAnswer)
async def reset(
    body: ReasonBody,
    username: Username,
    user: CurrentUser,
    s: ServicesDep,
    key: IdempotencyKey = None,
) -> Any:
    """重设密码：给出一次性密码，首次登录须修改，已有登录全部失效 / reset the password:
    a one-time password shown once, to be changed at log-in; sessions end."""
    managed(s, user, username)
    password = one_time_password()
    password_hash = s.accounts.hashed(password, username)

    def run() -> AccountAck:
        return s.loop.accounts.reset_password(user.actor, username, reason=body.reason)

    done = await keyed(s, user, key, f"reset_password:{username}", body, run)
    if done.replayed:
        return done
    s.accounts.keep_hash(username, password_hash)
    return done.model_copy(update={"one_time_password": password})


@router.get("/{username}/history", response_model=list[dict[str, Any]])
async def history(username: Username, user: CurrentUser, s: ServicesDep) -> list[dict[str, Any]]:
    """账号的历史：谁在何时创建、授予角色、停用、重设密码及理由 / the account's
    history: who created it, gave or took its role, disabled it or reset its
    password, when and why."""
    managed(s, user, username)
    return s.loop.accounts.history(username)


Imported = answer_of(ImportAck)


class RollReport(BaseModel):
    rows: int
    new: int
    existing: int
    problems: list[dict[str, Any]]
    """Each bad row: its number, column, code and reason in zh-CN and English."""


class RollImported(Answer):
    imported: int
    existing: int
    position: int | None


async def _content(file: UploadFile) -> tuple[bytes, str]:
    content = await file.read(MAX_BYTES + 1)
    return content, file.filename or "roll.csv"


@router.post("/imports/check", response_model=RollReport)
async def check_roll(
    file: UploadFile, user: CurrentUser, s: ServicesDep, key: IdempotencyKey = None
) -> RollReport:
    """名册导入试运行：逐行列出问题（行号、列、原因），不写入任何数据 / the dry run of a
    roll import (XLSX or CSV): every bad row with its number, column and reason;
    nothing is stored (so a key changes nothing: a retry reads again)."""
    del key
    administrator(user, "import_roll")
    content, name = await _content(file)
    report = await anyio.to_thread.run_sync(s.loop.imports.check, user.actor, content, name)
    return RollReport(
        rows=report.rows,
        new=len(report.new),
        existing=len(report.existing),
        problems=[vars(p) for p in report.problems],
    )


@router.post("/imports", response_model=RollImported, status_code=201)
async def import_roll(
    file: UploadFile, user: CurrentUser, s: ServicesDep, key: IdempotencyKey = None
) -> RollImported:
    """名册导入：全部写入或全部不写；已登记的义警不重复导入 / import a roll: every new
    volunteer admitted ("by import, reviewed offline") with his Happiness Bank and
    log-in accounts, in one transaction or not at all; those registered already
    are left as they are, so the same file again adds nobody."""
    administrator(user, "import_roll")
    content, name = await _content(file)
    digest = hashlib.sha256(content).hexdigest()

    def run() -> ImportAck:
        return s.loop.imports.run(user.actor, content, name)

    kept = await execute(s, user, key, command(f"import_roll:{digest}", None, run, Imported))
    return RollImported(**kept.model_dump())
