"""The background work of ``lishu serve`` in a process of its own: the read-model
projector, and the clock and dispatcher of the notices.

On the embedded SQLite default ``lishu serve`` runs them as a child process
(``--projector process``, the default there): the API and the projector then use
the machine's two cores instead of contending for one interpreter. The serving
process starts the child (``lishu work``), watches it and starts it again if it
dies; a read with ``wait_for`` waits on the read models' recorded positions, so
it stays exact whichever process applies the events. ``--projector inline``
keeps everything in the serving process, as before.

Stopping: SIGINT or SIGTERM to ``lishu serve`` stops uvicorn, then the child
(SIGTERM, SIGKILL after a grace period). The child runs in a session of its own,
so a terminal's Ctrl-C reaches only the serving process, which stops it in
order; and it watches its parent, so a serving process killed outright (SIGKILL)
leaves no child behind: the child stops within a fraction of a second.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Literal

import typer

from api.config import ApiSettings
from loop.bootstrap import build_loop
from projections import build as build_projections
from projections.runner import HeadWaiter, run_forever

log = logging.getLogger(__name__)

Mode = Literal["inline", "process"]

RESTART_DELAY = 0.5
"""Pause before a dead child is started again; doubled while it keeps dying young."""
MAX_RESTART_DELAY = 30.0
STOP_GRACE = 10.0
"""Seconds a child has to stop after SIGTERM before it is killed."""


def _in_memory(url: str | None) -> bool:
    return url is not None and (url.startswith("memory") or ":memory:" in url)


def default_mode(database_url: str, read_model_url: str | None = None) -> Mode:
    """``process`` on an SQLite file (the embedded default), ``inline`` otherwise:
    a memory store exists in one process only, and on PostgreSQL the read models
    are kept by ``lishu project`` workers or in process as configured."""
    if database_url.startswith("sqlite") and not shared_only_in_process(
        database_url, read_model_url
    ):
        return "process"
    return "inline"


def shared_only_in_process(database_url: str, read_model_url: str | None) -> bool:
    """Whether the events or the read models live in this process's memory, where
    no other process can reach them."""
    return _in_memory(database_url) or _in_memory(read_model_url)


def worker_command(parent: int | None, *, projections: bool, notifications: bool) -> list[str]:
    """The child's command line: this interpreter running ``lishu work``."""
    command = [sys.executable, "-c", "from api.cli import main; main()", "work"]
    if parent is not None:
        command += ["--parent", str(parent)]
    if not projections:
        command.append("--no-projections")
    if not notifications:
        command.append("--no-notifications")
    return command


class Supervisor:
    """Starts a child process, watches it from a thread, starts it again when it
    dies (after a pause that doubles while it keeps dying within a minute), and
    stops it on ``stop()``. ``starts`` counts how many times it was started."""

    def __init__(
        self, command: list[str], *, echo: bool = True, env: dict[str, str] | None = None
    ) -> None:
        self.command = command
        self.echo = echo
        self.env = env
        """The child's environment (None: this process's)."""
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> Supervisor:
        self._spawn()
        self._thread = threading.Thread(target=self._watch, name="lishu-supervisor", daemon=True)
        self._thread.start()
        return self

    def _spawn(self) -> None:
        with self._lock:
            if self._stopping.is_set():
                return
            # a session of its own: a terminal's Ctrl-C goes to the serving process,
            # which stops the child in order (and is not raced by a restart)
            self.proc = subprocess.Popen(self.command, start_new_session=True, env=self.env)
            self.starts += 1
            self._say(f"后台进程已启动 worker process started, pid {self.proc.pid}")

    def _say(self, text: str) -> None:
        if self.echo:
            print(text, flush=True)

    def _watch(self) -> None:
        delay = RESTART_DELAY
        while not self._stopping.is_set():
            proc = self.proc
            assert proc is not None
            started = time.monotonic()
            code = proc.wait()
            if self._stopping.is_set():
                return
            self._say(f"后台进程退出 worker process {proc.pid} exited ({code}); restarting")
            log.warning("worker process %s exited with %s; restarting", proc.pid, code)
            if time.monotonic() - started > 60:
                delay = RESTART_DELAY
            if self._stopping.wait(delay):
                return
            delay = min(delay * 2, MAX_RESTART_DELAY)
            self._spawn()

    def stop(self, grace: float = STOP_GRACE) -> int | None:
        """Stop watching and stop the child (SIGTERM, SIGKILL after ``grace``
        seconds); its exit code."""
        with self._lock:
            self._stopping.set()
            proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                proc.kill()
        code = proc.wait()
        if self._thread is not None:
            self._thread.join(grace)
        return code


class _Signalled(BaseException):
    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _interrupt(signum: int, _frame: object) -> None:
    raise _Signalled(signum)


@contextmanager
def supervised(supervisor: Supervisor | None) -> Iterator[None]:
    """Run the body (uvicorn) with ``supervisor``'s child beside it, and stop the
    child however the body ends. uvicorn, stopped by SIGINT or SIGTERM, shuts
    down and then raises the signal again with the handlers it found: here those
    raise, so the child is stopped first; then the signal is raised once more
    with the default handler, so the command ends as uvicorn would have."""
    if supervisor is None:
        yield
        return
    saved = {s: signal.signal(s, _interrupt) for s in (signal.SIGINT, signal.SIGTERM)}
    signalled = None
    try:
        supervisor.start()
        yield
    except _Signalled as got:
        signalled = got.signum
    finally:
        supervisor.stop()
        for each, handler in saved.items():
            signal.signal(each, handler)
    if signalled is not None:
        signal.signal(signalled, signal.SIG_DFL)
        signal.raise_signal(signalled)


def work(
    settings: ApiSettings,
    *,
    parent: int | None,
    projections: bool = True,
    notifications: bool = True,
    poll: float = 0.5,
) -> None:
    """The child's loop until SIGTERM or SIGINT, or until its parent is gone: the
    projector in this thread (woken within milliseconds of a new event by a
    :class:`HeadWaiter`), the clock and dispatcher in a thread of their own."""
    from api.notify import build_notifier

    loop = build_loop(settings)
    views = build_projections(settings, loop.app)
    notifier = build_notifier(settings, loop, views, interval=settings.notify_interval)
    stopping = threading.Event()

    def stop(*_: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def should_stop() -> bool:
        if parent is not None and os.getppid() != parent:
            stopping.set()  # the serving process is gone: so is its work
        return stopping.is_set()

    try:
        if notifications:
            notifier.runner.start()
        if projections:
            run_forever(
                views.projector,
                poll_interval=poll,
                should_stop=should_stop,
                waiter=HeadWaiter(views.projector.recorder),
            )
        else:
            while not should_stop():
                stopping.wait(0.2)
    finally:
        notifier.close()
        views.close()
        loop.close()


def register(app: typer.Typer) -> None:
    """Add ``work`` to the ``lishu`` command line."""

    @app.command("work")
    def work_command(
        parent: Annotated[
            int | None, typer.Option(help="父进程号；父进程消失时自行停止 / stop when it is gone")
        ] = None,
        projections: Annotated[bool, typer.Option(help="运行投影 / keep the read models")] = True,
        notifications: Annotated[
            bool, typer.Option(help="运行提醒的时钟与发送 / run the clock and dispatcher")
        ] = True,
        poll: Annotated[float, typer.Option(help="完整轮询间隔（秒）/ full round every")] = 0.5,
    ) -> None:
        """What ``lishu serve`` runs beside the API on the embedded default: the
        read-model projector and the notices' clock and dispatcher, in one
        process, until SIGTERM or Ctrl-C (or until --parent is gone). Settings
        come from the ``LISHU_*`` variables, as the serving process's do."""
        work(
            ApiSettings(),
            parent=parent,
            projections=projections,
            notifications=notifications,
            poll=poll,
        )
