"""Log-in throttling, and a bound on the password hashes computed at once.

* Per account: ``login_failures`` wrong passwords within ``login_lock_minutes``
  lock the account for ``login_lock_minutes``; meanwhile every log-in to it, the
  right password included, is answered 429 with ``Retry-After``. The lock is a
  row of ``api_login_failures`` in the shared database, so every process keeps
  it; it is recorded in the account log, and an administrator may lift it
  (``lishu users unlock``). A name no account has is counted the same way
  (``limits``' moving window, its hits in the shared database:
  ``api.rate_limits``), so the answers do not tell which names exist.
* Per client address: ``login_address_limit`` failed log-ins (the same shared
  moving window: every process counts against the one total), then 429 until
  the window has room.
* Hashing: at most ``login_concurrency`` Argon2 hashes run at once (each holds
  19 MiB and a core), on threads of their own that run at a lower scheduling
  priority (nice +10), so when the cores are short the requests of the other
  users come first; the others wait as coroutines, not threads, and beyond
  ``login_queue`` waiting a log-in is answered 503 with ``Retry-After``. So a
  flood of log-ins costs a bounded amount of memory and leaves the other users
  their share of the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import limits
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, delete, select

from aggregates.errors import DomainError
from api.account_log import AccountLog
from api.config import ApiSettings
from api.rate_limits import setup as setup_rate_limits
from api.rate_limits import shared_limiter
from projections.store import Store

T = TypeVar("T")

metadata = MetaData()
failures = Table(
    "api_login_failures",
    metadata,
    Column("username", String(100), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("first_at", Float, nullable=False),
    Column("locked_until", Float, nullable=True),
)


HASH_NICENESS = 10
"""How much lower the hashing threads' scheduling priority is than the server's."""


def _lower_priority() -> None:
    """Run this (hashing) thread at a lower priority: other requests come first."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASH_NICENESS)


class LoginThrottled(DomainError):
    code = "login_throttled"


class LoginBusy(DomainError):
    code = "login_busy"


def _throttled(seconds: float) -> LoginThrottled:
    wait = max(1, math.ceil(seconds))
    return LoginThrottled(
        f"登录失败次数过多，请 {wait} 秒后再试，或请管理员解锁",
        f"Too many failed log-ins; retry in {wait} s, or ask an administrator to unlock",
        retry_after=wait,
    )


class LoginGuard:
    def __init__(
        self,
        store: Store,
        settings: ApiSettings,
        log: AccountLog,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.log = log
        self.clock = clock
        self.max_failures = settings.login_failures
        self.lock_seconds = settings.login_lock_minutes * 60.0
        self.by_address = limits.parse(settings.login_address_limit)
        self.by_name = limits.RateLimitItemPerSecond(
            settings.login_failures, int(self.lock_seconds)
        )
        self.limiter = shared_limiter(store)
        self.hashing = ThreadPoolExecutor(
            settings.login_concurrency, "lishu-hashing", initializer=_lower_priority
        )
        self.queue = settings.login_queue
        self.waiting = 0

    def setup(self) -> None:
        with self.store.write() as conn:
            metadata.create_all(conn)
        setup_rate_limits(self.store)

    def check(self, username: str, address: str) -> None:
        """Refuse (429) a log-in from a throttled address or to a locked account."""
        now = time.time()
        if not self.limiter.test(self.by_address, "address", address):
            reset = self.limiter.get_window_stats(self.by_address, "address", address).reset_time
            raise _throttled(reset - now)
        if not self.limiter.test(self.by_name, "name", username):
            reset = self.limiter.get_window_stats(self.by_name, "name", username).reset_time
            raise _throttled(reset - now)
        locked = self.locked_until(username)
        if locked is not None:
            raise _throttled(locked - self.clock())

    def locked_until(self, username: str) -> float | None:
        """When the account's lock ends, if it is locked now."""
        with self.store.read() as conn:
            until = conn.execute(
                select(failures.c.locked_until).where(failures.c.username == username)
            ).scalar()
        return until if until is not None and until > self.clock() else None

    def failed(self, username: str, address: str, *, account_exists: bool) -> None:
        """Count a wrong password (or unknown name) against the address and the name."""
        self.limiter.hit(self.by_address, "address", address)
        if not account_exists:
            self.limiter.hit(self.by_name, "name", username)
            return
        now = self.clock()
        with self.store.write() as conn:
            row = conn.execute(select(failures).where(failures.c.username == username)).first()
            if row is None or now - row.first_at >= self.lock_seconds:
                conn.execute(delete(failures).where(failures.c.username == username))
                conn.execute(
                    failures.insert(), {"username": username, "failures": 1, "first_at": now}
                )
                return
            count = row.failures + 1
            locks = count >= self.max_failures and row.locked_until is None
            values: dict[str, float] = {"failures": count}
            if locks:
                values["locked_until"] = now + self.lock_seconds
            conn.execute(failures.update().where(failures.c.username == username).values(values))
        if locks:
            self.log.record("locked", username, client=address, detail=f"{count} wrong passwords")

    def succeeded(self, username: str) -> None:
        """A right password clears the account's count of failures."""
        with self.store.read() as conn:
            known = conn.execute(
                select(failures.c.username).where(failures.c.username == username)
            ).first()
        if known is not None:
            with self.store.write() as conn:
                conn.execute(delete(failures).where(failures.c.username == username))

    def unlock(self, username: str, operator: str) -> bool:
        """Lift the account's lock (and forget its failures); whether it was locked."""
        was_locked = self.locked_until(username) is not None
        with self.store.write() as conn:
            conn.execute(delete(failures).where(failures.c.username == username))
        self.log.record(
            "unlocked", username, operator=operator, detail="" if was_locked else "not locked"
        )
        return was_locked

    async def hashed(self, fn: Callable[..., T], *args: object) -> T:
        """``fn(*args)`` on a worker thread, at most ``login_concurrency`` at once;
        503 when too many already wait."""
        if self.waiting >= self.queue:
            raise LoginBusy(
                "登录请求过多，请稍后再试", "Too many log-ins at once; retry shortly", retry_after=1
            )
        self.waiting += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self.hashing, fn, *args)
        finally:
            self.waiting -= 1

    def close(self) -> None:
        self.hashing.shutdown(wait=False, cancel_futures=True)
