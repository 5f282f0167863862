"""Hash-chain verification rate on a large log.

Builds a log of real incident events (the demo's, re-keyed onto many
incidents) through the chained SQLite recorder, then times ``verify``.

    python -m benchmarks.verification [--events 200000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from uuid import uuid4

from eventsourcing.persistence import StoredEvent

from loop import demo
from loop.bootstrap import build_flow
from loop.chain import originator_key
from loop.settings import Settings
from loop.verification import SQLiteChainReader, verify

BATCH = 5_000  # events per transaction while building the log


def build_log(path: Path, events: int) -> None:
    flow = build_flow(Settings(database_url=f"sqlite:///{path}"))
    ids = demo.run(flow)
    template = [
        [
            n
            for n in flow.recorder.select_notifications(1, 1000)
            if originator_key(n.originator_id) == key
        ]
        for key in (i.replace("-", "") for i in ids.values())
    ]
    written = flow.recorder.max_notification_id() or 0
    while written < events:
        batch: list[StoredEvent] = []
        while len(batch) < BATCH and written + len(batch) < events:
            for incident in template:
                key = uuid4()
                batch += [
                    StoredEvent(key, n.originator_version, n.topic, n.state) for n in incident
                ]
        flow.recorder.insert_events(batch)
        written += len(batch)
    flow.close()


def verify_log(path: Path) -> tuple[int, float]:
    """Verify the log at ``path``: events verified and the rate per second."""
    reader = SQLiteChainReader(str(path))
    try:
        started = time.perf_counter()
        report = verify(reader)
        elapsed = time.perf_counter() - started
    finally:
        reader.close()
    assert report.intact, report.summary()
    return report.events, report.events / elapsed


def measure(events: int) -> tuple[int, float]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.db"
        build_log(path, events)
        return verify_log(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    count, rate = measure(parser.parse_args().events)
    print(f"verified {count} events at {rate:,.0f} events/s")


if __name__ == "__main__":
    main()
