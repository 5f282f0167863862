"""Running the clock and the dispatcher: a thread of the serving process, or a
process of its own (``lishu notify``).

Each round the clock fires the marks due by now, then the dispatcher drains the
due deliveries batch by batch; between rounds the runner sleeps ``interval``
seconds (a ``wake()`` cuts it short). A round that fails is logged and tried
again after a pause that doubles up to a minute: a gateway that is down delays
deliveries (their retries are scheduled), it never stops the clock.

Why no scheduler library (APScheduler and the like): the work is one periodic
loop whose correctness rests on the database (unique keys, claims with leases),
not on the scheduler; a library would add a job store and a second notion of
"fired" to keep in step with the outbox's.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from projections.notifications.clock import Clock
from projections.notifications.dispatch import Dispatcher

log = logging.getLogger(__name__)

MAX_PAUSE = 60.0
MAX_BATCHES = 50
"""Batches a round sends at most before the clock looks again."""


class NotifyRunner:
    def __init__(
        self, clock: Clock | None, dispatcher: Dispatcher | None, *, interval: float = 1.0
    ) -> None:
        self.clock = clock
        self.dispatcher = dispatcher
        self.interval = interval
        self.rounds = 0
        self.error: BaseException | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> tuple[int, int]:
        """One round: (messages the clock stored, deliveries settled)."""
        fired = self.clock.tick() if self.clock is not None else 0
        settled = 0
        if self.dispatcher is not None:
            for _ in range(MAX_BATCHES):
                handled = self.dispatcher.run_once()
                settled += handled
                if handled < self.dispatcher.batch_size:
                    break
        self.rounds += 1
        return fired, settled

    def start(self) -> NotifyRunner:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="lishu-notify", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        run_forever(self, should_stop=self._stop.is_set, wake=self._wake)


def run_forever(
    runner: NotifyRunner,
    *,
    should_stop: Callable[[], bool] = lambda: False,
    wake: threading.Event | None = None,
) -> None:
    """Rounds until ``should_stop()`` (asked at least every 0.2 s)."""
    wake = wake or threading.Event()
    pause = runner.interval
    while not should_stop():
        try:
            runner.run_once()
            runner.error = None
            pause = runner.interval
        except Exception as error:
            log.exception("notification round failed")
            runner.error = error
            pause = min(max(pause, runner.interval) * 2, MAX_PAUSE)
        deadline = time.monotonic() + pause
        while not should_stop():
            left = deadline - time.monotonic()
            if left <= 0 or (wake.wait(min(left, 0.2)) and runner.error is None):
                break
        wake.clear()
