"""A group-commit batch's aggregates loaded together, before its commands run.

Each load inside a batch (``loop.storage.batch_repository``) asks the store for the
aggregate: for one the writer keeps, its events after the kept version (another
process may have stored some); for one it does not, its latest snapshot and the
events after it. On PostgreSQL that is one or two network round trips per
command, one after another on the writer thread. The commands of a batch say
which aggregates they will load (``GroupCommitter.submit(..., loads=...)``);
here they are loaded in ONE query (``select_events_after`` of the recorder, where
it has one) and put in the batch, where the commands' loads find them: a kept
aggregate is brought up to date with its newer events; one not kept is replayed
from its first event, if it has at most :data:`MOST_EVENTS` (the snapshot
interval: a snapshot would only stand for those same events).

Nothing else changes: the batch holds each aggregate as the store had it when
the query ran, exactly as a load at that moment would have; a command's changes
are still checked against the store when the batch is stored (a version stored
meanwhile by another process is a conflict, and the batch's commands re-run one
by one). An aggregate with more events to read than that, one not found, one
whose events cannot be decoded here, or every one if the query fails, is left to
its command's own load.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

if TYPE_CHECKING:
    from loop.storage.batch_repository import Batch, BatchRepository

log = logging.getLogger(__name__)

MOST_EVENTS = 50
"""Events read for one aggregate at most (the snapshot interval of the aggregates)."""

SelectAfter = Callable[[Mapping[UUID, int], int], Sequence[StoredEvent]]


def load_together(repository: BatchRepository, batch: Batch, aggregate_ids: Iterable[UUID]) -> int:
    """Put the aggregates among ``aggregate_ids`` that are not yet in ``batch`` into
    it, as stored now, read in one query; how many were put."""
    recorder = repository.event_store.recorder
    select: SelectAfter | None = getattr(recorder, "select_events_after", None)
    states = repository.states
    if select is None or states is None:
        return 0
    kept: dict[UUID, tuple[int, bytes] | None] = {}
    for key in aggregate_ids:
        if key in batch.aggregates or key in kept:
            continue
        try:
            kept[key] = states.get(key)
        except KeyError:
            kept[key] = None  # not kept: replayed from its first event
    if not kept:
        return 0
    after = {key: 0 if state is None else state[0] for key, state in kept.items()}
    try:
        stored = select(after, MOST_EVENTS + 1)
    except Exception:
        log.warning("could not load a batch's aggregates together", exc_info=True)
        return 0
    newer: dict[UUID, list[StoredEvent]] = {}
    for record in stored:
        found = record.originator_id
        newer.setdefault(found if isinstance(found, UUID) else UUID(found), []).append(record)
    mapper = repository.event_store.mapper
    put = 0
    for key, state in kept.items():
        records = newer.get(key, [])
        if len(records) > MOST_EVENTS or (state is None and not records):
            continue  # its command loads it (from a snapshot), or finds it missing
        try:
            aggregate: Any = None if state is None else pickle.loads(state[1])
            for record in records:  # as the repository's ``project``
                event: Any = mapper.to_domain_event(record)
                aggregate = event.mutate(aggregate)
        except Exception:
            continue  # its command's load meets the same error, as it would have
        if aggregate is None:
            continue
        batch.aggregates[key] = aggregate
        if records:
            repository.remember([aggregate])
        put += 1
    return put
