"""Rebuild rate of the read models against reading the same log.

Builds a log of real incident events (the demo's, re-keyed onto many
incidents) in an SQLite file, then times, on that log:

* ``read``: ``select_notifications`` in pages of 500 and the application's
  ``mapper.to_domain_event`` for every notification (the floor for any projection);
* ``rebuild <name>``: ``lishu rebuild <name>`` for each projection, in
  transactions of 500 events, into a separate read-model file;

and the peak Python memory (tracemalloc) of rebuilding the largest projection,
which stays flat as the log grows: a rebuild holds one batch at a time.

    python -m benchmarks.projections [--events 20000] [--batch 500]

Measured 2026-11-23 on 2 shared cores (Debian 12, Python 3.11; the machine was
busy, so absolute rates varied two- to five-fold between runs; the ratios less):

    events   read+decode/s   backlog        cases          scores         peak memory
    20,029          9,780    1,520 (0.16)   1,745 (0.18)   8,237 (0.84)   2.7 MiB
    60,049         12,889    1,531 (0.12)   3,054 (0.24)  15,114 (1.17)   2.7 MiB

(``scores`` decodes only the Happiness Bank's events, hence its ratio near or
above 1.) A transaction per event instead of per 500 (``--batch 1``, 3,049
events): backlog 59 events/s against 3,870, cases 54 against 6,710.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from benchmarks.verification import build_log
from loop.bootstrap import build_loop
from loop.settings import Settings
from projections.processing import Projector
from projections.store import Store


def _read_rate(flow: Any, page: int = 500) -> tuple[int, float]:
    started = time.perf_counter()
    position, count = 0, 0
    while True:
        notifications = flow.app.recorder.select_notifications(
            start=position, limit=page, inclusive_of_start=False
        )
        if not notifications:
            break
        for notification in notifications:
            flow.app.mapper.to_domain_event(notification)
        count += len(notifications)
        position = notifications[-1].id
    return count, count / (time.perf_counter() - started)


def measure(events: int, batch_size: int = 500) -> dict[str, Any]:
    """Events in the log, the read rate, each projection's rebuild rate (events/s),
    their ratios to the read rate, and the rebuild's peak traced memory (bytes)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.db"
        build_log(f"sqlite:///{path}", events)
        flow = build_loop(Settings(database_url=f"sqlite:///{path}")).incidents
        count, read_rate = _read_rate(flow)
        store = Store.from_url(f"sqlite:///{Path(tmp) / 'views.db'}")
        projector = Projector(store, flow.app.recorder, flow.app.mapper, batch_size=batch_size)
        projector.setup()
        rates: dict[str, float] = {}
        for name in sorted(projector.projections):
            started = time.perf_counter()
            applied = projector.rebuild(name)
            rates[name] = applied / (time.perf_counter() - started)
        tracemalloc.start()
        projector.rebuild("backlog")
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        store.dispose()
        flow.app.close()
    return {
        "events": count,
        "read_rate": read_rate,
        "rebuild_rates": rates,
        "ratios": {name: rate / read_rate for name, rate in rates.items()},
        "rebuild_peak_bytes": peak,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    result = measure(args.events, args.batch)
    print(f"{result['events']} events; read and decode: {result['read_rate']:,.0f} events/s")
    print(f"{'projection':<12}{'events/s':>12}{'vs read':>10}")
    for name, rate in result["rebuild_rates"].items():
        print(f"{name:<12}{rate:>12,.0f}{result['ratios'][name]:>10.2f}")
    print(f"rebuild peak Python memory: {result['rebuild_peak_bytes'] / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
