"""Run every benchmark in one run; print one table and write reports/bench.json.

    python -m benchmarks [--quick] [--seconds 10] [--events 1000000] [--output PATH]
                         [--rounds N] [--only NAME] [--profile DIR] [--generator wrk|python]

Each row shows the figure, the baseline it is compared against measured in the
same run, the ratio, the target and whether it is met. Absolute figures on a
shared machine are noisy; the targets are ratios where the issue states them so.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import machine
from benchmarks.harness import QUICK, Context, Counts, run_all, scratch, table
from benchmarks.load import pick_generator
from benchmarks.suite import SUITE


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="smoke run with tiny counts")
    parser.add_argument("--seconds", type=int, help="duration of each HTTP load run")
    parser.add_argument("--connections", type=int, help="concurrent HTTP connections")
    parser.add_argument("--events", type=int, help="events in the large log")
    parser.add_argument("--inserts", type=int, help="raw sqlite3 single-row inserts")
    parser.add_argument("--commands", type=int, help="in-process eventsourcing commands")
    parser.add_argument(
        "--generator", choices=("auto", "wrk", "python"), default="auto", help="HTTP load"
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="run the whole suite N times, report medians"
    )
    parser.add_argument("--only", action="append", help="run measurements whose name has this")
    parser.add_argument(
        "--output", type=Path, default=Path("reports/bench.json"), help="the JSON report"
    )
    parser.add_argument(
        "--profile", type=Path, metavar="DIR", help="profile each measurement into DIR"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    return parser.parse_args(argv)


def counts(args: argparse.Namespace) -> Counts:
    chosen = QUICK if args.quick else Counts()
    given = {
        "http_seconds": args.seconds,
        "connections": args.connections,
        "log_events": args.events,
        "single_inserts": args.inserts,
        "commands": args.commands,
    }
    return replace(chosen, **{k: v for k, v in given.items() if v is not None})


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    chosen = counts(args)
    suite = [m for m in SUITE if not args.only or any(o in m.name for o in args.only)]
    started = datetime.now(UTC)
    host = machine.describe()
    with scratch() as workdir:
        load = pick_generator(workdir, args.generator)
        context = Context(chosen, workdir, load, profile_dir=args.profile)
        rows = run_all(
            suite,
            context,
            lambda m: print(f"… {m}", file=sys.stderr, flush=True),
            rounds=args.rounds,
        )
    title = (
        f"Lishu Loop benchmarks, {started:%Y-%m-%d %H:%M} UTC\n{machine.summary(host)}\n"
        f"HTTP load: {load.name}, {chosen.connections} connections, {chosen.http_seconds} s; "
        f"large log: {chosen.log_events:,} events; median of {args.rounds} round(s)"
        + ("\nPROFILED: in-process figures are slowed by cProfile" if args.profile else "")
    )
    print(table(rows, title))
    report = {
        "date": started.isoformat(timespec="seconds"),
        "machine": host,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "generator": load.name,
        "quick": args.quick,
        "profiled": args.profile is not None,
        "rounds": args.rounds,
        "counts": asdict(chosen),
        "rows": [r.as_json() for r in rows],
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    print(f"\nwritten to {args.output}")
    if any(r.status == "error" for r in rows):
        return 2
    return 1 if args.strict and any(r.status == "fail" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
