"""Measure the event-store recorders on the loop's own workload, in one run.

Each recorder stores into a fresh SQLite file: incidents reported through the
app, then driven through triage, handling and scoring (eight events each),
every command a load, check, record and a crash-safe commit. Figures are
relative to the fastest recorder of the same run.

    python -m benchmarks.recorders [--incidents 300]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from uuid import UUID

from loop import demo
from loop.flow import IncidentFlow

RECORDERS: dict[str, Callable[[Path], dict[str, str]]] = {
    "eventsourcing.sqlite (native)": lambda db: {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(db),
    },
    "eventsourcing_sqlalchemy": lambda db: {
        "PERSISTENCE_MODULE": "eventsourcing_sqlalchemy",
        "SQLALCHEMY_URL": f"sqlite:///{db}",
    },
}


def drive(flow: IncidentFlow, incidents: int) -> int:
    for _ in range(incidents):
        ack = flow.report_new(
            demo.RIDER,
            channel="app",
            module="hazard_screening",
            sense="seen",
            what="井盖丢失",
            where="幸福路",
        )
        i = UUID(ack.incident_id)
        flow.accept(demo.OFFICER_XF, i)
        flow.record_outcome(demo.OFFICER_XF, i, summary="已处置")
        flow.propose_score(
            demo.CADRE_XF, i, items=[{"item": "隐患排查", "points": 5}], basis="考评办法"
        )
        flow.sign_score(demo.DIRECTOR_XF, i)
        flow.sign_score(demo.OFFICER_XF, i)
    return flow.recorder.max_notification_id() or 0


def measure(incidents: int) -> dict[str, float]:
    rates = {}
    for name, env in RECORDERS.items():
        with tempfile.TemporaryDirectory() as tmp:
            flow = IncidentFlow(env(Path(tmp) / "bench.db"))
            started = time.perf_counter()
            events = drive(flow, incidents)
            rates[name] = events / (time.perf_counter() - started)
            flow.close()
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=300)
    args = parser.parse_args()
    rates = measure(args.incidents)
    best = max(rates.values())
    print(f"{'recorder':<32} {'events/s':>10} {'vs best':>8}")
    for name, rate in rates.items():
        print(f"{name:<32} {rate:>10.0f} {rate / best:>8.2f}")


if __name__ == "__main__":
    main()
