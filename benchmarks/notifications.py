"""Alerts and their delivery, measured on the real clock.

* **Alert latency after a due time**: incidents reported on a policy whose every
  deadline is a few seconds, the clock ticking each second as ``lishu serve``
  runs it; per message, the time from the mark (due soon, due, overdue) to the
  moment its row was written (``recorded_at - created_at``).
* **Dispatcher throughput**: deliveries settled per second by dispatchers sending
  through the SMS gateway adapter to a gateway on loopback that answers at once:
  one dispatcher on SQLite; on PostgreSQL one and three side by side (SKIP LOCKED).

    python -m benchmarks.notifications [--incidents 30] [--deliveries 2000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import select

from benchmarks.harness import Context, Figure, RowSpec, Target, measurement
from benchmarks.load import percentile
from loop import demo
from loop.bootstrap import open_loop
from loop.rules.alerts import words
from loop.rules.policy import LISHU, Policy
from projections.notifications import tables as outbox
from projections.notifications.adapters import SmsGatewayAdapter
from projections.notifications.clock import Clock
from projections.notifications.dispatch import Dispatcher
from projections.notifications.outbox import Message, tell
from projections.notifications.rules import SMS, Address
from projections.notifications.runner import NotifyRunner
from projections.processing import Projector, default_projections
from projections.store import Store

DEADLINE = timedelta(seconds=2)
"""Every stage's deadline in the latency run: marks at 1.5 s, 2 s and 4 s."""


def _quick_policy() -> Policy:
    return Policy("bench", dict.fromkeys(LISHU.deadlines, DEADLINE))


def alert_latency(workdir: Path, incidents: int = 30, interval: float = 1.0) -> dict[str, Any]:
    """Milliseconds from each mark's time to its message being written: p50, p95, max."""
    loop = open_loop(policy=_quick_policy())
    store = Store.from_url(f"sqlite:///{workdir / 'latency.db'}")
    projector = Projector(store, loop.app.recorder, loop.app.mapper, default_projections((SMS,)))
    projector.setup()
    runner = NotifyRunner(Clock(projector), None, interval=interval).start()
    try:
        for _ in range(incidents):
            loop.incidents.report_new(
                demo.RIDER, channel="app", module="hazard_screening", sense="seen",
                what="井盖丢失", where="幸福路",
            )  # fmt: skip
            time.sleep(0.05)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with store.read() as conn:
                rows = conn.execute(
                    select(outbox.messages.c.created_at, outbox.messages.c.recorded_at).where(
                        outbox.messages.c.message_id.like("clock:%")
                    )
                ).all()
            if len(rows) >= 3 * incidents:
                break
            time.sleep(0.2)
    finally:
        runner.stop()
        store.dispose()
        loop.close()
    late = sorted((r.recorded_at - r.created_at).total_seconds() * 1000 for r in rows)
    return {
        "messages": len(late),
        "interval_s": interval,
        "p50_ms": round(percentile(late, 50), 1),
        "p95_ms": round(percentile(late, 95), 1),
        "max_ms": round(max(late), 1),
    }


class _Gateway(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keeps the connection, as a real gateway would
    disable_nagle_algorithm = True  # the body does not wait for the headers' ACK

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *_args: Any) -> None:
        pass


@contextmanager
def gateway() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/send"
    finally:
        server.shutdown()
        server.server_close()


def _fill(store_url: str, deliveries: int) -> Store:
    """An outbox holding ``deliveries`` due text messages to the demo's volunteers."""
    loop = open_loop()
    demo.enrol(loop.incidents)
    store = Store.from_url(store_url)
    projector = Projector(store, loop.app.recorder, loop.app.mapper, default_projections((SMS,)))
    projector.catch_up()
    people = [demo.RIDER, demo.COURIER, demo.METER, demo.TAXI, demo.SWEEPER]
    now = datetime.now(UTC).replace(tzinfo=None)
    with store.write() as conn:
        tables = projector.live_tables(conn, "notifications")
        tell(
            conn,
            tables,
            [
                Message(
                    f"bench:{i}",
                    "report_accepted",
                    f"incident-{i}",
                    demo.XINGFU,
                    Address(person=people[i % len(people)].id),
                    now,
                    {"incident_id": f"incident-{i}", "module": "anti_fraud", "tier": "community"},
                    "urgent",
                    (SMS,),
                )
                for i in range(deliveries)
            ],
            {SMS},
        )
    loop.close()
    return store


def dispatch_rate(store_url: str, deliveries: int = 2000, workers: int = 1) -> dict[str, Any]:
    """Deliveries settled per second by ``workers`` dispatchers side by side."""
    store = _fill(store_url, deliveries)
    with gateway() as url:
        adapter = SmsGatewayAdapter(url, lambda _person: "13904340001")
        send = [
            Dispatcher(store, {SMS: adapter}, words, worker=f"bench-{n}", batch_size=20)
            for n in range(workers)
        ]

        def drain(dispatcher: Dispatcher) -> None:
            while dispatcher.run_once():
                pass

        threads = [threading.Thread(target=drain, args=(d,)) for d in send]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        adapter.close()
    with store.read() as conn:
        sent = conn.execute(
            select(outbox.deliveries.c.delivery_id).where(outbox.deliveries.c.status == "sent")
        ).all()
    store.dispose()
    assert len(sent) == deliveries, f"{len(sent)} of {deliveries} sent"
    return {"deliveries": deliveries, "workers": workers, "rate": round(deliveries / elapsed)}


@measurement(
    "alerts and their delivery",
    "product",
    RowSpec(
        "notify.latency.p95",
        "alert latency after a due time, p95 (clock each second)",
        "ms",
        None,
        Target("<=", 1500.0, on="value"),
    ),
    RowSpec("notify.dispatch", "dispatcher throughput, one on SQLite (loopback gateway)", "/s"),
)
def alerts(ctx: Context) -> dict[str, Figure]:
    """The clock's latency past due times and one dispatcher's throughput."""
    quick = ctx.counts.commands < 1_000
    latency = alert_latency(ctx.workdir, incidents=3 if quick else 30)
    rate = dispatch_rate(f"sqlite:///{ctx.fresh('dispatch.db')}", ctx.counts.commands)
    return {
        "notify.latency.p95": Figure(latency.pop("p95_ms"), latency),
        "notify.dispatch": Figure(rate.pop("rate"), rate),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.notifications")
    parser.add_argument("--incidents", type=int, default=30)
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--postgres", help="a PostgreSQL database URL to measure on too")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print("alert latency:", alert_latency(Path(tmp), args.incidents))
        print("dispatch, SQLite:", dispatch_rate(f"sqlite:///{tmp}/d.db", args.deliveries))
    if args.postgres:
        for workers in (1, 3):
            print(
                f"dispatch, PostgreSQL x{workers}:",
                postgres_rate(args.postgres, args.deliveries, workers),
            )


def postgres_rate(server_url: str, deliveries: int, workers: int) -> dict[str, Any]:
    """:func:`dispatch_rate` in a fresh database on the PostgreSQL server."""
    from benchmarks.postgres import create_database, drop_database

    url = create_database(server_url, "lishu_bench")
    try:
        return dispatch_rate(url, deliveries, workers)
    finally:
        drop_database(server_url, url)


if __name__ == "__main__":
    main()
