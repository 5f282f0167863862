"""One oracle run: the real services on a database, the read models kept by the
projector, the oracle folding the same log, and a comparison after each batch."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from loop.bootstrap import build_loop
from loop.settings import Settings
from projections import build
from projections.exports import ExportQueries
from projections.notifications.inbox import Inbox, MessageNotFound, Reader
from projections.training_queries import Norms
from tests.oracle.compare import Comparison, Disagreement, units_of
from tests.oracle.duty_reads import inbox_notices
from tests.oracle.fold import Deadlines, Fold
from tests.oracle.inbox import compare_inboxes
from tests.oracle.org_reads import compare_organisation
from tests.oracle.org_workload import OpenWork
from tests.oracle.tour import tour
from tests.oracle.training_fold import TrainingNorms
from tests.oracle.training_reads import compare_training
from tests.oracle.workload import Workload
from tests.support import CHINA, FakeClock

START = datetime(2026, 7, 11, 9, 0, tzinfo=CHINA)


@dataclass
class Figures:
    """What a run did: events stored, commands taken and refused, reads compared."""

    events: int = 0
    batches: int = 0
    accepted: int = 0
    refused: int = 0
    conflicts: int = 0
    reads: int = 0
    disagreements: int = 0
    seconds: float = 0.0
    compare_seconds: float = 0.0
    by_command: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        return (
            f"{self.events:,} events in {self.batches} batches: {self.accepted:,} commands "
            f"taken, {self.refused:,} refused ({self.conflicts:,} concurrency conflicts); "
            f"{self.reads:,} reads compared, {self.disagreements} disagreements; "
            f"{self.seconds:.1f} s ({self.compare_seconds:.1f} s comparing)"
        )


class OracleRun:
    """The services on ``database_url`` (two writers), read models beside them."""

    def __init__(
        self,
        database_url: str,
        *,
        seed: int,
        scoring: str = "lishu",
        writers: int = 2,
        batch_size: int = 500,
        pace: float = 1.0,
    ) -> None:
        settings = Settings(database_url=database_url, scoring=scoring, read_model_url=None)
        self.loops = [build_loop(settings) for _ in range(writers)]
        flow = self.loops[0].incidents
        self.clock = FakeClock(START)
        self.workload = Workload(self.loops, self.clock, seed, pace=pace)
        self.views = build(settings, flow.app, batch_size=batch_size)
        self.inbox = Inbox(self.views.projector)
        for each in self.loops:  # as the API wires the registry: it asks the read models
            each.registry.open_work = OpenWork(self.views)
        deadlines = Deadlines(flow.policy.deadlines, flow.policy.urgent_deadlines)
        policy = self.loops[0].training.policy
        shortfall = {
            "shortfall": policy.shortfall,
            "shortfall_from_month": policy.shortfall_from_month,
        }
        self.norms = Norms(
            policy.pre_duty_halves, policy.yearly_halves, policy.exam_required, **shortfall
        )
        self.fold = Fold(flow.app.recorder, flow.app.mapper, deadlines, training_norms(policy))
        self.stars = flow.scoring.stars
        self.rng = random.Random(seed + 1)
        self.figures = Figures()
        self.found: list[Disagreement] = []

    def __enter__(self) -> OracleRun:
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()

    def close(self) -> None:
        self.workload.close()
        self.views.close()
        for each in self.loops:
            each.close()

    def start(self) -> None:
        """The opening every run holds (``tests.oracle.tour``)."""
        tour(self.workload)

    def batch(self, commands: int, *, every_case: bool = False) -> list[Disagreement]:
        """Run ``commands`` commands, catch the read models up, and compare every
        read with the oracle; the disagreements found."""
        began = time.perf_counter()
        self.workload.run(commands)
        self.views.projector.catch_up()
        self.fold.read()
        readers = [Reader(a.id, a.role, a.unit) for a in self.workload.duties.people()]
        marked = self._read_notices(readers)
        compared = time.perf_counter()
        exports = ExportQueries(self.views.projector)
        comparison = Comparison(
            self.fold, self.views.queries, self.stars, exports, self.views.tasks, self.inbox,
            readers,
        )  # fmt: skip
        found = comparison.run(self.clock(), self._moments(), every_case=every_case, rng=self.rng)
        compare_inboxes(comparison, self.fold, self.inbox, self.clock())
        self._organisation(comparison, every=every_case)
        compare_training(
            comparison, self.fold, self.views.training, self.norms, units_of(self.fold),
            self.clock(), every=every_case, rng=self.rng,
        )  # fmt: skip
        found = marked + found
        done = time.perf_counter()
        f, tally = self.figures, self.workload.tally
        f.events, f.batches = self.fold.events, f.batches + 1
        f.accepted, f.refused, f.conflicts = tally.accepted, tally.refused, tally.conflicts
        f.by_command = dict(sorted(tally.by_command.items()))
        f.reads += comparison.reads
        f.disagreements += len(found)
        f.seconds += done - began
        f.compare_seconds += done - compared
        self.found += found
        return found

    def _organisation(self, comparison: Comparison, *, every: bool) -> None:
        """The units and accounts, and the refused commands that must write nothing."""
        loop = self.loops[0]
        compare_organisation(
            comparison, self.fold, self.views.accounts, loop.registry, loop.accounts,
            self.clock(), every=every, rng=self.rng,
        )  # fmt: skip
        surprises = self.workload.organising.surprises
        comparison.check("refused organisation commands wrote nothing", [], lambda: surprises)

    def _read_notices(self, readers: list[Reader]) -> list[Disagreement]:
        """Some readers mark some notices of their inbox read (the inbox's own
        command: read marks are no events, so the oracle is told of them here)."""
        now, found = self.clock(), []
        unread = {}
        for reader in readers:
            marks = self.fold.read_marks.get(reader.id, {})
            shown = inbox_notices(self.fold, (reader.id, reader.role, reader.unit), now, marks)
            if any(not m["read"] for m in shown):
                unread[reader] = [m["message_id"] for m in shown]
        for reader in self.rng.sample(sorted(unread, key=str), min(4, len(unread))):
            marks = self.fold.read_marks.setdefault(reader.id, {})
            chosen = self.rng.sample(unread[reader], min(2, len(unread[reader])))
            try:
                self.inbox.mark_read(reader, chosen, now=now)
            except MessageNotFound as error:
                found.append(Disagreement(f"mark read in {reader.id}'s inbox", chosen, error))
                continue
            marks.update(dict.fromkeys((m for m in chosen if m not in marks), now))
        return found

    def _moments(self) -> list[datetime]:
        """Two past moments for the backlog as it stood: any moment of the run so
        far, and the very moment of a stored step (intervals meet there)."""
        now = self.clock()
        span = (now - START).total_seconds()
        moments = [START + timedelta(seconds=self.rng.uniform(0, span))]
        cases = list(self.fold.cases.values())
        if cases:
            case = self.rng.choice(cases)
            moments.append(self.rng.choice(case.timeline)[0])
        return moments


def training_norms(policy: Any) -> TrainingNorms:
    """The training rules' numbers, as the oracle's fold takes them (data, no rules)."""
    return TrainingNorms(
        policy.counted_modes, policy.pre_duty_halves, policy.yearly_halves,
        policy.exam_required, policy.retake_cool_down,
        shortfall=policy.shortfall, shortfall_from_month=policy.shortfall_from_month,
    )  # fmt: skip
