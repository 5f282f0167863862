"""The composition root of the HTTP service: everything built from settings.

Nothing is created at import time; ``build_services`` makes the flow, the group
committer, the read models and their runner, the accounts and the digests of
idempotency keys (their records live with the events), and ``close`` releases
them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

import anyio

from api import public_codes, spent_challenges
from api.account_log import AccountLog
from api.accounts import Accounts
from api.config import ApiSettings
from api.idempotency import Answers
from api.login_guard import LoginGuard
from api.notify import Notifier, build_notifier
from api.tokens import Tokens
from loop.bootstrap import Loop, build_loop
from loop.services.bank import Bank
from loop.services.incidents import IncidentFlow
from loop.services.notices import Notices
from loop.services.volunteers import Volunteers
from loop.storage.command_keys import Answered, Once
from loop.storage.group_commit import GroupCommitter
from loop.storage.keys_file import resolve
from loop.storage.sealing import SealSchedule
from projections import Projections
from projections import build as build_projections

T = TypeVar("T")


@dataclass
class Services:
    settings: ApiSettings
    loop: Loop
    flow: IncidentFlow
    committer: GroupCommitter
    views: Projections
    accounts: Accounts
    answers: Answers
    tokens: Tokens
    token_key: bytes
    """Signs tokens and the console's CSRF tokens (``LISHU_SECRET_KEY`` or the keys file)."""
    guard: LoginGuard
    log: AccountLog
    volunteers: Volunteers
    bank: Bank
    notices: Notices
    notifier: Notifier
    sealer: SealSchedule | None = None
    """Seals the log on a schedule (``LISHU_SEAL_INTERVAL``) when a seal key is set."""

    async def command(
        self, fn: Callable[..., T], *args: Any, loads: Iterable[UUID] = (), **kwargs: Any
    ) -> T:
        """Run a command on the writer thread; it is acknowledged after its group's
        crash-safe commit. The projections are woken to pick it up at once. ``loads``
        names the aggregates it will load (loaded with its batch's others)."""
        result = await self.committer.run(fn, *args, loads=loads, **kwargs)
        self.views.runner.wake()
        return result

    async def command_once(
        self, once: Once, fn: Callable[..., Any], loads: Iterable[UUID] = ()
    ) -> Answered:
        """Run a keyed command (``api.dispatch``): its key record commits with its
        events, and a key already stored answers its first answer, not run again."""
        answered = await self.committer.run_once(once, fn, loads=loads)
        self.views.runner.wake()
        return answered

    async def wait_for(self, position: int | None) -> bool:
        """Wait (without blocking the event loop) until every read model has applied
        ``position``; whether it did within the configured timeout.

        A position beyond the log's head was never handed out: it is waited for as
        the head (everything stored so far), not until the timeout."""
        runner = self.views.runner
        if position is None or runner.caught_up_to(position):
            return True
        position = min(position, self.loop.app.recorder.max_notification_id() or 0)
        if runner.caught_up_to(position):
            return True
        if self.settings.run_projections:
            return await anyio.to_thread.run_sync(
                runner.wait_for, position, self.settings.wait_timeout
            )
        with anyio.move_on_after(self.settings.wait_timeout):  # workers elsewhere apply it
            while not runner.caught_up_to(position):
                await anyio.sleep(0.01)
            return True
        return False

    def close(self) -> None:
        if self.sealer is not None:
            self.sealer.stop()
        self.notifier.close()
        self.guard.close()
        self.committer.close()
        self.views.close()
        self.loop.close()


class OpenWorkRead:
    """What still hangs on a unit the registry is asked to retire, from the read
    models: the open incidents it or a unit below it owns, its enabled accounts."""

    def __init__(self, views: Projections, accounts: Accounts) -> None:
        self.views, self.accounts = views, accounts

    def open_incidents(self, unit: str) -> list[str]:
        return [row["incident_id"] for row in self.views.queries.backlog(unit, limit=500)]

    def accounts_in(self, unit: str) -> list[str]:
        return [u.username for u in self.accounts.all() if u.unit == unit and not u.disabled]


def build_services(settings: ApiSettings | None = None, *, start: bool = True) -> Services:
    settings = settings or ApiSettings()
    token_key = resolve(settings, "LISHU_SECRET_KEY", "token", settings.secret_key)
    digest_key = resolve(settings, "LISHU_DIGEST_KEY", "digest", settings.digest_key)
    loop = build_loop(settings)
    views = build_projections(
        settings, loop.app, poll_interval=0.5, linger=settings.projection_linger
    )
    accounts = Accounts(views.store, loop.accounts, views.accounts)
    answers = Answers(digest_key, settings.idempotency_hours)
    log = AccountLog(views.store)
    services = Services(
        settings=settings,
        loop=loop,
        flow=loop.incidents,
        committer=GroupCommitter(loop.app),
        views=views,
        accounts=accounts,
        answers=answers,
        tokens=Tokens(token_key, settings.token_minutes),
        token_key=token_key,
        guard=LoginGuard(views.store, settings, log),
        log=log,
        volunteers=loop.volunteers,
        bank=loop.bank,
        notices=loop.notices,
        notifier=build_notifier(settings, loop, views, interval=settings.notify_interval),
    )
    loop.registry.open_work = OpenWorkRead(views, accounts)
    accounts.setup()
    log.setup()
    services.guard.setup()  # its table and the shared rate limits' (api.rate_limits)
    public_codes.setup(views.store)
    spent_challenges.setup(views.store)
    if start and settings.run_projections:
        views.runner.start()
    else:
        views.projector.setup()
    if start and settings.run_notifications:
        services.notifier.runner.start()
    if start:
        services.sealer = SealSchedule.for_settings(settings)
        if services.sealer is not None:
            services.sealer.start()
    return services
