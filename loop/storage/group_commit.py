"""Group commit: concurrent commands share one transaction, and one disk flush.

A crash-safe commit on SQLite (WAL, synchronous=FULL) or PostgreSQL costs a
flush to disk, milliseconds on ordinary disks; one flush per command caps a
server at a few hundred commands a second however fast the rest is. Here
commands run one after another on a single writer thread inside a *batch*:

* a load inside a batch sees the batch's own changes (an identity map,
  ``loop.storage.batch_repository``), so two commands on one incident in one
  batch behave exactly as if run in turn;
* ``IncidentFlow.commit`` collects a command's events into the batch instead of
  storing them;
* when the queue is drained (or the batch is full) every collected event is
  stored in ONE transaction, and only then is each command acknowledged, with
  the notification position of its own last event.

A keyed command (``submit_once``) has the record of its key, with its answer,
stored in that same transaction (``loop.storage.command_keys``): a key already
stored is answered with its first answer and the command is not run again; a
key used twice in one batch runs once and both get that answer.

A command may say which aggregates it will load (``loads``): before a batch's
commands run, the kept ones among them are brought up to date in one query
(``loop.storage.batch_loads``), not one round trip per command.

A refused command is undone alone: the aggregates it touched are rebuilt from
the store plus the batch's earlier events, so it writes nothing. If the batch's
transaction fails because another process stored events for one of its
aggregates first, nothing was stored; its commands are then re-run one by one,
each saving on its own, so every conflict reaches its own caller.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.persistence import RecordConflictError

from loop.errors import ConcurrencyConflict
from loop.storage.batch_loads import load_together
from loop.storage.batch_repository import Batch, BatchRepository
from loop.storage.command_keys import Answered, KeptAnswer, Once, answered

T = TypeVar("T")

MAX_BATCH = 256
SWEEP_SECONDS = 3600.0
"""How often the writer forgets expired key records."""

log = logging.getLogger(__name__)


@dataclass
class _Job:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    future: Future[Any] = field(default_factory=Future)
    once: Once | None = None
    loads: tuple[UUID, ...] = ()


_STOP = object()


class GroupCommitter:
    """Runs commands of one application on a writer thread, committing in groups.

    ``app`` must use :class:`BatchRepository` and store through a ``commit`` that
    calls ``collect`` on the current batch (``IncidentFlow`` does).
    """

    def __init__(self, app: Any, max_batch: int = MAX_BATCH) -> None:
        self.app = app
        self.repository: BatchRepository = app.batch_repository
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.batches = 0
        self.commands = 0
        self._swept: float | None = None  # when expired keys were last forgotten

    # -- submitting ------------------------------------------------------------------

    def submit(
        self, fn: Callable[..., T], *args: Any, loads: Iterable[UUID] = (), **kwargs: Any
    ) -> Future[T]:
        """Queue a command; ``loads`` names aggregates it will load (loaded with the
        batch's others before it runs; a hint, a command may load others too)."""
        self._ensure_started()
        job = _Job(fn, args, kwargs, loads=tuple(loads))
        self._queue.put(job)
        return job.future

    def submit_once(
        self,
        once: Once,
        fn: Callable[..., Any],
        *args: Any,
        loads: Iterable[UUID] = (),
        **kwargs: Any,
    ) -> Future[Answered]:
        """Run a keyed command: its key record commits with its events."""
        self._ensure_started()
        job = _Job(fn, args, kwargs, once=once, loads=tuple(loads))
        self._queue.put(job)
        return job.future

    async def run_once(
        self,
        once: Once,
        fn: Callable[..., Any],
        *args: Any,
        loads: Iterable[UUID] = (),
        **kwargs: Any,
    ) -> Answered:
        """Run a keyed command and await its answer (from an event loop)."""
        return await asyncio.wrap_future(self.submit_once(once, fn, *args, loads=loads, **kwargs))

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a command and wait for its acknowledgement (from any thread)."""
        return self.submit(fn, *args, **kwargs).result()

    async def run(
        self, fn: Callable[..., T], *args: Any, loads: Iterable[UUID] = (), **kwargs: Any
    ) -> T:
        """Run a command and await its acknowledgement (from an event loop)."""
        return await asyncio.wrap_future(self.submit(fn, *args, loads=loads, **kwargs))

    def close(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(_STOP)
            thread.join()

    def _ensure_started(self) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._work, name="group-commit", daemon=True
                    )
                    self._thread.start()

    # -- the writer thread -----------------------------------------------------------

    def _work(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            jobs = [first]
            stop = False
            while len(jobs) < self.max_batch:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is _STOP:
                    stop = True
                    break
                jobs.append(job)
            self._sweep()
            self._run_batch(jobs)
            if stop:
                return

    def _sweep(self) -> None:
        """Forget expired key records, at most once every :data:`SWEEP_SECONDS`."""
        now = time.monotonic()
        if self._swept is not None and now - self._swept < SWEEP_SECONDS:
            return
        self._swept = now
        try:
            self.app.forget_expired_keys()
        except Exception:  # the next sweep tries again; commands are unaffected
            log.exception("could not forget expired idempotency keys")

    def _run_batch(self, jobs: list[_Job]) -> None:
        batch = Batch()
        done: list[tuple[_Job, Any, int]] = []
        jobs, kept = self._kept(jobs)
        with self.repository.batching(batch):
            load_together(self.repository, batch, (key for job in jobs for key in job.loads))
            for job in jobs:
                if not job.future.set_running_or_notify_cancel():
                    continue
                if job.once is not None and job.once.key in kept:
                    job.future.set_result(Answered.kept(kept[job.once.key]))
                    continue
                if job.once is not None and job.once.key in batch.keys:
                    done.append((job, _SAME_KEY, 0))  # answered as the first, once stored
                    continue
                since = len(batch.events)
                try:
                    result = job.fn(*job.args, **job.kwargs)
                    if job.once is not None:
                        batch.keep(job.once.record(result), since)
                except BaseException as error:
                    self.repository.rewind(batch, since)
                    job.future.set_exception(error)
                    continue
                done.append((job, result, len(batch.events)))
        if not batch.events and not batch.keys:
            for job, result, _ in done:
                job.future.set_result(result)
            return
        try:
            recordings = self.app.record_batch(batch)
        except (RecordConflictError, ConcurrencyConflict):
            self._evict(batch)
            for job, _, _ in done:  # nothing was stored: each again, on its own
                self._run_alone(job)
            return
        except BaseException as error:
            self._evict(batch)
            for job, _, _ in done:
                job.future.set_exception(error)
            return
        self.repository.remember(batch.stored())
        self.batches += 1
        self.commands += len(done)
        positions = [r.notification.id for r in recordings]
        for job, result, count in done:
            if job.once is not None:
                replayed = result is _SAME_KEY
                job.future.set_result(answered(batch.keys, job.once.key, positions, replayed))
                continue
            position = positions[count - 1] if count else None
            job.future.set_result(_with_position(result, position))

    def _kept(self, jobs: list[_Job]) -> tuple[list[_Job], dict[str, KeptAnswer]]:
        """The key records already stored for the keyed jobs (one query). If they
        cannot be read, the keyed jobs are refused with that error and the others
        run."""
        keys = [job.once.key for job in jobs if job.once is not None]
        if not keys:
            return jobs, {}
        try:
            found: dict[str, KeptAnswer] = self.app.kept_answers(keys)
        except Exception as error:
            for job in jobs:
                if job.once is not None and job.future.set_running_or_notify_cancel():
                    job.future.set_exception(error)
            return [job for job in jobs if job.once is None], {}
        return jobs, found

    def _run_alone(self, job: _Job) -> None:
        if job.once is None:
            try:
                result = job.fn(*job.args, **job.kwargs)
            except BaseException as error:
                job.future.set_exception(error)
            else:
                job.future.set_result(result)
            return
        self._run_alone_once(job, job.once)

    def _run_alone_once(self, job: _Job, once: Once) -> None:
        """A keyed command in a batch of its own: answered from its key if another
        process stored it meanwhile; a conflict otherwise reaches its caller."""
        batch = Batch()
        try:
            found = self.app.kept_answers([once.key]).get(once.key)
            if found is not None:
                job.future.set_result(Answered.kept(found))
                return
            with self.repository.batching(batch):
                batch.keep(once.record(job.fn(*job.args, **job.kwargs)), 0)
            recordings = self.app.record_batch(batch)
        except RecordConflictError:
            self._evict(batch)
            found = self.app.kept_answers([once.key]).get(once.key)
            if found is not None:
                job.future.set_result(Answered.kept(found))
            else:
                job.future.set_exception(self.app.batch_conflict(batch))
        except BaseException as error:
            self._evict(batch)
            job.future.set_exception(error)
        else:
            self.repository.remember(batch.stored())
            positions = [r.notification.id for r in recordings]
            job.future.set_result(answered(batch.keys, once.key, positions, False))

    def _evict(self, batch: Batch) -> None:
        self.repository.forget(batch.aggregates)


_SAME_KEY = object()
"""A job whose key an earlier job of the same batch holds: it gets that job's answer."""


def _with_position(result: Any, position: int | None) -> Any:
    """A command's acknowledgement with the position its events were stored at."""
    fields = getattr(result, "_fields", ())
    if "position" in fields:
        return result._replace(position=position)
    return result
