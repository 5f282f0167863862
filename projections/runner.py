"""Runners: catch-up in a thread of the serving process, or a process of its own.

SQLite offers no live subscription, so both poll the notification log; the
in-process runner is also woken at once by ``wake()`` (after a local save, or
by a reader waiting for its own write).

Under load, a round every command would cost the serving process more than the
commands: each round has a fixed price (its positions, a transaction and its
flush to disk). So after a round that applied something, the in-process runner
lingers (``linger`` seconds) to let the next commands gather into one round;
a reader waiting for its own write (``wait_for``) cuts the wait short.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from projections.processing import Projector

log = logging.getLogger(__name__)


class CatchUpRunner:
    """Keeps the read models caught up from a background thread."""

    def __init__(
        self, projector: Projector, *, poll_interval: float = 1.0, linger: float = 0.0
    ) -> None:
        self.projector = projector
        self.poll_interval = poll_interval
        self.linger = linger
        self.rounds = 0
        self._wake = threading.Event()
        self._hurry = threading.Event()
        self._stop = threading.Event()
        self._progress = threading.Condition()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def start(self) -> CatchUpRunner:
        if self._thread is None:
            self.projector.setup()
            self._thread = threading.Thread(
                target=self._loop, name="lishu-projections", daemon=True
            )
            self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        self._hurry.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._stop.clear()

    def wake(self) -> None:
        """Catch up now rather than at the next poll (call after a local save)."""
        self._wake.set()

    def _loop(self) -> None:
        backoff = self.poll_interval
        while not self._stop.is_set():
            try:
                applied = self.projector.run_once()
                backoff = self.poll_interval
                self.error = None
            except Exception as error:  # keep serving reads; retry after a pause
                log.exception("projection round failed")
                self.error = error
                applied = 0
                backoff = min(backoff * 2, 30.0)
            self.rounds += 1
            with self._progress:
                self._progress.notify_all()
            if applied == 0:
                self._wake.wait(backoff)
                self._wake.clear()
            elif self.linger > 0:  # let the commands on their way gather into one round
                self._hurry.wait(self.linger)
                self._hurry.clear()

    def caught_up_to(self, position: int) -> bool:
        return all(p is not None and p >= position for p in self.projector.positions().values())

    def wait_for(self, position: int | None, timeout: float = 5.0) -> bool:
        """Block until every projection has applied notification ``position`` (as
        returned with a command's acknowledgement) or ``timeout`` passes; whether it did.

        Without a running thread (tests, one-shot tools) it catches up itself."""
        if position is None:
            return True
        deadline = time.monotonic() + timeout
        while not self.caught_up_to(position):
            if self._thread is None:
                if self.projector.run_once() == 0 and not self.caught_up_to(position):
                    return False
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.wake()
            self._hurry.set()
            with self._progress:
                self._progress.wait(min(left, 0.05))
        return True


def run_forever(
    projector: Projector,
    *,
    poll_interval: float = 0.5,
    should_stop: Callable[[], bool] = lambda: False,
) -> None:
    """The loop of ``lishu project``: apply batches, poll when caught up, retry on
    errors (set-up included); returns when ``should_stop()`` says so."""
    backoff = poll_interval
    while not should_stop():
        try:
            applied = projector.run_once()
            backoff = poll_interval
        except Exception:
            log.exception("projection round failed")
            applied = 0
            backoff = min(backoff * 2, 30.0)
        if applied == 0:
            time.sleep(backoff)
