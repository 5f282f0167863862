"""``lishu serve`` and ``lishu users``, registered on the ``lishu`` app."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from aggregates.errors import DomainError
from api.accounts import Accounts
from api.config import ApiSettings
from api.seed import DEMO_PASSWORD, STAFF, VOLUNTEERS
from loop.rules.vocabulary import label
from loop.settings import DatabaseUrl
from projections.compose import read_model_url
from projections.store import Store

users_app = typer.Typer(help="用户账号 user accounts", no_args_is_help=True)


@contextmanager
def _accounts(database_url: str | None) -> Iterator[Accounts]:
    """The accounts table; a refusal is printed and exits with status 2."""
    store = Store.from_url(read_model_url(ApiSettings.for_url(database_url)))
    try:
        accounts = Accounts(store)
        accounts.setup()
        yield accounts
    except DomainError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    finally:
        store.dispose()


@users_app.command("add")
def add_user(
    username: str,
    role: Annotated[str, typer.Option(help="角色，如 community_officer / role")],
    unit: Annotated[str, typer.Option(help="单位路径，如 lishu/chaoyang/xingfu / unit path")],
    name: Annotated[str, typer.Option("--name", help="显示名 / display name")] = "",
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
    database_url: DatabaseUrl = None,
) -> None:
    """Create an account (the password is asked for unless given)."""
    with _accounts(database_url) as accounts:
        user = accounts.create(username, password, role=role, unit=unit, display_name=name)
    typer.echo(f"已创建 created {user.username} ({label(user.role)}, {user.unit})")


@users_app.command("disable")
def disable_user(username: str, database_url: DatabaseUrl = None) -> None:
    """Disable an account: it can no longer log in, and its tokens stop working."""
    _set(username, True, database_url)


@users_app.command("enable")
def enable_user(username: str, database_url: DatabaseUrl = None) -> None:
    """Enable a disabled account again."""
    _set(username, False, database_url)


def _set(username: str, disabled: bool, database_url: str | None) -> None:
    with _accounts(database_url) as accounts:
        accounts.set_disabled(username, disabled)
    typer.echo(f"{'已停用 disabled' if disabled else '已启用 enabled'} {username}")


@users_app.command("list")
def list_users(database_url: DatabaseUrl = None) -> None:
    """Every account with its role and unit."""
    with _accounts(database_url) as accounts:
        for user in accounts.all():
            state = "（已停用 disabled）" if user.disabled else ""
            who = f"{user.username:<14} {label(user.role):<10} {user.unit:<28}"
            typer.echo(f"{who} {user.display_name}{state}")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")

    @app.command("serve")
    def serve_command(
        host: Annotated[str, typer.Option(help="监听地址 / address")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="端口 / port")] = 8000,
        workers: Annotated[int, typer.Option(help="进程数 / processes")] = 1,
        database_url: DatabaseUrl = None,
    ) -> None:
        """Serve the API and the console (uvicorn); demo data on first start in
        development."""
        import uvicorn

        if database_url:
            os.environ["LISHU_DATABASE_URL"] = database_url
        settings = ApiSettings()
        typer.echo(f"梨城义警闭环 Lishu Loop: http://{host}:{port}/  (接口文档 API docs: /docs)")
        typer.echo(f"数据库 database: {settings.database_url}")
        if settings.seeds_demo:
            typer.echo(f"演示账号 demo log-ins (密码 password: {DEMO_PASSWORD}):")
            for actor, display in [*STAFF, *VOLUNTEERS]:
                typer.echo(f"  {actor.id:<12} {label(actor.role):<10} {display}")
        uvicorn.run(
            "api.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
        )
