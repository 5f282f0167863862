"""A group-commit batch's aggregates loaded together, before its commands run.

Each load inside a batch (``loop.storage.group_commit``) asks the store for the
aggregate's events after the version the writer keeps, since another process may
have stored some: on PostgreSQL one network round trip per command, one after
another on the writer thread. The commands of a batch say which aggregates they
will load (``GroupCommitter.submit(..., loads=...)``); those the writer keeps are
brought up to date here in ONE query (``select_events_after`` of the recorder,
where it has one) and put in the batch, where the commands' loads find them.

Nothing else changes: the batch holds each aggregate as the store had it when
the query ran, exactly as a load at that moment would have; a command's changes
are still checked against the store when the batch is stored (a version stored
meanwhile by another process is a conflict, and the batch's commands re-run one
by one). An aggregate the writer does not keep, one whose events cannot be read
here, or every one if the query fails, is simply left to its command's own load.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

if TYPE_CHECKING:
    from loop.storage.group_commit import Batch, BatchRepository

log = logging.getLogger(__name__)

SelectAfter = Callable[[Mapping[UUID, int]], Sequence[StoredEvent]]


def load_together(repository: BatchRepository, batch: Batch, aggregate_ids: Iterable[UUID]) -> int:
    """Put the kept aggregates among ``aggregate_ids`` that are not yet in ``batch``
    into it, brought up to date in one query; how many were put."""
    recorder = repository.event_store.recorder
    select: SelectAfter | None = getattr(recorder, "select_events_after", None)
    states = repository.states
    if select is None or states is None:
        return 0
    kept: dict[UUID, tuple[int, bytes]] = {}
    for key in aggregate_ids:
        if key in batch.aggregates or key in kept:
            continue
        try:
            kept[key] = states.get(key)
        except KeyError:
            continue  # not kept: its command loads it from the store
    if len(kept) < 2:
        return 0  # one load: the command's own asks for it just the same
    try:
        stored = select({key: version for key, (version, _) in kept.items()})
    except Exception:
        log.warning("could not load a batch's aggregates together", exc_info=True)
        return 0
    newer: dict[UUID, list[StoredEvent]] = {}
    for record in stored:
        found = record.originator_id
        newer.setdefault(found if isinstance(found, UUID) else UUID(found), []).append(record)
    mapper = repository.event_store.mapper
    put = 0
    for key, (_, state) in kept.items():
        records = newer.get(key, [])
        try:
            aggregate: Any = pickle.loads(state)
            for record in records:  # as the repository's ``project``
                event: Any = mapper.to_domain_event(record)
                aggregate = event.mutate(aggregate)
        except Exception:
            continue  # its command's load meets the same error, as it would have
        batch.aggregates[key] = aggregate
        if records:
            repository.remember([aggregate])
        put += 1
    return put
