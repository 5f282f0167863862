"""What Lishu Loop itself does, measured beside the baselines of the same run.

Each function is a plug-in point: it declares its rows, the baseline row each is
compared against and the target. Where the product piece does not exist yet the
function raises :class:`NotMeasured` and its rows say so; filling one in means
replacing that ``raise`` with the measurement (helpers: ``baselines.http_run``
for HTTP load, ``Context.log`` for a large log, ``rss.peak_rss_mb`` for memory).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from uuid import UUID

from benchmarks import baselines, loop_http, rss, verification
from benchmarks.harness import Context, Figure, NotMeasured, RowSpec, Target, measurement
from benchmarks.load import percentile
from benchmarks.servers import serve
from loop import demo
from loop.bootstrap import build_loop
from loop.services.incidents import IncidentFlow
from loop.settings import Settings
from projections import Projections
from projections import build as build_projections
from projections.queries import Queries
from tests.builders import reported, rewarded, scored

INCIDENT_EVENTS = 50


@measurement(
    "loop command over HTTP",
    "product",
    RowSpec(
        "loop.http",
        "loop command over HTTP (authenticated)",
        "req/s",
        "http.naive",
        Target(">=", 2.0),
    ),
    RowSpec(
        "loop.http.ceiling",
        "loop command over HTTP, share of ceiling",
        "req/s",
        "http.noop",
        Target(">=", 0.4),
    ),
    RowSpec(
        "loop.http.p99",
        "loop command over HTTP p99",
        "ms",
        "http.noop.p99",
        Target("<=", 25.0, on="value"),
    ),
)
def loop_command_http(ctx: Context) -> dict[str, Figure]:
    """An authenticated, validated loop command acknowledged after a crash-safe
    commit, at ``ctx.counts.connections`` connections, under the same server
    settings as the baselines: the service (``api.app:create_app``) on a fresh
    SQLite file, a demo officer's bearer token, ``POST /api/incidents/{id}/chase``
    round-robin over incidents prepared at the station. Afterwards every 2xx
    answer's event must be in the store once, and no answer a 5xx."""
    c = ctx.counts
    db = ctx.fresh("loop-http.db")
    store = loop_http.prepare(db, c.http_targets)
    runs = baselines.http_runs(
        ctx,
        SERVICE,
        loop_http.server_env(db),
        lambda url: loop_http.chase_request(loop_http.login(url), c.http_targets),
    )
    checked = loop_http.verify_runs(db, runs, c.connections)
    rate, p99 = baselines.http_figures(ctx, runs[-1])
    for figure in (rate, p99):
        figure.detail.update(incidents=c.http_targets, **store, verified=checked)
    return {"loop.http": rate, "loop.http.ceiling": rate, "loop.http.p99": p99}


SERVICE = "api.app:create_app"


@measurement(
    "loop command in process",
    "product",
    RowSpec("loop.inprocess", "loop command in process (chained store)", "cmd/s", "es.command"),
)
def loop_command_in_process(ctx: Context) -> dict[str, Figure]:
    """``IncidentFlow.chase`` round-robin over open incidents on an SQLite file: the
    product's load, check, record and crash-safe commit, without HTTP. Compared
    with the bare library doing the same in process."""
    c = ctx.counts
    flow = build_loop(Settings(database_url=f"sqlite:///{ctx.fresh('commands.db')}")).incidents
    try:
        incidents = [incident_at_station(flow) for _ in range(max(1, c.commands // 10))]
        started = time.perf_counter()
        for n in range(c.commands):
            flow.take(
                "chase",
                demo.OFFICER_XF,
                incidents[n % len(incidents)],
                asked=demo.STATION,
                answer="正在协调",
            )
        rate = c.commands / (time.perf_counter() - started)
    finally:
        flow.app.close()
    return {"loop.inprocess": Figure(rate, {"commands": c.commands, "incidents": len(incidents)})}


@measurement(
    "projection rebuild",
    "product",
    RowSpec(
        "projection.rebuild",
        "projection rebuild",
        "events/s",
        "catchup.rate",
        Target(">=", 0.5),
    ),
)
def projection_rebuild(ctx: Context) -> dict[str, Figure]:
    """Rebuild each read model from ``ctx.log(ctx.counts.log_events)`` (each reads and
    decodes the whole log once, as the baseline does); the figure is the slowest."""
    rates = {}
    with _read_side(ctx, ctx.log(ctx.counts.log_events), "rebuild") as views:
        for name in sorted(views.projector.projections):
            started = time.perf_counter()
            applied = views.projector.rebuild(name)
            rates[name] = applied / (time.perf_counter() - started)
    slowest = min(rates, key=rates.__getitem__)
    return {
        "projection.rebuild": Figure(
            rates[slowest], {"slowest": slowest, **{k: round(v) for k, v in rates.items()}}
        )
    }


@measurement(
    "projection lag",
    "product",
    RowSpec(
        "projection.lag.p99",
        "projection lag p99 at half max command load (SQLite)",
        "ms",
        None,
        Target("<=", 100.0, on="value"),
    ),
)
def projection_lag(ctx: Context) -> dict[str, Figure]:
    """Drive chase commands open-loop at half of ``ctx.figures["loop.http"]`` (a fixed
    rate, whatever the answers) and time each event from its acknowledgement (after
    its commit) to the moment the read models' tracking position, committed with
    their rows, reaches it: the service's read-your-writes wait, on SQLite."""
    top = ctx.figures.get("loop.http")
    if top is None:
        raise NotMeasured("needs the loop command over HTTP figure of the same run")
    c = ctx.counts
    db = ctx.fresh("lag.db")
    loop_http.prepare(db, c.http_targets)
    with serve(SERVICE, loop_http.server_env(db), ctx.workdir) as url:
        request = loop_http.chase_request(loop_http.login(url), c.http_targets)
        lag = loop_http.measure_lag(
            db,
            url,
            request,
            rate=top.value / 2,
            seconds=c.http_seconds,
            warmup_seconds=c.warmup_seconds,
            connections=c.connections,
        )
    return {"projection.lag.p99": Figure(lag.pop("p99_ms"), lag)}


@measurement(
    "backlog and score queries",
    "product",
    RowSpec("query.backlog.small", "backlog query p99, {small_log_events} events", "ms"),
    RowSpec(
        "query.backlog.large",
        "backlog query p99, {log_events} events",
        "ms",
        "query.backlog.small",
        Target("<=", 1.5),
    ),
    RowSpec("query.score.small", "score query p99, {small_log_events} events", "ms"),
    RowSpec(
        "query.score.large",
        "score query p99, {log_events} events",
        "ms",
        "query.score.small",
        Target("<=", 1.5),
    ),
)
def queries(ctx: Context) -> dict[str, Figure]:
    """Project ``ctx.log(ctx.counts.small_log_events)`` and ``ctx.log(ctx.counts.log_events)``
    and time the station backlog (first page) and volunteer score queries on each."""
    figures: dict[str, Figure] = {}
    for size, events in (("small", ctx.counts.small_log_events), ("large", ctx.counts.log_events)):
        with _read_side(ctx, ctx.log(events), f"queries-{size}") as views:
            views.projector.catch_up()
            reads: dict[str, Callable[[Queries], object]] = {
                "backlog": lambda q: q.backlog(demo.STATION),
                "score": lambda q: q.volunteer_score(demo.RIDER.id, stars=((120, 1), (150, 2))),
            }
            for name, read in reads.items():
                assert read(views.queries), f"{name} query found nothing to read"
                times = []
                for _ in range(QUERY_ROUNDS):
                    started = time.perf_counter()
                    read(views.queries)
                    times.append((time.perf_counter() - started) * 1000)
                figures[f"query.{name}.{size}"] = Figure(
                    percentile(times, 99),
                    {
                        "events": events,
                        "reads": len(times),
                        "p50_ms": round(percentile(times, 50), 3),
                    },
                )
    return figures


@measurement(
    "rebuild memory",
    "product",
    RowSpec(
        "projection.rebuild.rss",
        "projection rebuild, peak RSS",
        "MB",
        "catchup.rss",
        Target("<=", 300.0, on="value"),
    ),
)
def rebuild_memory(ctx: Context) -> dict[str, Figure]:
    """Peak resident memory of ``lishu rebuild`` (every read model) in its own process,
    on the large log."""
    log = ctx.log(ctx.counts.log_events)
    views = ctx.fresh("rss-views.db")
    env = {"LISHU_READ_MODEL_URL": f"sqlite:///{views}"}
    with _environment(env):
        peak = rss.peak_rss_mb("-m", "api.cli", "rebuild", "--database-url", f"sqlite:///{log}")
    return {"projection.rebuild.rss": Figure(peak, {"events": ctx.counts.log_events})}


QUERY_ROUNDS = 1_000
"""Reads timed per query and log size: a p99 of 200 was the second slowest read,
so one pause of the shared machine decided it; of 1,000 it is the tenth."""


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def _read_side(ctx: Context, log: Path, name: str) -> Iterator[Projections]:
    """The read models of the events at ``log``, in a fresh database of their own."""
    settings = Settings(
        database_url=f"sqlite:///{log}", read_model_url=f"sqlite:///{ctx.fresh(name + '.db')}"
    )
    flow = build_loop(settings).incidents
    views = build_projections(settings, flow.app, batch_size=2_000)
    try:
        views.projector.setup()
        yield views
    finally:
        views.close()
        flow.app.close()


def incident_at_station(flow: IncidentFlow) -> UUID:
    """An app report escalated to the station and accepted there: open to chasing."""
    i = reported(flow, demo.RIDER)
    flow.take("escalate", demo.OFFICER_XF, i, reason="需要派出所协调")
    flow.take("accept", demo.STATION_OFFICER, i)
    return i


def fifty_event_incident(flow: IncidentFlow) -> UUID:
    """One incident with ``INCIDENT_EVENTS`` events: reported, escalated to the
    station and accepted, chased until the outcome, scored, rewarded, closed."""
    i = incident_at_station(flow)
    closing = 6  # outcome, proposal, two signatures, reward, close
    while flow.get(i).version < INCIDENT_EVENTS - closing:
        flow.take("chase", demo.OFFICER_XF, i, asked=demo.STATION, answer="正在协调")
    flow.take("record_outcome", demo.STATION_OFFICER, i, summary="已补装井盖")
    scored(flow, i, 5)
    rewarded(flow, i)
    flow.take("close", demo.OFFICER_XF, i)
    return i


@measurement(
    "state at a version",
    "product",
    RowSpec(
        "audit.state_at",
        "state of a 50-event incident at any version, p99",
        "ms",
        None,
        Target("<=", 5.0, on="value"),
    ),
)
def state_at_version(ctx: Context) -> dict[str, Figure]:
    """``IncidentFlow.get(id, version=n)`` for every n, from an SQLite file."""
    flow = build_loop(Settings(database_url=f"sqlite:///{ctx.fresh('state.db')}")).incidents
    try:
        demo.enrol(flow)  # the reward step credits the reporter's Happiness Bank account
        incident = fifty_event_incident(flow)
        assert flow.get(incident).version == INCIDENT_EVENTS
        times = []
        for _ in range(ctx.counts.state_rounds):
            for version in range(1, INCIDENT_EVENTS + 1):
                started = time.perf_counter()
                state = flow.get(incident, version=version)
                times.append((time.perf_counter() - started) * 1000)
                assert state.version == version
    finally:
        flow.app.close()
    detail = {
        "reads": len(times),
        "p50_ms": round(percentile(times, 50), 3),
        "max_ms": round(max(times), 3),
    }
    return {"audit.state_at": Figure(percentile(times, 99), detail)}


@measurement(
    "hash-chain verification",
    "product",
    RowSpec(
        "audit.verify",
        "hash-chain verification",
        "events/s",
        "catchup.rate",
        Target(">=", 100_000.0, on="value"),
    ),
)
def chain_verification(ctx: Context) -> dict[str, Figure]:
    """``loop.storage.verification.verify`` over the large log, both passes."""
    events, rate = verification.verify_log(f"sqlite:///{ctx.log(ctx.counts.log_events)}")
    return {"audit.verify": Figure(rate, {"events": events})}
