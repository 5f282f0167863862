"""Measure the event-store recorders on the loop's own workload, in one run.

Each recorder stores into a fresh SQLite file (or, given a PostgreSQL server,
a fresh database on it): incidents reported through the app, then driven
through triage, handling and scoring (eight events each), every command a load,
check, record and a commit. Figures are relative to the fastest recorder of the
same run; compare SQLite rows with each other and PostgreSQL rows with each
other (the test server runs with fsync off).

    python -m benchmarks.recorders [--incidents 300] [--postgres-url URL]

``--postgres-url`` defaults to ``LISHU_TEST_POSTGRES_URL`` (``scripts/postgres-up``).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.postgres import scratch_database
from loop import demo
from loop.bootstrap import open_loop
from loop.services.incidents import IncidentFlow
from loop.storage.persistence import persistence_env
from tests.builders import scored_case

RECORDERS: dict[str, Callable[[Path], dict[str, str]]] = {
    "eventsourcing.sqlite (native)": lambda db: {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(db),
    },
    "eventsourcing.sqlite + hash chain": lambda db: persistence_env(f"sqlite:///{db}"),
    "eventsourcing_sqlalchemy": lambda db: {
        "PERSISTENCE_MODULE": "eventsourcing_sqlalchemy",
        "SQLALCHEMY_URL": f"sqlite:///{db}",
    },
}

POSTGRES_RECORDERS: dict[str, Callable[[str], dict[str, str]]] = {
    "eventsourcing.postgres": lambda url: {
        k: v for k, v in persistence_env(url).items() if k != "APPLICATION_RECORDER_TOPIC"
    },
    "eventsourcing.postgres + hash chain": persistence_env,
}


def drive(flow: IncidentFlow, incidents: int) -> int:
    for _ in range(incidents):
        scored_case(flow, demo.RIDER, 5)
    return flow.app.recorder.max_notification_id() or 0


def timed(flow: IncidentFlow, incidents: int) -> float:
    started = time.perf_counter()
    events = drive(flow, incidents)
    rate = events / (time.perf_counter() - started)
    flow.app.close()
    return rate


def measure(incidents: int, postgres_url: str | None = None) -> dict[str, float]:
    rates = {}
    for name, env in RECORDERS.items():
        with tempfile.TemporaryDirectory() as tmp:
            rates[name] = timed(open_loop(env(Path(tmp) / "bench.db")).incidents, incidents)
    if postgres_url:
        for name, pg_env in POSTGRES_RECORDERS.items():
            with scratch_database(postgres_url) as url:
                rates[name] = timed(open_loop(pg_env(url)).incidents, incidents)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=300)
    parser.add_argument("--postgres-url", default=os.environ.get("LISHU_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    rates = measure(args.incidents, args.postgres_url)
    best = max(rates.values())
    print(f"{'recorder':<38} {'events/s':>10} {'vs best':>8}")
    for name, rate in rates.items():
        print(f"{name:<38} {rate:>10.0f} {rate / best:>8.2f}")


if __name__ == "__main__":
    main()
