"""``LoopApplication``: the one event store of Lishu Loop and its unit of work.

Every service (incidents, volunteers, the Happiness Bank, personal data, audit,
and each domain added beside them) keeps its aggregates here and saves through
:meth:`LoopApplication.commit`: the pending events of every aggregate a command
changed, in one transaction, all or none. Under group commit
(``loop.storage.group_commit``) the commands of a batch share that transaction.

The store knows no rule of the loop and no command: it loads, stores, snapshots
(using a snapshot only when its record authenticates it), signs the chain rows
with the record key, encrypts personal data with the per-person keys and
reports conflicts. It also keeps opaque key records (``loop.storage.command_keys``),
stored in a batch's transaction: the group committer's keyed commands are
recorded with their events.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, datetime_now_with_tzinfo
from eventsourcing.persistence import (
    ApplicationRecorder,
    EventStore,
    JSONTranscoder,
    ProgrammingError,
    RecordConflictError,
    Recording,
)
from eventsourcing.popo import POPOApplicationRecorder
from eventsourcing.utils import strtobool

from aggregates.account import Account
from aggregates.incident import Incident
from aggregates.organisation import Organisation
from aggregates.points_account import PointsAccount
from aggregates.reward_item import RewardItem
from aggregates.roster import Roster
from aggregates.task import Task
from aggregates.volunteer import Volunteer
from loop.errors import ConcurrencyConflict
from loop.storage.batch_repository import Batch, BatchRepository
from loop.storage.command_keys import (
    KeptAnswer,
    KeyedPOPOApplicationRecorder,
    KeyedRecorder,
    KeyRecord,
)
from loop.storage.keys import InMemoryKeyStore, KeyStore, NoKeyStore
from loop.storage.personal_cipher import PersonalDataAsCiphertext
from loop.storage.snapshots import checked_snapshot_store
from loop.storage.transcodings import ActorAsList

A = TypeVar("A", bound=Aggregate)

AGGREGATE_LABELS = {
    "Incident": ("警情", "incident"),
    "PointsAccount": ("幸福银行账户", "points account"),
    "RewardItem": ("兑换物品", "reward item"),
    "Volunteer": ("义警档案", "volunteer record"),
    "Notice": ("通知公告", "notice"),
    "Task": ("任务", "duty task"),
    "Roster": ("义警任务安排", "volunteer's roster"),
    "Organisation": ("单位登记", "organisation registry"),
    "Account": ("登录账号", "log-in account"),
}
"""How a conflict names the record someone else changed first."""


class LoopApplication(Application[UUID]):
    """The event store every service saves through, with its clock and key store."""

    name = "LishuLoop"  # fixes the table names and the environment prefix
    snapshotting_intervals = {  # noqa: RUF012 (library class attribute)
        Incident: 50,
        Organisation: 50,
        Account: 50,
        PointsAccount: 50,
        RewardItem: 50,
        Volunteer: 50,
        Task: 50,
        Roster: 50,
    }

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        clock: Callable[[], datetime] = datetime_now_with_tzinfo,
        key_store: KeyStore | None = None,
        record_key: bytes | None = None,
    ) -> None:
        # The per-person keys come from the composition root (loop.bootstrap); an
        # in-memory store may keep them in memory, a persistent one holds no personal
        # data without a key store.
        module = self.construct_env(self.name, env).get("PERSISTENCE_MODULE")
        persistent = module not in (None, "", "eventsourcing.popo")
        self.key_store: KeyStore = key_store or (NoKeyStore() if persistent else InMemoryKeyStore())
        # The record key signs chain rows and snapshot records (loop.storage.proof_keys);
        # without it rows are unsigned and no snapshot is taken or used.
        self.record_key = record_key
        super().__init__(env)
        self.clock = clock

    def close(self) -> None:
        super().close()
        self.key_store.close()

    def construct_recorder(self) -> ApplicationRecorder:
        """The recorder the persistence settings name; in memory, one that keeps
        key records too (the library's in-memory factory takes no recorder topic)."""
        recorder = super().construct_recorder()
        if type(recorder) is POPOApplicationRecorder:
            return KeyedPOPOApplicationRecorder()
        if hasattr(recorder, "record_key"):  # the chained recorders sign their rows
            recorder.record_key = self.record_key
        return recorder

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(ActorAsList())
        transcoder.register(PersonalDataAsCiphertext(self.key_store))

    # -- loading -----------------------------------------------------------------------

    def find(self, aggregate_id: UUID, kind: type[A], version: int | None = None) -> A | None:
        """The aggregate of type ``kind`` stored under ``aggregate_id`` (at
        ``version``), or None if there is none of that type."""
        try:
            found: object = self.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, kind) else None

    # -- the unit of work ---------------------------------------------------------------

    def commit(self, *aggregates: Aggregate) -> int | None:
        """Store the pending events of ``aggregates`` in one transaction: all or none.

        Returns the notification position of the last event stored (None if there
        was nothing to store, or under group commit, which answers with the
        position after the batch's commit). If another command stored events for
        one of them first, nothing is stored and :class:`ConcurrencyConflict`
        names what changed."""
        batch = self.batch_repository.batch
        if batch is not None:  # under group commit, stored with the whole batch
            for aggregate in aggregates:
                batch.collect(aggregate)
            return None
        loaded = {a.id: (a, a.version - len(a.pending_events)) for a in aggregates}
        alone = Batch()
        for aggregate in aggregates:
            alone.collect(aggregate)
        if not alone.events:
            return None
        try:
            recordings = self.record_batch(alone)
        except RecordConflictError:
            raise self.conflicts(loaded) from None
        return recordings[-1].notification.id

    def construct_snapshot_store(self) -> EventStore[UUID]:
        """Snapshots checked against the chain before use (``loop.storage.snapshots``),
        on the chained stores; the library's own store in memory."""
        create = strtobool(self.env.get("CREATE_TABLE") or "yes")
        checked = checked_snapshot_store(self.recorder, self.mapper, self.record_key, create)
        return checked if checked is not None else super().construct_snapshot_store()

    def construct_repository(self) -> BatchRepository:
        """The library's repository, able to answer loads from a group-commit batch."""
        base = super().construct_repository()
        maxsize = self.env.get(self.AGGREGATE_CACHE_MAXSIZE)
        return BatchRepository(
            base.event_store,
            snapshot_store=base.snapshot_store,
            cache_size=int(maxsize) if maxsize else 0,
        )

    @property
    def batch_repository(self) -> BatchRepository:
        repository = self.repository
        assert isinstance(repository, BatchRepository)
        return repository

    def record_batch(self, batch: Batch) -> list[Recording[UUID]]:
        """Store a group-commit batch's events, and its key records, in one
        transaction (see ``loop.storage.group_commit``); raises
        :class:`RecordConflictError` unchanged (also for a key already stored)."""
        processing = batch.processing_event()
        keyed = self.keyed_recorder if batch.keys else None  # refuses a store without them
        if not processing.events:
            if keyed is not None:
                keyed.insert_keys([record for record, _ in batch.keys.values()])
            return []
        recordings = self._record(processing)
        self._take_snapshots(processing)
        self._notify(recordings)
        return recordings

    @contextmanager
    def one_transaction(self, *records: KeyRecord) -> Iterator[Batch]:
        """Everything committed inside is stored at the end in ONE transaction, with
        these key records (positioned at its last event): all or nothing. If a
        record's key is already stored, nothing is (:class:`RecordConflictError`)."""
        batch = Batch()
        with self.batch_repository.batching(batch):
            yield batch
        for record in records:
            batch.keep(record, 0)
        try:
            self.record_batch(batch)
        except BaseException:
            self.batch_repository.forget(batch.aggregates)
            raise
        self.batch_repository.remember(batch.stored())

    # -- key records ---------------------------------------------------------------------

    @property
    def keyed_recorder(self) -> KeyedRecorder:
        recorder = self.recorder
        if not isinstance(recorder, KeyedRecorder):
            raise ProgrammingError(f"{type(recorder).__name__} keeps no key records")
        return recorder

    def kept_answers(self, keys: Sequence[str]) -> dict[str, KeptAnswer]:
        """The key records stored under ``keys`` (those found)."""
        return self.keyed_recorder.select_keys(keys)

    def keep_records(self, *records: KeyRecord) -> None:
        """Store key records that go with no event, in one transaction; a key already
        stored fails it (:class:`RecordConflictError`)."""
        self.keyed_recorder.insert_keys(records)

    def forget_expired_keys(self, now: float | None = None) -> int:
        """Delete the key records expired by ``now`` (unix seconds); how many."""
        return self.keyed_recorder.delete_expired_keys(int(time.time() if now is None else now))

    # -- conflicts -----------------------------------------------------------------------

    def current_version(self, aggregate_id: UUID) -> int:
        """The version of the aggregate's last stored event (0 if none)."""
        head = self.recorder.select_events(aggregate_id, desc=True, limit=1)
        return head[0].originator_version if head else 0

    def batch_conflict(self, batch: Batch) -> ConcurrencyConflict:
        """The conflict to report when storing ``batch`` found one of its aggregates
        changed (each as loaded: the version before its first event in the batch)."""
        loaded = {
            key: (batch.aggregates[key], events[0].originator_version - 1)
            for key, events in batch.by_aggregate.items()
            if events
        }
        return self.conflicts(loaded)

    def conflicts(self, loaded: Mapping[UUID, tuple[Aggregate, int]]) -> ConcurrencyConflict:
        """The conflict to report when a commit of aggregates ``loaded`` at these
        versions found one of them changed: an incident first, as callers act on it."""
        changed = []
        for aggregate_id, (aggregate, version) in loaded.items():
            current = self.current_version(aggregate_id)
            if current != version:
                changed.append((type(aggregate).__name__, aggregate_id, current))
        incidents = [c for c in changed if c[0] == "Incident"]
        if incidents:
            _, aggregate_id, current = incidents[0]
            error = incident_conflict(aggregate_id, current)
        else:
            first_id, (first, first_version) = next(iter(loaded.items()))
            kind, aggregate_id, current = (
                changed[0] if changed else (type(first).__name__, first_id, first_version)
            )
            zh, en = AGGREGATE_LABELS.get(kind, ("记录", "record"))
            error = ConcurrencyConflict(
                f"{zh}已被他人更新，请刷新后重试",
                f"The {en} was changed by someone else; reload and retry",
                aggregate=kind,
                aggregate_id=str(aggregate_id),
                current_version=current,
            )
        error.details["conflicts"] = [
            {"aggregate": k, "id": str(i), "current_version": v} for k, i, v in changed
        ]
        return error


def incident_conflict(incident_id: UUID, current_version: int) -> ConcurrencyConflict:
    """Someone else moved the incident on: reload (it is at ``current_version``)."""
    return ConcurrencyConflict(
        "警情已被他人更新，请刷新后重试",
        "The incident was changed by someone else; reload and retry",
        incident_id=str(incident_id),
        current_version=current_version,
    )
