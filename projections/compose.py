"""The read side's composition: a store, a projector, queries and a runner."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from eventsourcing.persistence import ApplicationRecorder, Mapper

from projections.processing import BATCH_SIZE, Projector
from projections.queries import Queries
from projections.runner import CatchUpRunner
from projections.store import Store


class HasReadModelSettings(Protocol):
    database_url: str
    read_model_url: str | None


class EventSource(Protocol):
    """What projections need of the application: its log and its mapper."""

    @property
    def recorder(self) -> ApplicationRecorder: ...

    @property
    def mapper(self) -> Mapper[Any]: ...


@dataclass
class Projections:
    store: Store
    projector: Projector
    queries: Queries
    runner: CatchUpRunner
    source: EventSource
    """The application read from; kept so its recorder stays open."""

    def close(self) -> None:
        self.runner.stop()
        self.store.dispose()


def read_model_url(settings: HasReadModelSettings) -> str:
    """The read-model database: its own URL if set, else the events' database."""
    return settings.read_model_url or settings.database_url


def build(
    settings: HasReadModelSettings,
    source: EventSource,
    *,
    batch_size: int | None = None,
    poll_interval: float = 1.0,
    linger: float = 0.0,
) -> Projections:
    """Read models for ``source``'s notification log; nothing runs until
    ``runner.start()`` (or ``projector.catch_up()``)."""
    store = Store.from_url(read_model_url(settings))
    projector = Projector(
        store, source.recorder, source.mapper, batch_size=batch_size or BATCH_SIZE
    )
    return Projections(
        store,
        projector,
        Queries(projector),
        CatchUpRunner(projector, poll_interval=poll_interval, linger=linger),
        source,
    )
