"""The read side's composition: a store, a projector, queries and a runner."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from eventsourcing.persistence import ApplicationRecorder, Mapper

from projections.account_queries import AccountQueries
from projections.notifications.rules import SMS, WEBHOOK
from projections.processing import BATCH_SIZE, Projector, default_projections
from projections.queries import Queries
from projections.runner import CatchUpRunner
from projections.store import Store
from projections.task_queries import TaskQueries
from projections.training_queries import TrainingQueries


class HasReadModelSettings(Protocol):
    database_url: str
    read_model_url: str | None


def notify_channels(settings: object) -> frozenset[str]:
    """The channels beyond the inbox that settings configure: text messages when an
    SMS gateway is named (``LISHU_SMS_GATEWAY_URL``), the webhook when its URL is."""
    chosen = set()
    if getattr(settings, "sms_gateway_url", None):
        chosen.add(SMS)
    if getattr(settings, "webhook_url", None):
        chosen.add(WEBHOOK)
    return frozenset(chosen)


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
    tasks: TaskQueries
    """Reads of the duty tasks' read models."""
    training: TrainingQueries
    """Reads of the training read models."""
    accounts: AccountQueries
    """Reads of the accounts' and the organisation's read models."""

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
        store,
        source.recorder,
        source.mapper,
        default_projections(notify_channels(settings)),
        batch_size=batch_size or BATCH_SIZE,
    )
    return Projections(
        store,
        projector,
        Queries(projector),
        CatchUpRunner(projector, poll_interval=poll_interval, linger=linger),
        source,
        TaskQueries(projector),
        TrainingQueries(projector),
        AccountQueries(projector),
    )
