"""Hash-chain verification rate on a large log.

Builds a log of real incident events (the demo's, re-keyed onto many
incidents) through the chained recorder, with a signed snapshot of one incident
of every copy of the demo (one snapshot for about every 70 events, denser than
the product's one per 50 events of an aggregate), then times ``verify`` with the
keys (the chain, the last row's signature, every snapshot against its record):
on an SQLite file, or on a fresh database of the PostgreSQL server given.

    python -m benchmarks.verification [--events 200000] [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from uuid import UUID, uuid4

from eventsourcing.persistence import StoredEvent

from benchmarks.postgres import scratch_database
from loop import demo
from loop.bootstrap import build_loop
from loop.settings import Settings
from loop.storage.chain import originator_key
from loop.storage.chain_readers import open_chain_reader
from loop.storage.proof_keys import proof_keys
from loop.storage.verification import verify

BATCH = 5_000  # events per transaction while building the log


def build_log(database_url: str, events: int) -> None:
    flow = build_loop(Settings(database_url=database_url)).incidents
    ids = demo.run(flow)
    template = [
        [
            n
            for n in flow.app.recorder.select_notifications(1, 1000)
            if originator_key(n.originator_id) == key
        ]
        for key in (i.replace("-", "") for i in ids.values())
    ]
    longest = max(template, key=len)
    written = flow.app.recorder.max_notification_id() or 0
    while written < events:
        batch: list[StoredEvent] = []
        snapshots: list[UUID] = []
        while len(batch) < BATCH and written + len(batch) < events:
            for incident in template:
                key = uuid4()
                batch += [
                    StoredEvent(key, n.originator_version, n.topic, n.state) for n in incident
                ]
                if incident is longest:
                    snapshots.append(key)
        flow.app.recorder.insert_events(batch)
        written += len(batch)
        for key in snapshots:
            flow.app.take_snapshot(key, version=len(longest))
    flow.app.close()


def verify_log(database_url: str) -> tuple[int, float]:
    """Verify the log at ``database_url``: events verified and the rate per second."""
    with open_chain_reader(database_url) as reader:
        started = time.perf_counter()
        report = verify(reader, proof_keys(Settings(database_url=database_url)))
        elapsed = time.perf_counter() - started
    assert report.intact, report.summary()
    assert report.snapshots > 0
    return report.events, report.events / elapsed


def measure(events: int, postgres_url: str | None = None) -> tuple[int, float]:
    if postgres_url:
        with scratch_database(postgres_url) as url:
            build_log(url, events)
            return verify_log(url)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'big.db'}"
        build_log(url, events)
        return verify_log(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--postgres-url", help="a PostgreSQL server (role with CREATEDB)")
    args = parser.parse_args()
    count, rate = measure(args.events, args.postgres_url)
    store = "PostgreSQL" if args.postgres_url else "SQLite"
    print(f"verified {count} events on {store} at {rate:,.0f} events/s")


if __name__ == "__main__":
    main()
