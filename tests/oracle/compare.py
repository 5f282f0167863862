"""Every read of the read side, asked of the projections and of the oracle.

``compare`` reads each backlog, summary, past backlog, case list, case, volunteer's
reports, publicity board, statistics (whole, per month, per module), score,
leaderboard (whole and per month), roll of volunteers and catalogue, for every
unit, volunteer, month and item the log holds, and returns the disagreements.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tests.oracle import duty_reads, export_reads, reads
from tests.oracle.duty_reads import NOTICE_KINDS
from tests.oracle.fold import Fold

LIMIT = 500
MISSING = "<missing>"


@dataclass(frozen=True)
class Disagreement:
    read: str
    expected: Any
    found: Any

    def __str__(self) -> str:
        return (
            f"{self.read}:\n  oracle: {_short(self.expected)}\n  read model: {_short(self.found)}"
        )


def _short(value: Any) -> str:
    if isinstance(value, list):
        return f"{len(value)} rows, first differing shown: {value[:3]!r}"
    text = repr(value)
    return text if len(text) < 2000 else text[:2000] + "…"


def _first_difference(expected: Any, found: Any) -> tuple[Any, Any]:
    """The first differing rows of two lists (or the values themselves)."""
    if isinstance(expected, list) and isinstance(found, list):
        for a, b in zip(expected, found, strict=False):
            if a != b:
                if isinstance(a, dict) and isinstance(b, dict):
                    keys = sorted(k for k in set(a) | set(b) if a.get(k, a) != b.get(k, b))
                    return (
                        {k: a.get(k, MISSING) for k in keys} | {"id": _id(a)},
                        {k: b.get(k, MISSING) for k in keys} | {"id": _id(b)},
                    )
                return a, b
        return f"{len(expected)} rows", f"{len(found)} rows"
    return expected, found


def _id(row: dict[str, Any]) -> Any:
    for key in ("incident_id", "volunteer_id", "item_id", "task_id", "notice_id", "message_id"):
        if row.get(key):
            return row[key]
    return None


def units_of(fold: Fold) -> list[str]:
    """Every unit the log names (communities, their stations and counties)."""
    places = {c.community for c in fold.cases.values()}
    places |= {p.community for p in fold.people.values() if p.community}
    places |= {i.bank for i in fold.items.values()}
    places |= {t.community for t in fold.duties.values()}
    places |= {n.publisher_unit for n in fold.notices.values()}
    found = set()
    for place in places:
        parts = place.split("/")
        found |= {"/".join(parts[:n]) for n in range(1, len(parts) + 1)}
    return sorted(found)


class Comparison:
    """One round of reads against ``queries`` (a ``projections.queries.Queries``)."""

    def __init__(
        self,
        fold: Fold,
        queries: Any,
        stars: Sequence[tuple[int, int]],
        exports: Any = None,
        tasks: Any = None,
        inbox: Any = None,
        readers: Sequence[Any] = (),
    ) -> None:
        self.fold = fold
        self.readers = readers  # whose inboxes are read (projections' ``Reader``)
        self.q = queries
        self.exports = exports
        """``projections.exports.ExportQueries``, if the exports' reads are compared too."""
        self.tasks = tasks  # a projections.task_queries.TaskQueries
        self.inbox = inbox  # a projections.notifications.inbox.Inbox
        self.stars = stars
        self.disagreements: list[Disagreement] = []
        self.reads = 0

    def check(
        self, read: str, expected: Any, query: Callable[..., Any], *args: Any, **kw: Any
    ) -> None:
        self.reads += 1
        answer = query(*args, **kw)
        if answer != expected:
            self.disagreements.append(Disagreement(read, *_first_difference(expected, answer)))

    def _exports(self, unit: str, modules: Sequence[str], periods: Sequence[str]) -> None:
        """The exports' reads: every case with its milestones, every ledger entry."""
        exported = self.exports
        if exported is None:
            return
        for module, period in [
            (None, None),
            *((m, None) for m in modules),
            *((None, p) for p in periods),
        ]:
            self.check(
                f"export of incidents {unit} module={module} period={period}",
                export_reads.incidents(self.fold, unit, module=module, period=period),
                lambda *a, **k: list(exported.incidents(*a, **k)),
                unit,
                module=module,
                period=period,
            )
        self.check(
            f"ledger of {unit}",
            export_reads.ledger(self.fold, unit),
            lambda u: sorted(
                (r["at"], r["volunteer_id"], r["community"], r["amount"], r["period"])
                for r in exported.ledger(u)
            ),
            unit,
        )

    def run(
        self,
        now: datetime,
        moments: Sequence[datetime] = (),
        *,
        every_case: bool = False,
        rng: random.Random | None = None,
    ) -> list[Disagreement]:
        f, q, stars = self.fold, self.q, self.stars
        units = units_of(f)
        stages = sorted({c.stage for c in f.cases.values()})
        modules = sorted({c.module for c in f.cases.values()})
        periods = sorted({p for person in f.people.values() for p in reads.months(person)})
        for unit in units:
            self.check(
                f"backlog {unit}",
                reads.backlog(f, unit, now, limit=LIMIT),
                q.backlog,
                unit,
                now=now,
                limit=LIMIT,
            )
            if stages:
                stage = (rng or random).choice(stages)
                self.check(
                    f"backlog {unit} stage={stage}",
                    reads.backlog(f, unit, now, stage=stage, limit=LIMIT),
                    q.backlog,
                    unit,
                    now=now,
                    stage=stage,
                    limit=LIMIT,
                )
            self.check(
                f"backlog summary {unit}",
                reads.backlog_summary(f, unit, now),
                q.backlog_summary,
                unit,
                now=now,
            )
            for moment in moments:
                self.check(
                    f"backlog {unit} as of {moment.isoformat()}",
                    reads.backlog_as_of(f, unit, moment),
                    q.backlog_as_of,
                    unit,
                    moment,
                )
            self.check(
                f"cases {unit}",
                reads.cases(f, unit, limit=LIMIT),
                q.cases,
                unit,
                limit=LIMIT,
            )
            for module in modules[:2]:
                self.check(
                    f"cases {unit} module={module}",
                    reads.cases(f, unit, module=module, limit=LIMIT),
                    q.cases,
                    unit,
                    module=module,
                    limit=LIMIT,
                )
            self.check(
                f"publicity board {unit}",
                reads.publicity_board(f, unit, limit=LIMIT),
                q.publicity_board,
                unit,
                limit=LIMIT,
            )
            self.check(f"statistics {unit}", reads.statistics(f, unit), q.statistics, unit)
            for period in periods[-2:]:
                self.check(
                    f"statistics {unit} {period}",
                    reads.statistics(f, unit, period=period),
                    q.statistics,
                    unit,
                    period=period,
                )
                self.check(
                    f"leaderboard {unit} {period}",
                    reads.leaderboard(f, unit, stars, period=period, limit=LIMIT),
                    q.leaderboard,
                    unit,
                    period=period,
                    stars=stars,
                    limit=LIMIT,
                )
            for module in modules[:1]:
                self.check(
                    f"statistics {unit} module={module}",
                    reads.statistics(f, unit, module=module),
                    q.statistics,
                    unit,
                    module=module,
                )
            self.check(
                f"leaderboard {unit}",
                reads.leaderboard(f, unit, stars, limit=LIMIT),
                q.leaderboard,
                unit,
                stars=stars,
                limit=LIMIT,
            )
            self.check(
                f"volunteers {unit}",
                reads.volunteers(f, unit, limit=LIMIT),
                q.volunteers,
                unit,
                limit=LIMIT,
            )
            self.check(f"catalogue of {unit}", reads.catalogue_of(f, unit), q.catalogue_of, unit)
            self._exports(unit, modules[:1], periods[-1:])
            if unit.count("/") == 2:
                self.check(f"catalogue for {unit}", reads.catalogue(f, unit), q.catalogue, unit)
        for volunteer_id in sorted(f.people):
            self.check(
                f"score of {volunteer_id}",
                reads.volunteer_score(f, volunteer_id, stars),
                q.volunteer_score,
                volunteer_id,
                stars=stars,
            )
        for reporter in sorted({c.reporter_id for c in f.cases.values()}):
            self.check(
                f"reports of {reporter}",
                reads.reports_of(f, reporter, limit=LIMIT),
                q.reports_of,
                reporter,
                limit=LIMIT,
            )
        for incident_id in sorted(f.cases if every_case else f.touched):
            self.check(
                f"case {incident_id}",
                reads.case_row(f.cases[incident_id]),
                q.case,
                incident_id,
            )
        f.touched.clear()
        if self.tasks is not None:
            self.duties(now, units, every=every_case, rng=rng or random.Random())
        return self.disagreements

    def duties(
        self, now: datetime, units: Sequence[str], *, every: bool, rng: random.Random
    ) -> None:
        """Every read of duty tasks and notices: per unit and notice each time; per
        task and per volunteer, five tasks changed since they were last read (and
        one other) with their volunteers, every one with ``every``; a few readers' inboxes (every
        one with ``every``); and the events that break the rules the fold restates."""
        f, t = self.fold, self.tasks
        owed = [f"task {t.task_id}: {t.owed} did not move up" for t in f.duties.values() if t.owed]
        self.check("duty events follow the rules", [], lambda: [*f.broken, *owed])
        touched = sorted(f.touched_tasks)
        changed = (
            set(f.duties)
            if every
            else set(rng.sample(touched, min(5, len(touched))))
            | set(rng.sample(sorted(f.duties), min(1, len(f.duties))))
        )
        f.touched_tasks -= changed  # the rest are read in a later round
        for task_id in sorted(changed):
            self.check(
                f"task {task_id}", duty_reads.task(f, task_id, now), t.task, task_id, now=now
            )
            self.check(f"roster {task_id}", duty_reads.roster(f, task_id), t.roster, task_id)
        span = (now - timedelta(days=400), now + timedelta(days=40))
        periods = sorted({duty_reads.month(d.starts_at) for d in f.duties.values()})
        for unit in units:
            if unit.count("/") == 2:
                self.check(
                    f"open tasks for {unit}",
                    duty_reads.open_tasks(f, unit, now),
                    t.open_tasks,
                    unit,
                    now=now,
                )
            self.check(
                f"calendar {unit}",
                duty_reads.calendar(f, unit, *span, now),
                t.calendar,
                unit,
                start=span[0],
                end=span[1],
                now=now,
            )
            self.check(
                f"task statistics {unit}", duty_reads.statistics(f, unit), t.statistics, unit
            )
            for period in periods[-1:]:
                self.check(
                    f"task statistics {unit} {period}",
                    duty_reads.statistics(f, unit, period),
                    t.statistics,
                    unit,
                    period=period,
                )
            if self.inbox is not None:
                self.check(f"notices {unit}", duty_reads.notices(f, unit), self.inbox.notices, unit)
        people = sorted({s for d in f.duties.values() for s in d.signups} | set(f.people))
        signed = {s for task_id in changed for s in f.duties[task_id].signups}
        chosen = people if every else sorted(signed | set(rng.sample(people, min(1, len(people)))))
        for volunteer_id in chosen:
            self.check(
                f"tasks of {volunteer_id}",
                duty_reads.tasks_of(f, volunteer_id),
                t.tasks_of,
                volunteer_id,
            )
            self.check(
                f"hours of {volunteer_id}", duty_reads.hours_of(f, volunteer_id), t.hours_of,
                volunteer_id,
            )  # fmt: skip
        if self.inbox is None:
            return
        notices, f.touched_notices = sorted(f.notices if every else f.touched_notices), set()
        for notice_id in notices:
            self.check(
                f"notice {notice_id}", duty_reads.notice(f, notice_id), self.inbox.notice, notice_id
            )
        readers = (
            self.readers if every else rng.sample(list(self.readers), min(4, len(self.readers)))
        )
        for reader in readers:
            person = (reader.id, reader.role, reader.unit)
            self.check(
                f"inbox of {reader.id}: its notices",
                duty_reads.inbox_notices(f, person, now, f.read_marks.get(reader.id, {})),
                lambda r=reader: [
                    m
                    for m in self.inbox.entries(r, now=now, limit=500)
                    if m["kind"] in NOTICE_KINDS
                ],
            )
