"""Runners: catch-up in a thread of the serving process, or a process of its own.

Both sleep on a :class:`Waiter` when the read models are caught up. On SQLite,
which offers no live subscription, that is a plain poll of the notification log,
cut short by ``wake()`` (after a local save, or by a reader waiting for its own
write). On PostgreSQL the event store sends a notification on its recorder's
``channel_name`` in the transaction of every insert (delivered on commit; the
loop's recorder sends the highest notification id committed as the payload), and
a :class:`ListeningWaiter` listens for it on a connection of its own, so a
runner wakes as soon as events are committed. It still wakes every poll
interval, so a notification lost with a dropped connection delays a runner by
one interval at most; a dropped listening connection is opened again.

Under load, a round every command would cost the serving process more than the
commands: each round has a fixed price (its positions, a transaction and its
flush to disk). So while rounds find events, the in-process runner starts one
at most every ``linger`` seconds and rests at least half of that between two,
letting the next commands gather into the next round; a reader waiting for its
own write (``wait_for``) cuts the wait short.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import ApplicationRecorder

from projections.processing import Projector

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

LISTENER_NAME = "lishu-listen"
"""The ``application_name`` of listening connections (as ``pg_stat_activity`` shows them)."""

STOP_CHECK = 0.2
"""How often ``run_forever`` asks ``should_stop()`` while it waits."""


class Waiter:
    """Sleeps until woken or until a timeout passes: a plain poll."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def start(self) -> Waiter:
        return self

    def close(self) -> None:
        self._event.set()

    def wake(self) -> None:
        """End the current (or the next) wait now."""
        self._event.set()

    def wait(self, timeout: float) -> bool:
        """Sleep up to ``timeout`` seconds; whether something woke it before then.
        A wake that came since the last wait ends this one at once."""
        woken = self._event.wait(timeout)
        # Cleared before the caller reads the log, so a later wake is not lost.
        self._event.clear()
        return woken


class HeadWaiter(Waiter):
    """A poll that looks often and cheaply: every ``tick`` seconds it reads the
    log's head (one ``max_notification_id``, no transaction of the read models)
    and ends the wait as soon as the head moved. What a projector in a process of
    its own waits on over SQLite, which has no live subscription and no way for
    the serving process to wake it: a new event is picked up within a tick."""

    def __init__(self, recorder: ApplicationRecorder, tick: float = 0.005) -> None:
        super().__init__()
        self.recorder = recorder
        self.tick = tick
        self._head: int | None = -1
        """The head the last wait saw move (none yet: the first look wakes), so
        events stored during a round end the next wait at once."""

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if super().wait(min(left, self.tick)):
                return True
            head = self._read_head()
            if head != self._head:
                self._head = head
                return True

    def _read_head(self) -> int | None:
        try:
            return self.recorder.max_notification_id()
        except Exception:  # a busy database: the next tick or the round will tell
            log.debug("reading the log's head failed", exc_info=True)
            return self._head


Connect = Callable[[], "psycopg.Connection[Any]"]


class ListeningWaiter(Waiter):
    """A waiter also woken by PostgreSQL notifications on ``channel``.

    A daemon thread keeps a dedicated connection (``connect()``, autocommit)
    listening; when it drops, the thread opens another after a pause (doubling
    while connections keep failing or dying young, up to ``max_delay``) and wakes
    the waiter once it listens again, since a notification sent in between was lost.
    Waits still end at their timeout, whether or not anything listens.
    """

    def __init__(
        self,
        connect: Connect,
        channel: str,
        *,
        reconnect_delay: float = 0.5,
        max_delay: float = 30.0,
        check_interval: float = 0.5,
    ) -> None:
        super().__init__()
        self._connect = connect
        self.channel = channel
        self.reconnect_delay = reconnect_delay
        self.max_delay = max_delay
        self.check_interval = check_interval
        self.listening = threading.Event()
        """Set while a connection listens."""
        self.connections = 0
        """How many connections have listened so far (more than one: reconnected)."""
        self.received = 0
        """Notifications received."""
        self.latest: int | None = None
        """The highest notification id a notification announced."""
        self.backend_pid: int | None = None
        """The server process of the listening connection."""
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> ListeningWaiter:
        if self._thread is None:
            self._closed.clear()
            self._thread = threading.Thread(target=self._listen, name="lishu-listen", daemon=True)
            self._thread.start()
        return self

    def close(self, timeout: float = 5.0) -> None:
        self._closed.set()
        super().close()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _listen(self) -> None:
        import psycopg
        from psycopg import sql

        delay = self.reconnect_delay
        while not self._closed.is_set():
            opened = time.monotonic()
            try:
                with self._connect() as conn:
                    conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
                    self.backend_pid = conn.info.backend_pid
                    self.connections += 1
                    self.listening.set()
                    self.wake()  # whatever was committed while nothing listened
                    while not self._closed.is_set():
                        for notify in conn.notifies(timeout=self.check_interval):
                            self._notified(notify.payload)
            except (psycopg.Error, OSError) as error:
                if self._closed.is_set():
                    break
                log.warning(
                    "not listening for new events (%s); polling, retrying in %.1f s",
                    " ".join(str(error).split()),
                    delay,
                )
            finally:
                self.listening.clear()
                self.backend_pid = None
            if time.monotonic() - opened > 10 * delay:
                delay = self.reconnect_delay  # it had been working: retry soon
            self._closed.wait(delay)
            delay = min(delay * 2, self.max_delay)

    def _notified(self, payload: str) -> None:
        self.received += 1
        if payload.isdigit():
            self.latest = max(self.latest or 0, int(payload))
        self.wake()


def postgres_connect(recorder: ApplicationRecorder) -> Connect | None:
    """How to open a listening connection to ``recorder``'s database: with the
    parameters of its pool (not from it), TCP keepalives on so a dead peer is
    noticed; None when the recorder is not the library's PostgreSQL one."""
    try:
        from eventsourcing.postgres import PostgresApplicationRecorder
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return None
    if not isinstance(recorder, PostgresApplicationRecorder):
        return None
    pool = recorder.datastore.pool
    password = pool.get_password_func

    def connect() -> psycopg.Connection[Any]:
        import psycopg

        conninfo = pool.conninfo() if callable(pool.conninfo) else pool.conninfo
        kwargs = dict((pool.kwargs() if callable(pool.kwargs) else pool.kwargs) or {})
        kwargs.pop("row_factory", None)
        if password is not None:
            kwargs["password"] = password()
        return psycopg.connect(
            conninfo,
            **kwargs
            | {
                "autocommit": True,
                "application_name": LISTENER_NAME,
                "connect_timeout": 10,
                "keepalives": 1,
                "keepalives_idle": 30,
                "keepalives_interval": 10,
                "keepalives_count": 3,
            },
        )

    return connect


def waiter_for(recorder: ApplicationRecorder) -> Waiter:
    """A listening waiter for a PostgreSQL event store (on the channel its
    recorder notifies, ``channel_name``), else a plain poll. Not started."""
    connect = postgres_connect(recorder)
    channel = getattr(recorder, "channel_name", None)
    if connect is None or not isinstance(channel, str):
        return Waiter()
    return ListeningWaiter(connect, channel)


class CatchUpRunner:
    """Keeps the read models caught up from a background thread."""

    def __init__(
        self,
        projector: Projector,
        *,
        poll_interval: float = 1.0,
        listen: bool = True,
        linger: float = 0.0,
    ) -> None:
        self.projector = projector
        self.poll_interval = poll_interval
        self.listen = listen
        """Listen for the event store's notifications (PostgreSQL) once started."""
        self.linger = linger
        """After a round that applied something, wait this long for more (or a reader)."""
        self.rounds = 0
        self.waiter: Waiter = Waiter()
        self._hurry = threading.Event()
        self._stop = threading.Event()
        self._progress = threading.Condition()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def start(self) -> CatchUpRunner:
        if self._thread is None:
            self.projector.setup()
            if self.listen:
                self.waiter = waiter_for(self.projector.recorder)
            self.waiter.start()
            self._thread = threading.Thread(
                target=self._loop, name="lishu-projections", daemon=True
            )
            self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self.waiter.wake()
        self._hurry.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.waiter.close()
        self.waiter = Waiter()
        self._stop.clear()

    def wake(self) -> None:
        """Catch up now rather than at the next poll (call after a local save)."""
        self.waiter.wake()

    def _loop(self) -> None:
        backoff = self.poll_interval
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                applied = self.projector.run_once()
                backoff = self.poll_interval
                self.error = None
            except Exception as error:  # keep serving reads; retry after a pause
                log.exception("projection round failed")
                self.error = error
                backoff = min(backoff * 2, 30.0)
                with self._progress:
                    self._progress.notify_all()
                self._stop.wait(backoff)  # new events do not cut the pause short
                continue
            self.rounds += 1
            with self._progress:
                self._progress.notify_all()
            if applied == 0:
                self.waiter.wait(backoff)
            elif self.linger > 0:  # let the commands on their way gather into one round
                # rounds start at most every ``linger`` seconds, with at least half
                # of it between them, however long a round took
                elapsed = time.monotonic() - started
                self._hurry.wait(max(self.linger - elapsed, self.linger / 2))
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
    waiter: Waiter | None = None,
) -> None:
    """The loop of ``lishu project``: apply batches; when caught up, wait for a
    notification (PostgreSQL) or the poll interval; retry on errors (set-up
    included) after a pause that doubles up to 30 s. Returns when
    ``should_stop()`` says so (asked at least every 0.2 s). ``waiter`` defaults
    to :func:`waiter_for` the projector's recorder; it is started and closed here."""
    waiter = waiter if waiter is not None else waiter_for(projector.recorder)
    waiter.start()
    backoff = poll_interval
    try:
        while not should_stop():
            failed = False
            try:
                applied = projector.run_once()
                backoff = poll_interval
            except Exception:
                log.exception("projection round failed")
                applied = 0
                failed = True
                backoff = min(backoff * 2, 30.0)
            if applied:
                continue
            deadline = time.monotonic() + backoff
            while not should_stop():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                if waiter.wait(min(left, STOP_CHECK)) and not failed:
                    break  # new events (or a wake); after a failure, sit out the pause
    finally:
        waiter.close()
