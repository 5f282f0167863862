"""Applying the notification log to the read models, exactly once, in batches.

A round reads the live build of every projection (or the build of the code's
version when the live one is older or missing), groups the builds that stand at
the same position, reads the next batch of notifications once, decodes only the
events some build handles, and applies the batch to every build of the group in
one transaction. That transaction first moves each build's position with a
conditional update (``SET position = :new WHERE position = :old``): when another
process applied the batch first, no row matches, the transaction is rolled back
and the round starts again from the new position. Positions move in the same
transaction as the rows, so a crash loses nothing and applies nothing twice.

A build that is not live becomes live in the transaction that brings it up to
the head of the log; the build it replaces is dropped after that commit.

Why not the library's ``eventsourcing.projection`` runner: it iterates a
recorder subscription, which the SQLite recorder does not offer; it processes
and tracks one event per call (a transaction per event, about a hundred times
slower than a batch here); it constructs the application from its class (this
package must not import the loop); and its tracking insert is the racy one on
PostgreSQL. The runner here is small: poll, batch, guard, switch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import ApplicationRecorder, Mapper, Notification
from sqlalchemy import Connection, MetaData, Table, bindparam, select, tuple_
from sqlalchemy.exc import OperationalError
from sqlalchemy.schema import CreateTable

from projections.accounts import Accounts
from projections.backlog import Backlog
from projections.base import Projection, Tables, event_name
from projections.cases import Cases
from projections.catalogue import Catalogue
from projections.collector import fewer_collections
from projections.errors import ProjectionNotReady, UnknownProjection
from projections.georeport import GeoReport
from projections.notifications.projection import Notifications
from projections.notifications.rules import SMS
from projections.organisation import Organisation
from projections.registers import Registers
from projections.scores import Scores
from projections.store import Store, live, positions
from projections.talks import Talks
from projections.tasks import Tasks
from projections.training import Training

log = logging.getLogger(__name__)

BATCH_SIZE = 500
BUILD_BATCH_SIZE = 5_000
"""Notifications per transaction while no build of a group is live (a rebuild, or
a new version catching up): nobody reads those tables yet, so fewer, larger
transactions win; a live build keeps ``batch_size`` so readers see each batch soon."""
Progress = Callable[[int, int], None]


def default_projections(channels: Collection[str] = (SMS,)) -> list[Projection]:
    """Every read model; ``channels``: those beyond the inbox that notifications
    are delivered on here (the composition root's, from settings)."""
    return [
        Backlog(),
        Cases(),
        Scores(),
        Catalogue(),
        Tasks(),
        Training(),
        Notifications(channels),
        GeoReport(),
        Registers(),
        Organisation(),
        Accounts(),
        Talks(),
    ]


@dataclass(frozen=True)
class Build:
    """One physical copy of a projection's tables and its position."""

    projection: Projection
    suffix: str
    version: int
    position: int
    live: bool


# Every build of a group moves from one position to the next, in one conditional
# update: if another process moved any of them first, fewer rows match.
MOVE = (
    positions.update()
    .where(
        positions.c.position == bindparam("old"),
        tuple_(positions.c.name, positions.c.suffix).in_(bindparam("builds", expanding=True)),
    )
    .values(position=bindparam("new"))
)
ALL_LIVE = select(live.c.name, live.c.suffix)
ALL_BUILDS = select(positions.c.name, positions.c.suffix, positions.c.version, positions.c.position)


class _Lost(Exception):
    """Another process applied this batch first."""


class Projector:
    """Keeps the read models up to date with one application's notification log."""

    def __init__(
        self,
        store: Store,
        recorder: ApplicationRecorder,
        mapper: Mapper[Any],
        projections: Iterable[Projection] | None = None,
        *,
        batch_size: int = BATCH_SIZE,
        build_batch_size: int | None = None,
    ) -> None:
        self.store = store
        self.recorder = recorder
        self.mapper = mapper
        chosen = list(default_projections() if projections is None else projections)
        self.projections = {p.name: p for p in chosen}
        self.batch_size = batch_size
        self.build_batch_size = build_batch_size or max(batch_size, BUILD_BATCH_SIZE)
        self._tables: dict[tuple[str, str], Tables] = {}
        self._ready = False

    # -- tables and builds ----------------------------------------------------------

    def projection(self, name: str) -> Projection:
        try:
            return self.projections[name]
        except KeyError:
            raise UnknownProjection(
                f"没有名为 {name} 的投影",
                f"no projection named {name}",
                name=name,
                known=sorted(self.projections),
            ) from None

    def tables(self, projection: Projection, suffix: str) -> Tables:
        key = (projection.name, suffix)
        if key not in self._tables:
            self._tables[key] = projection.define(MetaData(), suffix)
        return self._tables[key]

    def setup(self) -> None:
        """Create the control tables and a build for every projection that has no
        build of the code's version yet (it becomes live once caught up)."""
        if self._ready:
            return
        with self.store.schema_lock():  # processes starting together take turns
            self.store.create_control_tables()
            with self.store.write() as conn:
                for projection in self.projections.values():
                    projection.setup(conn)
            for projection in self.projections.values():
                with self.store.read() as conn:
                    builds = self._builds(conn, projection)
                if not any(b.version == projection.version for b in builds):
                    self._create_build(projection, f"v{projection.version}")
        self._ready = True

    def _create_build(self, projection: Projection, suffix: str) -> None:
        tables = self.tables(projection, suffix)
        with self.store.write() as conn:
            exists = conn.execute(
                select(positions.c.position).where(
                    positions.c.name == projection.name, positions.c.suffix == suffix
                )
            ).first()
            if exists is not None:
                return
            for table in tables.values():  # its indexes come when it goes live
                conn.execute(CreateTable(table, if_not_exists=True))
            conn.execute(
                positions.insert(),
                {
                    "name": projection.name,
                    "suffix": suffix,
                    "version": projection.version,
                    "position": 0,
                    "tables": ",".join(t.name for t in tables.values()),
                },
            )

    @staticmethod
    def _builds(conn: Connection, projection: Projection) -> list[Build]:
        return Projector._all_builds(conn, [projection])[projection.name]

    @staticmethod
    def _all_builds(conn: Connection, projections: Iterable[Projection]) -> dict[str, list[Build]]:
        """Each projection's builds of its code's version or live, in two reads
        whatever the number of projections (a round reads them every time)."""
        chosen = {p.name: p for p in projections}
        live_suffixes = dict(conn.execute(ALL_LIVE).tuples().all())
        found: dict[str, list[Build]] = {name: [] for name in chosen}
        for name, suffix, version, position in conn.execute(ALL_BUILDS).tuples():
            projection = chosen.get(name)
            if projection is None:
                continue
            is_live = suffix == live_suffixes.get(name)
            if version == projection.version or is_live:
                found[name].append(Build(projection, suffix, version, position, is_live))
        return found

    def targets(self, names: Sequence[str] | None = None) -> list[Build]:
        """The build each projection maintains now: the live one if it is of the
        code's version, else the code version's first build (being caught up)."""
        self.setup()
        chosen = [self.projection(n) for n in names] if names else self.projections.values()
        found: list[Build] = []
        with self.store.read() as conn:
            every = self._all_builds(conn, chosen)
        for projection in chosen:
            builds = every[projection.name]
            current = [b for b in builds if b.live and b.version == projection.version]
            first = [b for b in builds if b.suffix == f"v{projection.version}"]
            found.extend(current[:1] or first[:1])
        return found

    def live_tables(self, conn: Connection, name: str) -> Tables:
        """The tables reads use: the live build, if it is of the code's version."""
        projection = self.projection(name)
        row = conn.execute(select(live.c.suffix, live.c.version).where(live.c.name == name)).first()
        if row is None or row.version != projection.version:
            raise ProjectionNotReady(
                f"投影 {name} 正在构建，尚未追上事件日志，请稍后再试",
                f"projection {name} is being built and has not caught up yet",
                name=name,
            )
        return self.tables(projection, row.suffix)

    def positions(self) -> dict[str, int | None]:
        """Each projection's live position (None while no build of its version is live)."""
        self.setup()
        result: dict[str, int | None] = dict.fromkeys(self.projections)
        with self.store.read() as conn:
            rows = conn.execute(
                select(live.c.name, positions.c.position, live.c.version).join(
                    positions,
                    (positions.c.name == live.c.name) & (positions.c.suffix == live.c.suffix),
                )
            ).all()
        for row in rows:
            projection = self.projections.get(row.name)
            if projection is not None and projection.version == row.version:
                result[row.name] = row.position
        return result

    # -- processing ----------------------------------------------------------------

    def run_once(self, names: Sequence[str] | None = None) -> int:
        """One round: one batch for each group of builds at the same position.
        Returns how many notifications were applied."""
        builds = self.targets(names)
        head = self.recorder.max_notification_id() or 0
        groups: dict[int, list[Build]] = {}
        for build in builds:
            groups.setdefault(build.position, []).append(build)
        applied = 0
        for position, group in sorted(groups.items()):
            try:
                applied += self._advance(group, position, head)
            except _Lost:
                log.info("another projector applied the batch after %s first", position)
        return applied

    def catch_up(self, names: Sequence[str] | None = None) -> int:
        """Rounds until every build is live and has reached the head of the log as
        it was when the round began (a batch lost to another process is not the end).
        Returns how many notifications this projector applied."""
        total = 0
        with fewer_collections():
            while True:
                head = self.recorder.max_notification_id() or 0
                total += self.run_once(names)
                if all(b.live and b.position >= head for b in self.targets(names)):
                    return total

    def _advance(self, group: list[Build], position: int, head: int) -> int:
        notifications: Sequence[Notification] = ()
        if position < head:
            limit = self.batch_size if any(b.live for b in group) else self.build_batch_size
            notifications = self.recorder.select_notifications(
                start=position, limit=limit, inclusive_of_start=False
            )
        if not notifications and all(b.live for b in group):
            return 0
        new = notifications[-1].id if notifications else position
        events = self._decode(notifications, group)
        replaced: list[tuple[str, str]] = []
        try:
            with self.store.write() as conn:
                moved = conn.execute(
                    MOVE,
                    {
                        "old": position,
                        "new": new,
                        "builds": [(b.projection.name, b.suffix) for b in group],
                    },
                )
                if moved.rowcount != len(group):
                    raise _Lost
                for build in group:
                    tables = self.tables(build.projection, build.suffix)
                    handlers = build.projection.handlers
                    build.projection.apply_batch(
                        conn, tables, [(n, e) for n, e in events if n in handlers]
                    )
                    if not build.live and new >= head:
                        replaced.extend(
                            (build.projection.name, old) for old in self._switch(conn, build)
                        )
        except OperationalError as error:
            if position < new:
                log.warning("batch after %s not applied, will retry: %s", position, error)
            raise _Lost from error
        for name, old in replaced:
            self._drop(name, old)
        return len(notifications)

    def _decode(
        self, notifications: Sequence[Notification], group: list[Build]
    ) -> list[tuple[str, Any]]:
        wanted = set().union(*(b.projection.handlers for b in group))
        events = []
        for notification in notifications:
            name = event_name(notification.topic)
            if name in wanted:
                events.append((name, self.mapper.to_domain_event(notification)))
        return events

    def _switch(self, conn: Connection, build: Build) -> list[str]:
        """Index ``build``'s tables and point reads at it; returns the suffixes of the
        builds it replaces (the old live one and any other of this or an older
        version). The indexes are made here, once over the built rows, rather than
        kept up row by row while nobody reads the tables."""
        for table in self.tables(build.projection, build.suffix).values():
            for index in table.indexes:
                index.create(conn, checkfirst=True)
        name, version = build.projection.name, build.projection.version
        old = conn.execute(select(live.c.suffix).where(live.c.name == name)).scalar()
        values = {"suffix": build.suffix, "version": version}
        if old is None:
            conn.execute(live.insert(), {"name": name, **values})
        else:
            conn.execute(live.update().where(live.c.name == name).values(values))
        return list(
            conn.execute(
                select(positions.c.suffix).where(
                    positions.c.name == name,
                    positions.c.suffix != build.suffix,
                    positions.c.version <= version,
                )
            ).scalars()
        )

    def _drop(self, name: str, suffix: str) -> None:
        """Drop a replaced build's tables and its position."""
        with self.store.write() as conn:
            names = conn.execute(
                select(positions.c.tables).where(
                    positions.c.name == name, positions.c.suffix == suffix
                )
            ).scalar()
            for table_name in (names or "").split(","):
                if table_name:
                    Table(table_name, MetaData()).drop(conn, checkfirst=True)
            conn.execute(
                positions.delete().where(positions.c.name == name, positions.c.suffix == suffix)
            )
        self._tables.pop((name, suffix), None)

    # -- rebuilding --------------------------------------------------------------------

    def rebuild(self, name: str, progress: Progress | None = None) -> int:
        """Build ``name`` again from the log beside the live build, switch reads to it
        once it has caught up, then drop the old one. A rebuild interrupted earlier
        is resumed. Returns the notifications applied."""
        with fewer_collections():
            return self._rebuild(name, progress)

    def _rebuild(self, name: str, progress: Progress | None) -> int:
        self.setup()
        projection = self.projection(name)
        with self.store.read() as conn:
            builds = self._builds(conn, projection)
        pending = [
            b for b in builds if not b.live and b.suffix.startswith(f"v{projection.version}_")
        ]
        if pending:
            suffix = pending[0].suffix
        else:
            numbers = [
                int(b.suffix.rpartition("_")[2])
                for b in builds
                if b.suffix.startswith(f"v{projection.version}_")
            ]
            suffix = f"v{projection.version}_{max(numbers, default=0) + 1}"
            self._create_build(projection, suffix)
        total = 0
        while True:
            with self.store.read() as conn:
                position = conn.execute(
                    select(positions.c.position).where(
                        positions.c.name == name, positions.c.suffix == suffix
                    )
                ).scalar()
                is_live = (
                    conn.execute(select(live.c.suffix).where(live.c.name == name)).scalar()
                    == suffix
                )
            if position is None or is_live:
                return total
            head = self.recorder.max_notification_id() or 0
            try:
                total += self._advance(
                    [Build(projection, suffix, projection.version, position, False)], position, head
                )
            except _Lost:
                continue
            if progress is not None:
                progress(min(position + self.build_batch_size, head), head)
