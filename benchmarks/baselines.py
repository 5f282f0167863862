"""Baselines measured beside the product in the same run: the storage ceiling
(raw sqlite3), the HTTP ceiling (a no-op endpoint), the naive stack (FastAPI +
eventsourcing, one transaction per request) and the rebuild ceiling (the
library's catch-up read and decode)."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from uuid import UUID, uuid4

from eventsourcing.application import Application

from benchmarks import apps, catchup
from benchmarks.harness import Context, Figure, RowSpec, measurement
from benchmarks.load import LoadResult, Request
from benchmarks.rss import peak_rss_mb
from benchmarks.servers import serve

STATE = os.urandom(300)  # about the size of a stored incident event


def _raw_connection(ctx: Context, name: str) -> sqlite3.Connection:
    db = sqlite3.connect(ctx.fresh(name), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute(
        "CREATE TABLE events (id INTEGER PRIMARY KEY, originator_id BLOB NOT NULL, "
        "originator_version INTEGER NOT NULL, topic TEXT NOT NULL, state BLOB NOT NULL, "
        "UNIQUE (originator_id, originator_version))"
    )
    return db


INSERT = "INSERT INTO events (originator_id, originator_version, topic, state) VALUES (?,?,?,?)"


@measurement(
    "raw sqlite3 inserts",
    "baseline",
    RowSpec("sqlite.single", "raw sqlite3 insert, 1 row/transaction", "rows/s"),
    RowSpec("sqlite.batched", "raw sqlite3 insert, batched", "rows/s"),
)
def raw_sqlite(ctx: Context) -> dict[str, Figure]:
    """WAL, synchronous=FULL, a table shaped like the event store's."""
    c = ctx.counts
    db = _raw_connection(ctx, "raw-single.db")
    rows = [(uuid4().bytes, 1, "t", STATE) for _ in range(c.single_inserts)]
    started = time.perf_counter()
    for row in rows:
        db.execute("BEGIN IMMEDIATE")
        db.execute(INSERT, row)
        db.execute("COMMIT")
    single = c.single_inserts / (time.perf_counter() - started)
    db.close()

    db = _raw_connection(ctx, "raw-batched.db")
    rows = [(uuid4().bytes, 1, "t", STATE) for _ in range(c.batched_inserts)]
    started = time.perf_counter()
    for i in range(0, len(rows), c.batch):
        db.execute("BEGIN IMMEDIATE")
        db.executemany(INSERT, rows[i : i + c.batch])
        db.execute("COMMIT")
    batched = c.batched_inserts / (time.perf_counter() - started)
    db.close()
    return {
        "sqlite.single": Figure(single, {"rows": c.single_inserts}),
        "sqlite.batched": Figure(batched, {"rows": c.batched_inserts, "batch": c.batch}),
    }


@measurement(
    "eventsourcing get+mutate+save",
    "baseline",
    RowSpec("es.command", "eventsourcing get+apply+save, in process", "cmd/s"),
)
def es_command(ctx: Context) -> dict[str, Figure]:
    """The naive stack's command without HTTP: load, one event, save, sequentially."""
    c = ctx.counts
    db = str(ctx.fresh("es-command.db"))
    targets = min(c.commands, c.http_targets)
    apps.seed(db, targets)
    app: Application[UUID] = Application(apps.naive_env(db))
    body = apps.Command.model_validate_json(apps.COMMAND_BODY)
    started = time.perf_counter()
    for n in range(c.commands):
        apps.command(app, n % targets, body)
    rate = c.commands / (time.perf_counter() - started)
    settings = apps.store_settings(app)
    app.close()
    return {"es.command": Figure(rate, {"commands": c.commands, **settings})}


def http_run(
    ctx: Context, factory: str, env: dict[str, str], request: Request, ready_path: str = "/healthz"
) -> tuple[Figure, Figure]:
    """Serve ``factory``, warm it up, then load it: (req/s figure, p99 figure)."""
    return http_figures(ctx, http_runs(ctx, factory, env, request, ready_path)[-1])


def http_runs(
    ctx: Context,
    factory: str,
    env: dict[str, str],
    request: Request | Callable[[str], Request],
    ready_path: str = "/healthz",
) -> list[LoadResult]:
    """Serve ``factory`` and load it, after a warm-up run if the counts ask for one:
    every run's result, the measured one last. ``request`` may be made from the
    server's URL once it answers (to log in first, say)."""
    c = ctx.counts
    runs = []
    with serve(factory, env, ctx.workdir, ready_path) as url:
        chosen = request if isinstance(request, Request) else request(url)
        if c.warmup_seconds:
            runs.append(ctx.load.run(url, chosen, c.connections, c.warmup_seconds))
        runs.append(ctx.load.run(url, chosen, c.connections, c.http_seconds))
    return runs


def http_figures(ctx: Context, result: LoadResult) -> tuple[Figure, Figure]:
    """(req/s figure, p99 figure) of a load run."""
    detail = result.detail(ctx.counts.connections)
    if result.errors:
        detail["note"] = f"{result.errors} failed requests not counted"
    return Figure(result.rate, detail), Figure(result.p99_ms, detail)


def command_request(path: str, targets: int) -> Request:
    return Request(
        method="POST",
        path=path,
        body=apps.COMMAND_BODY,
        headers={"Content-Type": "application/json"},
        targets=targets,
    )


@measurement(
    "no-op FastAPI endpoint",
    "baseline",
    RowSpec("http.noop", "no-op FastAPI POST (HTTP ceiling)", "req/s"),
    RowSpec("http.noop.p99", "no-op FastAPI POST p99", "ms"),
)
def http_noop(ctx: Context) -> dict[str, Figure]:
    rate, p99 = http_run(
        ctx,
        "benchmarks.apps:create_noop_app",
        {},
        command_request("/noop/{n}", ctx.counts.http_targets),
    )
    return {"http.noop": rate, "http.noop.p99": p99}


@measurement(
    "naive FastAPI + eventsourcing",
    "baseline",
    RowSpec("http.naive", "naive FastAPI+eventsourcing command", "req/s"),
    RowSpec("http.naive.p99", "naive FastAPI+eventsourcing p99", "ms"),
)
def http_naive(ctx: Context) -> dict[str, Figure]:
    """Requests address the seeded aggregates round-robin, so none conflict."""
    db = str(ctx.fresh("naive.db"))
    apps.seed(db, ctx.counts.http_targets)
    rate, p99 = http_run(
        ctx,
        "benchmarks.apps:create_naive_app",
        {apps.DB_VARIABLE: db},
        command_request("/tallies/{n}", ctx.counts.http_targets),
    )
    return {"http.naive": rate, "http.naive.p99": p99}


@measurement(
    "catch-up read + decode",
    "baseline",
    RowSpec("catchup.rate", "library catch-up read+decode (rebuild ceiling)", "events/s"),
    RowSpec("catchup.rss", "library catch-up read+decode, peak RSS", "MB"),
)
def catch_up(ctx: Context) -> dict[str, Figure]:
    """select_notifications + mapper.to_domain_event over the large log; then the
    same read in a fresh process for its peak resident memory."""
    path = ctx.log(ctx.counts.log_events)
    events, rate = catchup.measure(path)
    rss = peak_rss_mb("-m", "benchmarks.catchup", str(path))
    return {
        "catchup.rate": Figure(rate, {"events": events, "page": catchup.PAGE}),
        "catchup.rss": Figure(rss, {"events": events}),
    }
