"""A group-commit batch, and the repository that answers loads inside one from it.

Inside a batch (``loop.storage.group_commit``) a load sees the batch's own
changes: :class:`BatchRepository` answers it from the batch (an identity map),
and reads the store (or the states it keeps of recently stored aggregates) only
the first time, so two commands on one aggregate in one batch behave exactly as
if run in turn. A command that is refused is undone alone
(:meth:`BatchRepository.rewind`): the aggregates it touched are rebuilt from the
store plus the batch's earlier events, so it writes nothing.
"""

from __future__ import annotations

import pickle
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.application import (
    AggregateNotFoundError,
    LRUCache,
    ProcessingEvent,
    Repository,
)
from eventsourcing.domain import Aggregate

from loop.storage.command_keys import KeyRecord, PendingKey


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
