"""The loop over HTTP on PostgreSQL, laid out as docs/deployment.md runs it: two
API processes (uvicorn ``--workers 2``, ``LISHU_RUN_PROJECTIONS=false``) and a
projection worker beside them (``lishu project``), measured in one run beside the
naive FastAPI + eventsourcing stack on the same PostgreSQL server and the no-op
ceiling, each also with two server processes.

The server is the one ``LISHU_TEST_POSTGRES_URL`` names (``scripts/postgres-up``
prints it); without it the rows say they were not measured. Each stack gets a
scratch database of its own, dropped afterwards. The loop's answers are checked
against the stored events as on SQLite (``loop_http.check``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.application import Application

from benchmarks import apps, baselines, loop_http, recorders
from benchmarks.harness import Context, Figure, NotMeasured, RowSpec, Target, measurement
from benchmarks.load import LoadResult, Request
from benchmarks.postgres import scratch_database
from benchmarks.servers import ROOT, serve, stop
from loop.storage.chain_readers import POSTGRES_EVENTS_TABLE
from loop.storage.persistence import postgres_conninfo

SERVER_URL_VARIABLE = "LISHU_TEST_POSTGRES_URL"
PROCESSES = 2
SERVICE = "api.app:create_app"
NAIVE = "benchmarks.apps:create_naive_app_from_environment"


def server_url() -> str:
    url = os.environ.get(SERVER_URL_VARIABLE)
    if not url:
        raise NotMeasured(f"no PostgreSQL server: set {SERVER_URL_VARIABLE} (scripts/postgres-up)")
    return url


def naive_env(url: str) -> dict[str, str]:
    """The library's own PostgreSQL recorder on ``url``, as the naive stack uses it."""
    return recorders.POSTGRES_RECORDERS["eventsourcing.postgres"](url)


def seed_naive(env: dict[str, str], count: int) -> None:
    app: Application[UUID] = Application(env)
    try:
        for start in range(0, count, 500):
            app.save(*(apps.Tally(n) for n in range(start, min(count, start + 500))))
    finally:
        app.close()


def stored_chases(url: str) -> dict[int, str]:
    """Every chase event in the PostgreSQL store: notification id -> incident."""
    with psycopg.connect(postgres_conninfo(url)) as db:
        rows = db.execute(
            f"SELECT notification_id, originator_id FROM {POSTGRES_EVENTS_TABLE} "
            "WHERE topic LIKE %s",
            (f"%:{loop_http.CHASED}",),
        ).fetchall()
    return {int(position): str(originator) for position, originator in rows}


@contextmanager
def projection_worker(env: dict[str, str], workdir: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``lishu project`` on the settings in ``env``, stopped afterwards."""
    pythonpath = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    with (workdir / "pg-projection-worker.log").open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "project", "--poll", "0.5"],
            cwd=ROOT,
            env={**os.environ, **env, "PYTHONPATH": pythonpath},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield proc
    finally:
        stop(proc)


def loaded(ctx: Context, url: str, request: Request) -> list[LoadResult]:
    c = ctx.counts
    runs = []
    if c.warmup_seconds:
        runs.append(ctx.load.run(url, request, c.connections, c.warmup_seconds))
    runs.append(ctx.load.run(url, request, c.connections, c.http_seconds))
    return runs


@measurement(
    "loop command over HTTP on PostgreSQL",
    "product",
    RowSpec("pg.http.noop", "no-op FastAPI POST, 2 server processes (ceiling)", "req/s"),
    RowSpec("pg.http.naive", "naive FastAPI+eventsourcing on PostgreSQL, 2 processes", "req/s"),
    RowSpec("pg.http.naive.p99", "naive FastAPI+eventsourcing on PostgreSQL p99", "ms"),
    RowSpec(
        "pg.http",
        "loop command over HTTP on PostgreSQL, 2 API processes + projection worker",
        "req/s",
        "pg.http.naive",
        Target(">=", 2.0),
    ),
    RowSpec(
        "pg.http.ceiling",
        "loop command over HTTP on PostgreSQL, share of 2-process ceiling",
        "req/s",
        "pg.http.noop",
        Target(">=", 0.4),
    ),
    RowSpec(
        "pg.http.p99",
        "loop command over HTTP on PostgreSQL p99",
        "ms",
        "pg.http.naive.p99",
        Target("<=", 25.0, on="value"),
    ),
)
def loop_command_http_postgres(ctx: Context) -> dict[str, Figure]:
    """The no-op ceiling, the naive stack and the service, each with two server
    processes, loaded alike at ``ctx.counts.connections`` connections; the service
    by a demo officer's chases round-robin over incidents prepared at the station,
    and every 2xx answer's event then found in the store once."""
    server = server_url()
    c = ctx.counts
    noop = baselines.command_request("/noop/{n}", c.http_targets)
    with serve("benchmarks.apps:create_noop_app", {}, ctx.workdir, workers=PROCESSES) as url:
        noop_rate, _ = baselines.http_figures(ctx, loaded(ctx, url, noop)[-1])

    with scratch_database(server) as db:
        env = naive_env(db)
        seed_naive(env, c.http_targets)
        naive = baselines.command_request("/tallies/{n}", c.http_targets)
        with serve(NAIVE, env, ctx.workdir, workers=PROCESSES) as url:
            naive_rate, naive_p99 = baselines.http_figures(ctx, loaded(ctx, url, naive)[-1])

    from api.config import ApiSettings

    keys = str(ctx.fresh("pg-secrets.json"))
    with scratch_database(server) as db, ThreadPoolExecutor(1) as background:
        env = {
            "LISHU_DATABASE_URL": db,
            "LISHU_KEYS_FILE": keys,
            "LISHU_RUN_PROJECTIONS": "false",
        }
        # the store is prepared while the processes start (neither is measured)
        settings = ApiSettings(database_url=db, keys_file=keys)
        prepared = background.submit(loop_http.prepare_store, settings, c.http_targets)
        stack = serve(SERVICE, env, ctx.workdir, workers=PROCESSES)
        with projection_worker(env, ctx.workdir), stack as url:
            prepared.result()
            request = loop_http.chase_request(loop_http.login(url), c.http_targets)
            runs = loaded(ctx, url, request)
        checked = loop_http.verify_runs(lambda: stored_chases(db), runs, c.connections)
    rate, p99 = baselines.http_figures(ctx, runs[-1])
    detail: dict[str, Any] = {
        "incidents": c.http_targets,
        "server_processes": PROCESSES,
        "verified": checked,
    }
    for figure in (rate, p99):
        figure.detail.update(detail)
    return {
        "pg.http.noop": noop_rate,
        "pg.http.naive": naive_rate,
        "pg.http": rate,
        "pg.http.ceiling": rate,
        "pg.http.p99": p99,
        "pg.http.naive.p99": naive_p99,
    }
