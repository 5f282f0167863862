"""``lishu project`` and ``lishu rebuild [name]``, registered on the ``lishu`` app.

The entry point passes how to read settings, the ``--database-url`` option it
reads them with, and how to build the application, so the read side imports
nothing of the loop.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TimeRemainingColumn,
)

from aggregates.errors import DomainError
from projections.checking import compare
from projections.compose import EventSource, HasReadModelSettings, build
from projections.runner import run_forever

SettingsFactory = Callable[[str | None], HasReadModelSettings]
SourceFactory = Callable[[Any], EventSource]
Command = TypeVar("Command", bound=Callable[..., None])


def read_model_check(source: SourceFactory) -> Callable[[Any], list[str]]:
    """What ``lishu verify --read-models`` runs: each live read model against a
    rebuild from the log (``projections.checking``), one line per differing row."""

    def check(chosen: Any) -> list[str]:
        opened = source(chosen)
        views = build(chosen, opened)
        try:
            return [difference.describe() for difference in compare(views.projector)]
        finally:
            views.store.dispose()
            getattr(opened, "close", lambda: None)()

    return check


def register(
    app: typer.Typer, settings: SettingsFactory, source: SourceFactory, *, database_url: Any
) -> None:
    """Add ``project`` and ``rebuild`` to ``app``; ``database_url`` is the entry
    point's ``--database-url`` option (an ``Annotated`` type) that ``settings`` reads."""

    def command(name: str) -> Callable[[Command], Command]:
        def add(fn: Command) -> Command:
            fn.__annotations__["database_url"] = database_url  # typer reads it from here
            app.command(name)(fn)
            return fn

        return add

    @command("project")
    def project_command(
        database_url: str | None = None,
        poll: Annotated[
            float,
            typer.Option(help="日志轮询间隔（秒）；PostgreSQL 上一有新事件即被通知，轮询只是后备"),
        ] = 0.5,
        batch: Annotated[int, typer.Option(help="每个事务处理的事件数")] = 500,
    ) -> None:
        """Run the projections as their own process until interrupted (SIGTERM, Ctrl-C).

        On PostgreSQL it listens for the event store's notifications and catches
        up as soon as events are committed; it polls every --poll seconds all
        the same. Any number of these may run on one database: each batch is
        applied by exactly one of them."""
        chosen = settings(database_url)
        views = build(chosen, source(chosen), batch_size=batch)
        stopping = False

        def stop(*_: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        typer.echo("投影进程已启动 projections running; Ctrl-C 停止")
        run_forever(views.projector, poll_interval=poll, should_stop=lambda: stopping)
        typer.echo(f"已停止 stopped at {views.projector.positions()}")

    @command("rebuild")
    def rebuild_command(
        name: Annotated[str | None, typer.Argument(help="投影名称；省略则全部重建")] = None,
        database_url: str | None = None,
        batch: Annotated[int, typer.Option(help="每个事务处理的事件数")] = 500,
    ) -> None:
        """Rebuild a projection (or all) from the log beside the live one, then switch."""
        chosen = settings(database_url)
        views = build(chosen, source(chosen), batch_size=batch)
        try:
            names = [name] if name else sorted(views.projector.projections)
            for each in names:
                views.projector.projection(each)
            with Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
            ) as bar:
                for each in names:
                    task = bar.add_task(f"重建 rebuilding {each}", total=None)

                    def advance(done: int, total: int, task: TaskID = task) -> None:
                        bar.update(task, completed=done, total=total)

                    applied = views.projector.rebuild(each, progress=advance)
                    bar.update(task, completed=applied, total=applied)
        except DomainError as error:
            typer.echo(str(error), err=True)
            raise typer.Exit(1) from None
        finally:
            views.store.dispose()
        for each, position in views.projector.positions().items():
            typer.echo(f"{each}: {position}")
