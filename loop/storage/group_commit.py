"""Group commit: concurrent commands share one transaction, and one disk flush.

A crash-safe commit on SQLite (WAL, synchronous=FULL) or PostgreSQL costs a
flush to disk, milliseconds on ordinary disks; one flush per command caps a
server at a few hundred commands a second however fast the rest is. Here
commands run one after another on a single writer thread inside a *batch*:

* a load inside a batch sees the batch's own changes (an identity map), so two
  commands on one incident in one batch behave exactly as if run in turn;
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
import pickle
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import (
    AggregateNotFoundError,
    LRUCache,
    ProcessingEvent,
    Repository,
)
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import RecordConflictError

from loop.errors import ConcurrencyConflict
from loop.storage.batch_loads import load_together
from loop.storage.command_keys import Answered, KeptAnswer, KeyRecord, Once, PendingKey, answered

T = TypeVar("T")

MAX_BATCH = 256
SWEEP_SECONDS = 3600.0
"""How often the writer forgets expired key records."""

log = logging.getLogger(__name__)


@dataclass
class Batch:
    """What the commands of one batch changed, not yet stored."""

    aggregates: dict[UUID, Aggregate] = field(default_factory=dict)
    events: list[Any] = field(default_factory=list)
    by_aggregate: dict[UUID, list[Any]] = field(default_factory=dict)
    keys: dict[str, PendingKey] = field(default_factory=dict)

    def keep(self, record: KeyRecord, since: int) -> None:
        """Store ``record`` with the batch; its command collected the events after
        the first ``since`` (none if there are no more)."""
        count = len(self.events)
        self.keys[record.key] = (record, count if count > since else 0)

    def collect(self, aggregate: Aggregate) -> None:
        """Take ``aggregate``'s pending events into the batch."""
        events = aggregate.collect_events()
        self.aggregates[aggregate.id] = aggregate
        self.events.extend(events)
        self.by_aggregate.setdefault(aggregate.id, []).extend(events)

    def stored(self) -> list[Aggregate]:
        """The aggregates this batch has events for (as they are once stored)."""
        return [self.aggregates[key] for key in self.by_aggregate if self.by_aggregate[key]]

    def processing_event(self) -> ProcessingEvent[UUID]:
        processing: ProcessingEvent[UUID] = ProcessingEvent()
        processing.events.extend(self.events)
        processing.aggregates.update(
            {key: self.aggregates[key] for key in self.by_aggregate if self.by_aggregate[key]}
        )
        if self.keys:
            processing.saved_kwargs["keys"] = list(self.keys.values())
        return processing


def project(aggregate: Any, events: Iterable[Any]) -> Any:
    """Apply ``events`` in turn: the library's projector without its per-event
    protocol check (an ``isinstance`` against a Protocol costs more than the
    mutation itself on Python 3.11)."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class BatchRepository(Repository[UUID]):
    """The library's repository, answering loads inside a batch from the batch.

    For the writer it also keeps recently stored aggregates (``cache_size`` of them,
    least recently used dropped first), so a command's load decodes only the
    events it has not seen. The cache never answers on its own: every load still
    asks the store for the aggregate's events after the cached version (another
    process may have stored some) and applies them to a copy. Cached states are
    kept as bytes (pickled), so never changed in place, only replaced: by a load
    that found newer events, or by ``remember`` after a commit stored an
    aggregate's pending events; a failed commit forgets its aggregates. So a load
    answers what the store holds, as without the cache. Loads outside a batch
    (reads) always replay from the store, so a person forgotten (their key
    destroyed) reads as erased at once.
    """

    def __init__(self, *args: Any, cache_size: int = 0, **kwargs: Any) -> None:
        kwargs["cache_maxsize"] = None  # the library's cache changes states in place
        super().__init__(*args, **kwargs)
        self._local = threading.local()
        self.states: LRUCache[UUID, tuple[int, bytes]] | None = (
            LRUCache(cache_size) if cache_size > 0 else None
        )

    @property
    def batch(self) -> Batch | None:
        return getattr(self._local, "batch", None)

    @contextmanager
    def batching(self, batch: Batch) -> Iterator[Batch]:
        self._local.batch = batch
        try:
            yield batch
        finally:
            self._local.batch = None

    def get(self, aggregate_id: UUID, *, version: int | None = None, **kwargs: Any) -> Any:
        kwargs.setdefault("projector_func", project)
        if version is not None:
            return super().get(aggregate_id, version=version, **kwargs)
        batch = self.batch
        if batch is None:
            return super().get(aggregate_id, **kwargs)
        found = batch.aggregates.get(aggregate_id)
        if found is None:
            found = self._load(aggregate_id, **kwargs)
            batch.aggregates[aggregate_id] = found
        return found

    def _load(self, aggregate_id: UUID, **kwargs: Any) -> Any:
        """The aggregate as stored now, a copy the caller may change."""
        if self.states is None:
            return super().get(aggregate_id, **kwargs)
        try:
            version, state = self.states.get(aggregate_id)
        except KeyError:
            aggregate = super().get(aggregate_id, **kwargs)
        else:
            newer = list(self.event_store.get(originator_id=aggregate_id, gt=version))
            aggregate = project(pickle.loads(state), newer)
            if not newer:
                return aggregate
        self.remember([aggregate])
        return aggregate

    def remember(self, aggregates: Iterable[Aggregate]) -> None:
        """Keep ``aggregates`` as they are now: stored (a committed batch's, or just
        loaded). Kept as bytes, so nothing done to the objects afterwards reaches
        the cache; an aggregate that cannot be pickled is not kept."""
        if self.states is None:
            return
        for aggregate in aggregates:
            try:
                state = pickle.dumps(aggregate, pickle.HIGHEST_PROTOCOL)
            except Exception:
                self.forget([aggregate.id])
            else:
                self.states.put(aggregate.id, (aggregate.version, state))

    def forget(self, aggregate_ids: Iterable[UUID] | None = None) -> None:
        """Drop these aggregates from the cache, or every one (``None``)."""
        if self.states is None:
            return
        if aggregate_ids is None:
            self.states = LRUCache(self.states.maxsize)
            return
        for key in aggregate_ids:
            with suppress(KeyError):
                self.states.get(key, evict=True)

    def undo_uncollected(self, batch: Batch) -> None:
        """Rebuild every batch aggregate holding events no commit collected (those of
        a refused command): the stored state plus the batch's collected events."""
        for key, aggregate in list(batch.aggregates.items()):
            if aggregate.pending_events:
                self._rebuild(batch, key)

    def rewind(self, batch: Batch, since: int) -> None:
        """Undo what a command did after the batch's first ``since`` events were
        collected: the events it collected are dropped, and every aggregate it
        changed is rebuilt from the store plus the batch's remaining events."""
        dropped = batch.events[since:]
        del batch.events[since:]
        gone = {id(event) for event in dropped}
        for key in {event.originator_id for event in dropped}:
            batch.by_aggregate[key] = [e for e in batch.by_aggregate[key] if id(e) not in gone]
            self._rebuild(batch, key)
        self.undo_uncollected(batch)

    def _rebuild(self, batch: Batch, key: UUID) -> None:
        try:
            rebuilt: Any = self._load(key)
        except AggregateNotFoundError:
            rebuilt = None
        rebuilt = project(rebuilt, batch.by_aggregate.get(key, ()))
        if rebuilt is None:
            del batch.aggregates[key]
        else:
            batch.aggregates[key] = rebuilt


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
