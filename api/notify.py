"""Notifications composed from settings: the inbox, the clock, the dispatcher and
its adapters; in the serving process by default, or as ``lishu notify``.

The read side knows no loop code, so the words of a message (``loop.rules.alerts``),
the unit names and how to find a volunteer's phone number at the moment of
sending (``Notices.phone_of``) are handed in here.
"""

from __future__ import annotations

import signal
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import typer

from api.units import unit_label
from loop.bootstrap import Loop, build_loop
from loop.rules.alerts import Words, words
from loop.rules.units import PATHS, UnitTree
from loop.settings import Settings
from projections import Projections
from projections import build as build_projections
from projections.notifications.adapters import (
    Adapter,
    LogSmsAdapter,
    PhoneOf,
    SmsGatewayAdapter,
    WebhookAdapter,
)
from projections.notifications.clock import Clock
from projections.notifications.dispatch import Dispatcher, QuietHours
from projections.notifications.inbox import Inbox
from projections.notifications.rules import SMS, WEBHOOK
from projections.notifications.runner import NotifyRunner, run_forever

LOG_GATEWAY = "log://"


def render(kind: str, params: Mapping[str, Any], tree: UnitTree = PATHS) -> Words:
    """A message's words, units by their names in the registry's ``tree``."""
    return words(kind, params, lambda unit: unit_label(unit, tree))


def adapters(settings: Settings, phone_of: PhoneOf) -> dict[str, Adapter]:
    """The adapters the settings configure (``LISHU_SMS_GATEWAY_URL``, ``LISHU_WEBHOOK_URL``)."""
    found: dict[str, Adapter] = {}
    gateway = settings.sms_gateway_url
    if gateway == LOG_GATEWAY:
        found[SMS] = LogSmsAdapter(phone_of)
    elif gateway:
        found[SMS] = SmsGatewayAdapter(gateway, phone_of, token=settings.sms_gateway_token)
    if settings.webhook_url and settings.webhook_secret:
        found[WEBHOOK] = WebhookAdapter(settings.webhook_url, settings.webhook_secret)
    return found


@dataclass
class Notifier:
    inbox: Inbox
    clock: Clock
    dispatcher: Dispatcher
    runner: NotifyRunner

    def close(self) -> None:
        self.runner.stop()
        for adapter in self.dispatcher.adapters.values():
            close = getattr(adapter, "close", None)
            if close is not None:
                close()


def build_notifier(
    settings: Settings,
    loop: Loop,
    views: Projections,
    *,
    worker: str | None = None,
    interval: float = 1.0,
) -> Notifier:
    """The inbox, clock and dispatcher over ``views``; nothing runs until
    ``runner.start()``."""
    clock = Clock(views.projector, now=loop.app.clock)
    dispatcher = Dispatcher(
        views.store,
        adapters(settings, loop.notices.phone_of),
        lambda kind, params: render(kind, params, loop.registry.tree()),
        now=loop.app.clock,
        worker=worker,
        quiet=QuietHours.parse(settings.quiet_hours),
    )
    runner = NotifyRunner(clock, dispatcher, interval=interval)
    return Notifier(Inbox(views.projector), clock, dispatcher, runner)


def register(app: typer.Typer) -> None:
    """Add ``notify`` to the ``lishu`` command line."""

    @app.command("notify")
    def notify_command(
        database_url: Annotated[
            str | None, typer.Option("--database-url", help="覆盖 LISHU_DATABASE_URL")
        ] = None,
        worker: Annotated[
            str | None,
            typer.Option(help="工作进程名；重启时沿用同名可立即接回未完成的发送 / worker name"),
        ] = None,
        interval: Annotated[
            float, typer.Option(help="检查间隔（秒）/ seconds between rounds")
        ] = 1.0,
    ) -> None:
        """Run the clock and the dispatcher as a process of their own until
        interrupted (SIGTERM, Ctrl-C). Any number may run on one PostgreSQL
        database: marks fire once and deliveries are claimed SKIP LOCKED; on SQLite
        run one (or leave it to ``lishu serve``)."""
        settings = Settings(database_url=database_url) if database_url else Settings()
        loop = build_loop(settings)
        views = build_projections(settings, loop.app)
        notifier = build_notifier(settings, loop, views, worker=worker, interval=interval)
        stopping = False

        def stop(*_: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        channels = ", ".join(sorted(notifier.dispatcher.adapters)) or "inbox only"
        typer.echo(
            f"提醒进程已启动 notifications running as {notifier.dispatcher.worker} ({channels}); "
            "Ctrl-C 停止"
        )
        try:
            run_forever(notifier.runner, should_stop=lambda: stopping)
        finally:
            notifier.close()
            views.close()
            loop.close()
        typer.echo("已停止 stopped")
