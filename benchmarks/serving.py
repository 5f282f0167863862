"""The loop over HTTP as ``lishu serve`` runs it on SQLite: the read-model projector
(and the notices' clock and dispatcher) in a process of its own beside the API
(``--projector process``), measured beside the same service with them in the
serving process (``--projector inline``, the ``loop.http`` rows) in one run.

The server is the benchmark servers' uvicorn (one worker, uvloop, httptools, no
access log) with ``LISHU_RUN_PROJECTIONS`` and ``LISHU_RUN_NOTIFICATIONS`` off,
and beside it the child ``lishu serve`` starts (``lishu work``, under the same
:class:`api.workers.Supervisor`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from api.workers import Supervisor, worker_command
from benchmarks import baselines, loop_http
from benchmarks.harness import Context, Figure, RowSpec, Target, measurement
from benchmarks.servers import ROOT, serve

SERVICE = "api.app:create_app"
IN_PROCESS_OFF = {"LISHU_RUN_PROJECTIONS": "false", "LISHU_RUN_NOTIFICATIONS": "false"}


def settled_chases(db: Path, timeout: float = 10.0) -> frozenset[int]:
    """The chases stored once the load generator's abandoned requests (in flight
    when it stopped) are done: the same set read twice, a quarter second apart."""
    deadline = time.monotonic() + timeout
    seen = frozenset(loop_http.stored_chases(db))
    while time.monotonic() < deadline:
        time.sleep(0.25)
        again = frozenset(loop_http.stored_chases(db))
        if again == seen:
            return seen
        seen = again
    raise AssertionError("chases still being stored after the load stopped")


@contextmanager
def projector_process(env: dict[str, str]) -> Iterator[Supervisor]:
    """The child ``lishu serve`` starts, on the settings in ``env``, watched by this
    process (it stops if this process goes)."""
    pythonpath = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    supervisor = Supervisor(
        worker_command(os.getpid(), projections=True, notifications=True),
        echo=False,
        env={**os.environ, **env, "PYTHONPATH": pythonpath},
    )
    supervisor.start()
    try:
        yield supervisor
    finally:
        supervisor.stop()


@contextmanager
def served_with_projector_process(ctx: Context, env: dict[str, str]) -> Iterator[str]:
    """The service on ``env`` with its projector in a process of its own; its URL."""
    with projector_process(env), serve(SERVICE, {**env, **IN_PROCESS_OFF}, ctx.workdir) as url:
        yield url


@measurement(
    "loop command over HTTP, projector in its own process",
    "product",
    RowSpec(
        "loop.http.process",
        "loop command over HTTP, projector in its own process",
        "req/s",
        "loop.http",
    ),
    RowSpec(
        "loop.http.process.naive",
        "loop command over HTTP, projector in its own process, vs naive",
        "req/s",
        "http.naive",
        Target(">=", 2.0),
    ),
    RowSpec(
        "loop.http.process.p99",
        "loop command over HTTP p99, projector in its own process",
        "ms",
        "loop.http.p99",
        Target("<=", 25.0, on="value"),
    ),
    RowSpec(
        "projection.lag.process.p99",
        "projection lag p99 at half max command load, projector in its own process",
        "ms",
        "projection.lag.p99",
        Target("<=", 100.0, on="value"),
    ),
)
def loop_command_http_process(ctx: Context) -> dict[str, Figure]:
    """As ``loop command over HTTP`` (same prepared store, request and checks), with
    the projector in a process of its own: compared with the projector inline (the
    ``loop.http`` rows of the same run) and with the naive stack. Then, on the same
    server, as ``projection lag``: open-loop chases at half the rate just reached,
    each event timed from its acknowledgement to the read models' position."""
    c = ctx.counts
    db = ctx.fresh("loop-http-process.db")
    store = loop_http.prepare(db, c.http_targets)
    env = loop_http.server_env(db)
    runs = []
    with served_with_projector_process(ctx, env) as url:
        request = loop_http.chase_request(loop_http.login(url), c.http_targets)
        if c.warmup_seconds:
            runs.append(ctx.load.run(url, request, c.connections, c.warmup_seconds))
        runs.append(ctx.load.run(url, request, c.connections, c.http_seconds))
        checked = loop_http.verify_runs(db, runs, c.connections)
        earlier = settled_chases(db)
        lag: dict[str, Any] = loop_http.measure_lag(
            db,
            url,
            request,
            rate=runs[-1].rate / 2,
            seconds=c.http_seconds,
            warmup_seconds=c.warmup_seconds,
            connections=c.connections,
            earlier=earlier,
        )
    rate, p99 = baselines.http_figures(ctx, runs[-1])
    for figure in (rate, p99):
        figure.detail.update(incidents=c.http_targets, **store, verified=checked)
    return {
        "projection.lag.process.p99": Figure(lag.pop("p99_ms"), lag),
        "loop.http.process": rate,
        "loop.http.process.naive": rate,
        "loop.http.process.p99": p99,
    }
