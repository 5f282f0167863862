"""The benchmark harness: measurements, the rows they fill, targets and the run.

A :class:`Measurement` is a function of the run's :class:`Context` that returns
figures for the rows it declares. Rows name the row they are compared against
(a baseline measured in the same run) and a target, either on that ratio or on
the figure itself. A measurement whose product piece does not exist yet raises
:class:`NotMeasured`: its rows say so instead of showing a figure.
"""

from __future__ import annotations

import cProfile
import pstats
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from benchmarks.load import LoadGenerator

Kind = Literal["baseline", "product"]


@dataclass(frozen=True)
class Target:
    """``op bound`` on the ratio to the baseline row, or on the figure itself."""

    op: Literal[">=", "<="]
    bound: float
    on: Literal["ratio", "value"] = "ratio"

    def met(self, value: float, ratio: float | None) -> bool | None:
        subject = value if self.on == "value" else ratio
        if subject is None:
            return None
        return subject >= self.bound if self.op == ">=" else subject <= self.bound

    def text(self, unit: str) -> str:
        sign = "≥" if self.op == ">=" else "≤"
        if self.on == "ratio":
            return f"{sign} {self.bound:g}×"
        return f"{sign} {format_value(self.bound, unit)} {unit}"


@dataclass(frozen=True)
class RowSpec:
    """One line of the table: what is measured, in which unit, against what. A
    label may name a size of the run, ``{log_events}`` or ``{small_log_events}``,
    filled in from the run's counts (``sized``), so it says the size used."""

    key: str
    label: str
    unit: str
    baseline: str | None = None
    target: Target | None = None


@dataclass(frozen=True)
class Figure:
    value: float
    detail: dict[str, Any] = field(default_factory=dict)


class NotMeasured(Exception):
    """The product piece this measurement needs is not there yet."""


Run = Callable[["Context"], dict[str, Figure]]


@dataclass(frozen=True)
class Measurement:
    name: str
    kind: Kind
    rows: tuple[RowSpec, ...]
    run: Run


def measurement(name: str, kind: Kind, *rows: RowSpec) -> Callable[[Run], Measurement]:
    """Declare a measurement function and the rows it fills."""

    def declare(run: Run) -> Measurement:
        return Measurement(name, kind, rows, run)

    return declare


@dataclass(frozen=True)
class Counts:
    """How much work each measurement does; ``QUICK`` is a smoke run."""

    single_inserts: int = 2_000
    batched_inserts: int = 200_000
    batch: int = 1_000
    commands: int = 2_000
    http_seconds: int = 10
    warmup_seconds: int = 2
    connections: int = 16
    http_targets: int = 2_000
    log_events: int = 1_000_000
    small_log_events: int = 10_000
    state_rounds: int = 20
    roll_rows: int = 13_000


QUICK = Counts(
    single_inserts=30,
    batched_inserts=2_000,
    batch=500,
    commands=30,
    http_seconds=1,
    warmup_seconds=0,
    http_targets=200,
    log_events=2_000,
    small_log_events=300,
    state_rounds=2,
    roll_rows=200,
)


@dataclass
class Context:
    """What measurements share in one run: counts, a scratch directory, the load
    generator, figures measured so far and logs built once."""

    counts: Counts
    workdir: Path
    load: LoadGenerator
    figures: dict[str, Figure] = field(default_factory=dict)
    logs: dict[int, Path] = field(default_factory=dict)
    profile_dir: Path | None = None
    files: int = 0

    def fresh(self, name: str) -> Path:
        """A path in the scratch directory no earlier measurement or round has used."""
        self.files += 1
        return self.workdir / f"{self.files:04d}-{name}"

    def log(self, events: int) -> Path:
        """An SQLite event store holding at least ``events`` real incident events,
        written through the product's chained recorder; built once per size."""
        if events not in self.logs:
            from benchmarks.verification import build_log

            path = self.workdir / f"log-{events}.db"
            build_log(f"sqlite:///{path}", events)
            self.logs[events] = path
        return self.logs[events]


@dataclass(frozen=True)
class Row:
    spec: RowSpec
    kind: Kind
    value: float | None
    baseline_value: float | None
    ratio: float | None
    status: str  # pass | fail | info | not measured | error
    note: str
    detail: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        s = self.spec
        return {
            "key": s.key,
            "label": s.label,
            "kind": self.kind,
            "unit": s.unit,
            "value": self.value,
            "baseline": s.baseline,
            "baseline_value": self.baseline_value,
            "ratio": self.ratio,
            "target": s.target.text(s.unit) if s.target else None,
            "status": self.status,
            "note": self.note,
            "detail": self.detail,
        }


@contextmanager
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="lishu-bench-") as tmp:
        yield Path(tmp)


def size_text(count: int) -> str:
    """``10,000`` as ``10k``, ``1,000,000`` as ``1M``, ``2,500`` as ``2,500``."""
    for bound, suffix in ((1_000_000, "M"), (1_000, "k")):
        if count >= bound and count % bound == 0:
            return f"{count // bound:,}{suffix}"
    return f"{count:,}"


def sized(m: Measurement, counts: Counts) -> Measurement:
    """``m`` with its rows' labels naming the sizes in ``counts``."""
    sizes = {name: size_text(getattr(counts, name)) for name in ("log_events", "small_log_events")}
    rows = tuple(replace(spec, label=spec.label.format_map(sizes)) for spec in m.rows)
    return replace(m, rows=rows)


def run_all(
    suite: Iterable[Measurement],
    context: Context,
    progress: Callable[[str], None] = lambda _: None,
    rounds: int = 1,
) -> list[Row]:
    """Run every measurement in order, ``rounds`` times over (whole rounds, so load
    that comes and goes on the machine falls on every row alike), then take each
    row's median figure and resolve ratios and targets."""
    suite = [sized(m, context.counts) for m in suite]
    specs = [spec for m in suite for spec in m.rows]
    kinds = {spec.key: m.kind for m in suite for spec in m.rows}
    failed: dict[str, tuple[str, str]] = {}
    seen: dict[str, list[Figure]] = {spec.key: [] for spec in specs}
    for round_ in range(1, rounds + 1):
        for m in suite:
            if any(spec.key in failed for spec in m.rows):
                continue
            progress(f"{m.name} (round {round_}/{rounds})" if rounds > 1 else m.name)
            started = time.perf_counter()
            try:
                figures = _profiled(m, context) if context.profile_dir else m.run(context)
            except NotMeasured as why:
                failed.update({spec.key: ("not measured", str(why)) for spec in m.rows})
                continue
            except Exception as error:
                traceback.print_exc()
                message = f"{type(error).__name__}: {error}"
                failed.update({spec.key: ("error", message) for spec in m.rows})
                continue
            progress(f"{m.name}: {time.perf_counter() - started:.1f} s")
            for spec in m.rows:
                figure = figures.get(spec.key)
                if figure is None or not figure.value > 0:
                    failed[spec.key] = ("error", f"no positive figure for {spec.key}")
                else:
                    context.figures[spec.key] = figure
                    seen[spec.key].append(figure)
    outcome: dict[str, tuple[Kind, Figure | None, str, str]] = {}
    for spec in specs:
        if spec.key in failed:
            context.figures.pop(spec.key, None)
            outcome[spec.key] = (kinds[spec.key], None, *failed[spec.key])
        else:
            figure = _median(seen[spec.key])
            context.figures[spec.key] = figure
            outcome[spec.key] = (kinds[spec.key], figure, "", "")
    rows = []
    for spec in specs:
        kind, figure, status, note = outcome[spec.key]
        base = context.figures.get(spec.baseline) if spec.baseline else None
        if figure is None:
            shown = base.value if base else None
            rows.append(Row(spec, kind, None, shown, None, status, note, {}))
            continue
        ratio = figure.value / base.value if base else None
        met = spec.target.met(figure.value, ratio) if spec.target else None
        if spec.target is None:
            status = "info"
        elif met is None:
            status, note = "not measured", f"baseline {spec.baseline} not measured"
        else:
            status = "pass" if met else "fail"
        baseline_value = base.value if base else None
        rows.append(
            Row(spec, kind, figure.value, baseline_value, ratio, status, note, figure.detail)
        )
    return rows


def _median(figures: list[Figure]) -> Figure:
    """The median round's figure (the lower middle one for an even count); with
    more than one round, every round's value is kept in its detail."""
    ordered = sorted(figures, key=lambda f: f.value)
    middle = ordered[(len(ordered) - 1) // 2]
    if len(figures) == 1:
        return middle
    return Figure(middle.value, {**middle.detail, "rounds": [f.value for f in figures]})


def _profiled(m: Measurement, context: Context) -> dict[str, Figure]:
    """Run ``m`` under cProfile and keep where its time went (this process only:
    servers under load run in their own)."""
    assert context.profile_dir is not None
    profiler = cProfile.Profile()
    try:
        return profiler.runcall(m.run, context)
    finally:
        context.profile_dir.mkdir(parents=True, exist_ok=True)
        slug = "".join(ch if ch.isalnum() else "-" for ch in m.name).strip("-")
        with (context.profile_dir / f"{slug}.txt").open("w") as out:
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("cumulative").print_stats(40)
            stats.sort_stats("tottime").print_stats(25)


def format_value(value: float, unit: str) -> str:
    if unit in ("ms", "×"):
        return f"{value:.2f}"
    if unit == "MB":
        return f"{value:.0f}"
    return f"{value:,.0f}"


def table(rows: list[Row], title: str) -> str:
    """The one table: figure, baseline and its figure, ratio, target, result."""
    header = ("measurement", "figure", "vs (same run)", "ratio", "target", "result")
    lines = []
    for r in rows:
        s = r.spec
        figure = "—" if r.value is None else f"{format_value(r.value, s.unit)} {s.unit}"
        baseline = ""
        if s.baseline:
            shown = "—" if r.baseline_value is None else format_value(r.baseline_value, s.unit)
            baseline = f"{s.baseline} {shown}"
        ratio = "" if r.ratio is None else f"{r.ratio:.2f}×"
        target = s.target.text(s.unit) if s.target else ""
        result = r.status if r.status != "info" else ""
        if r.status in ("not measured", "error") and r.note:
            result = f"{r.status}: {r.note}"
        lines.append((s.label, figure, baseline, ratio, target, result))
    widths = [max(len(x[i]) for x in [header, *lines]) for i in range(len(header) - 1)]
    out = [title, ""]
    for line in [header, *lines]:
        cells = [
            c.ljust(w) if i in (0, 2) else c.rjust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=False))
        ]
        out.append("  ".join([*cells, line[-1]]).rstrip())
    return "\n".join(out)
