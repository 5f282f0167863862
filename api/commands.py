"""``lishu serve`` and ``lishu users``, registered on the ``lishu`` app.

Every administrative command names its operator (``--operator``), who must be an
enabled administrator account; what it did is recorded in the account log with
that name. The one exception makes the first administrator: ``users add`` while
no enabled administrator exists. ``lishu forget`` checks its operator here too.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated

import typer

from aggregates.actor import Actor
from aggregates.errors import DomainError
from api import workers as workers_module
from api.account_log import AccountLog
from api.accounts import AccountError, Accounts, User
from api.config import ApiSettings
from api.login_guard import LoginGuard
from api.seed import DEMO_PASSWORD, STAFF, VOLUNTEERS
from loop import demo
from loop.bootstrap import build_loop
from loop.cli import set_operator_check
from loop.rules.vocabulary import Role, label
from loop.settings import DatabaseUrl, Settings
from loop.storage.keys_file import keys_file_path, load_or_create
from projections.compose import build as build_projections

Operator = Annotated[
    str, typer.Option("--operator", help="执行操作的系统管理员账号（须已启用），记入账号日志")
]
FirstOperator = Annotated[
    str | None,
    typer.Option("--operator", help="执行操作的系统管理员账号；创建首个管理员时不需要"),
]

users_app = typer.Typer(help="用户账号 user accounts", no_args_is_help=True)


@dataclass
class Admin:
    accounts: Accounts
    log: AccountLog
    guard: LoginGuard


@contextmanager
def open_accounts(settings: Settings, *, demo_units: bool = False) -> Iterator[Accounts]:
    """The accounts over the event store named by ``settings``, their read model
    caught up; with the demo county registered first if ``demo_units`` and the
    registry is empty (tests and benchmarks on a store of their own)."""
    loop = build_loop(settings)
    views = build_projections(settings, loop.app)
    try:
        views.projector.setup()
        if demo_units and not len(loop.registry.tree()):
            demo.register_units(loop.registry)
        views.projector.catch_up(["accounts"])
        accounts = Accounts(views.store, loop.accounts, views.accounts)
        accounts.setup()
        yield accounts
    finally:
        views.close()
        loop.close()


@contextmanager
def _admin(database_url: str | None) -> Iterator[Admin]:
    """The accounts and their log; a refusal is printed and exits with status 2."""
    settings = ApiSettings.for_url(database_url)
    try:
        with open_accounts(settings) as accounts:
            log = AccountLog(accounts.store)
            guard = LoginGuard(accounts.store, settings, log)
            for each in (log, guard):
                each.setup()
            yield Admin(accounts, log, guard)
    except DomainError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None


def administrator(accounts: Accounts, operator: str | None) -> User:
    """The operator's account, if it is an enabled administrator; refused otherwise."""
    user = accounts.enabled(operator) if operator else None
    if user is None or user.role != Role.ADMIN:
        raise AccountError(
            f"操作人须为已启用的系统管理员账号：{operator}",
            f"the operator must be an enabled administrator account: {operator}",
            field="operator",
        )
    return user


def _no_administrator(accounts: Accounts) -> bool:
    return not any(u.role == Role.ADMIN and not u.disabled for u in accounts.all())


@users_app.command("add")
def add_user(
    username: str,
    role: Annotated[str, typer.Option(help="角色，如 community_officer / role")],
    unit: Annotated[str, typer.Option(help="单位编码（已登记）/ a registered unit's code")],
    name: Annotated[str, typer.Option("--name", help="显示名 / display name")] = "",
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
    operator: FirstOperator = None,
    county_name: Annotated[
        str, typer.Option("--county-name", help="首个管理员所在县公安局的名称（尚未登记时）")
    ] = "",
    database_url: DatabaseUrl = None,
) -> None:
    """Create an account (the password is asked for unless given). Its owner must
    change the password at first log-in, except the first administrator's own, who
    registers his county bureau (``--county-name``) if it is not registered yet."""
    with _admin(database_url) as admin:
        first = _no_administrator(admin.accounts) and role == Role.ADMIN and operator is None
        if first:
            password_hash = admin.accounts.hashed(password, username.strip(), name)
            done = admin.accounts.directory.first_administrator(
                username=username, display_name=name, county=unit, county_name=county_name
            )
            admin.accounts.keep_hash(done.username, password_hash)
            found = admin.accounts.get(done.username)
            assert found is not None
            user, by = found, done.username
        else:
            by = administrator(admin.accounts, operator).username
            user = admin.accounts.create(
                username,
                password,
                role=role,
                unit=unit,
                display_name=name,
                operator=administrator(admin.accounts, operator).actor,
                reason="lishu users add",
            )
        admin.log.record("created", username, operator=by, detail=f"{user.role} {user.unit}")
    typer.echo(f"已创建 created {user.username} ({label(user.role)}, {user.unit})")


@users_app.command("disable")
def disable_user(username: str, operator: Operator, database_url: DatabaseUrl = None) -> None:
    """Disable an account: it can no longer log in, and its tokens stop working."""
    with _admin(database_url) as admin:
        by = administrator(admin.accounts, operator).actor
        admin.accounts.set_disabled(username, True, operator=by, reason="lishu users disable")
        admin.log.record("disabled", username, operator=operator)
    typer.echo(f"已停用 disabled {username}")


@users_app.command("enable")
def enable_user(username: str, operator: Operator, database_url: DatabaseUrl = None) -> None:
    """Enable a disabled account again (its old tokens stay dead: it logs in anew)."""
    with _admin(database_url) as admin:
        by = administrator(admin.accounts, operator).actor
        admin.accounts.set_disabled(username, False, operator=by, reason="lishu users enable")
        admin.log.record("enabled", username, operator=operator)
    typer.echo(f"已启用 enabled {username}")


@users_app.command("role")
def set_role(
    username: str,
    role: Annotated[str, typer.Option(help="新角色 / new role")],
    unit: Annotated[str, typer.Option(help="新单位路径 / new unit path")],
    operator: Operator,
    database_url: DatabaseUrl = None,
) -> None:
    """Give an account another role or unit; its tokens stop working."""
    with _admin(database_url) as admin:
        by = administrator(admin.accounts, operator).actor
        user = admin.accounts.set_role(username, role, unit, operator=by, reason="lishu users role")
        admin.log.record("role_changed", username, operator=operator, detail=f"{role} {unit}")
    typer.echo(f"已修改 changed {username}: {label(user.role)}, {user.unit}")


@users_app.command("password")
def reset_password(
    username: str,
    operator: Operator,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
    database_url: DatabaseUrl = None,
) -> None:
    """Set an account's password (to be changed at its next log-in); its tokens
    stop working."""
    with _admin(database_url) as admin:
        by = administrator(admin.accounts, operator).actor
        admin.accounts.set_password(username, password, operator=by, reason="lishu users password")
        admin.log.record("password_reset", username, operator=operator)
    typer.echo(f"已重设密码 password set for {username} (首次登录须修改 to change at log-in)")


@users_app.command("unlock")
def unlock_user(username: str, operator: Operator, database_url: DatabaseUrl = None) -> None:
    """Lift the lock that wrong passwords put on an account."""
    with _admin(database_url) as admin:
        administrator(admin.accounts, operator)
        if admin.accounts.get(username) is None:
            raise AccountError(
                f"用户不存在：{username}", f"no such user: {username}", field="username"
            )
        was = admin.guard.unlock(username, operator)
    typer.echo(f"{'已解锁 unlocked' if was else '未被锁定 was not locked'} {username}")


@users_app.command("list")
def list_users(database_url: DatabaseUrl = None) -> None:
    """Every account with its role and unit."""
    with _admin(database_url) as admin:
        for user in admin.accounts.all():
            state = "（已停用 disabled）" if user.disabled else ""
            who = f"{user.username:<14} {label(user.role):<10} {user.unit:<28}"
            typer.echo(f"{who} {user.display_name}{state}")


@users_app.command("log")
def show_log(
    username: Annotated[str | None, typer.Argument()] = None, database_url: DatabaseUrl = None
) -> None:
    """What was done to accounts (or to one), when and by whom."""
    with _admin(database_url) as admin:
        for e in admin.log.entries(username):
            by = f" by {e.operator}" if e.operator else ""
            source = f" from {e.client}" if e.client else ""
            typer.echo(
                f"{e.at:%Y-%m-%d %H:%M:%S}Z {e.username:<14} {e.action}{by}{source} {e.detail}"
            )


def _forget_operator(settings: Settings, operator: str) -> Actor:
    """``lishu forget``'s operator: an enabled administrator account, as its actor."""
    with open_accounts(settings) as accounts:
        return administrator(accounts, operator).actor


def keys_command(database_url: DatabaseUrl = None) -> None:
    """Make this installation's keys file if it is missing (random keys, mode 0600)
    and print where it is; the keys themselves are never printed."""
    settings = ApiSettings.for_url(database_url)
    path = keys_file_path(settings)
    if path is None:
        typer.echo("内存数据库的密钥只在进程内 a memory store keeps its keys in the process")
        raise typer.Exit(2)
    try:
        made = not path.exists()
        keys = load_or_create(path)
    except DomainError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    state = "已生成 made" if made else "已存在 exists"
    typer.echo(f"{state}: {path.resolve()} ({', '.join(sorted(keys))})")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.command("keys")(keys_command)
    set_operator_check(_forget_operator)

    @app.command("serve")
    def serve_command(
        host: Annotated[str, typer.Option(help="监听地址 / address")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="端口 / port")] = 8000,
        workers: Annotated[int, typer.Option(help="进程数 / processes")] = 1,
        demo: Annotated[
            bool, typer.Option("--demo", help="演示模式：首次启动写入演示数据与演示账号")
        ] = False,
        projector: Annotated[
            workers_module.Mode | None,
            typer.Option(
                help="投影与提醒在独立子进程（process，SQLite 文件上的默认）或服务进程内"
                "（inline）运行 / the projector and notices in a child process or in process"
            ),
        ] = None,
        database_url: DatabaseUrl = None,
    ) -> None:
        """Serve the API and the console (uvicorn); with --demo (``make run``) the
        demo county and its log-ins on first start.

        On an SQLite file the read-model projector and the notices' clock and
        dispatcher run in a child process that this command starts, watches and
        restarts (``--projector process``); ``--projector inline`` runs them in
        the serving process. Ctrl-C (or SIGTERM) stops both."""
        import uvicorn

        if database_url:
            os.environ["LISHU_DATABASE_URL"] = database_url
        if demo:
            os.environ["LISHU_DEMO"] = "true"
        settings = ApiSettings()
        mode = projector or settings.projector
        if mode is None:
            mode = workers_module.default_mode(settings.database_url, settings.read_model_url)
        if mode == "process" and workers_module.shared_only_in_process(
            settings.database_url, settings.read_model_url
        ):
            typer.echo(
                "内存数据库只能在服务进程内投影 a memory store needs --projector inline", err=True
            )
            raise typer.Exit(2)
        supervisor = None
        if mode == "process" and (settings.run_projections or settings.run_notifications):
            command = workers_module.worker_command(
                os.getpid(),
                projections=settings.run_projections,
                notifications=settings.run_notifications,
            )
            # the serving process (every uvicorn worker) leaves this work to the child
            os.environ["LISHU_RUN_PROJECTIONS"] = "false"
            os.environ["LISHU_RUN_NOTIFICATIONS"] = "false"
            supervisor = workers_module.Supervisor(command)
        typer.echo(f"梨城义警闭环 Lishu Loop: http://{host}:{port}/")
        typer.echo(f"数据库 database: {settings.database_url}")
        if settings.serves_docs:
            typer.echo("接口文档 API docs: /docs")
        if settings.demo:
            typer.echo(
                f"演示模式 demo mode. 演示账号 demo log-ins (密码 password: {DEMO_PASSWORD}):"
            )
            for actor, display in [*STAFF, *VOLUNTEERS]:
                typer.echo(f"  {actor.id:<12} {label(actor.role):<10} {display}")
        typer.echo(f"投影 projector: {mode}")
        with workers_module.supervised(supervisor):
            uvicorn.run(
                "api.app:create_app",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                log_level="info",
                proxy_headers=False,  # the app believes only LISHU_FORWARDED_ALLOW_IPS
            )
