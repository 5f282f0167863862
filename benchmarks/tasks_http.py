"""A duty-task sign-up over HTTP beside the loop command over HTTP, on one server
and with one load generator, in one run.

A sign-up's body names the volunteer (a community officer signs his community's
volunteers up, ``POST /api/tasks/{id}/sign-ups`` with ``volunteer_id``), and every
request must be another (volunteer, task) pair, so neither wrk nor the shared
generators (one body for every request) can drive it: a closed-loop asyncio
client here sends both the sign-ups and, first, the chases they are compared
with, ``connections`` at a time for ``http_seconds`` each (after a warm-up of
each). The server is the benchmark servers' uvicorn on a store prepared by
``loop_http.prepare`` plus the demo's extra volunteers and enough tasks.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from api.seed import enrol_extra
from benchmarks import loop_http
from benchmarks.harness import Context, Figure, RowSpec, Target, measurement
from benchmarks.load import percentile
from benchmarks.servers import serve
from benchmarks.tasks import publish_patrols
from loop.bootstrap import build_loop
from loop.settings import Settings

SERVICE = "api.app:create_app"
"""Tasks start this far apart: one volunteer's bookings never overlap (six a day)."""
MAX_RATE = 1_500
"""Sign-ups per second prepared for at most (a faster server would run out of pairs
and stop early: the rate stays right, the run shorter)."""

Job = Callable[[int], tuple[str, str]]
"""The n-th request's path and JSON body."""


def prepare_tasks(path: Path, sign_ups: int) -> tuple[list[str], list[str]]:
    """The demo's extra volunteers of the officer's community enrolled, and tasks
    at the station enough for ``sign_ups`` sign-ups of theirs: (volunteers, tasks)."""
    loop = build_loop(Settings(database_url=loop_http.database_url(path)))
    try:
        people = [p.id for p in enrol_extra(loop.incidents) if p.unit == loop_http.OFFICER.unit]
        tasks = publish_patrols(loop, math.ceil(sign_ups / len(people)), needed=len(people))
    finally:
        loop.close()
    return people, tasks


@dataclass
class ClosedLoop:
    """``connections`` keep-alive connections, each sending the next job as soon as
    its last answer came, for ``seconds`` or until the jobs run out."""

    url: str
    token: str
    job: Job
    jobs: int
    connections: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0
    next: int = 0

    def run(self) -> ClosedLoop:
        asyncio.run(self._run())
        return self

    def _raw(self, n: int) -> bytes:
        path, body = self.job(n)
        data = body.encode()
        head = [
            f"POST {path} HTTP/1.1",
            f"Host: {urlsplit(self.url).netloc}",
            "Content-Type: application/json",
            f"Authorization: Bearer {self.token}",
            f"Content-Length: {len(data)}",
        ]
        return ("\r\n".join(head) + "\r\n\r\n").encode() + data

    async def _run(self) -> None:
        split = urlsplit(self.url)
        end = time.perf_counter() + self.seconds

        async def connection() -> None:
            reader, writer = await asyncio.open_connection(split.hostname, split.port)
            try:
                while time.perf_counter() < end and self.next < self.jobs:
                    n, self.next = self.next, self.next + 1
                    sent = time.perf_counter()
                    writer.write(self._raw(n))
                    status, _ = await loop_http.read_answer(reader)
                    self.latencies.append((time.perf_counter() - sent) * 1000)
                    key = f"{status // 100}xx"
                    self.statuses[key] = self.statuses.get(key, 0) + 1
            finally:
                writer.close()

        began = time.perf_counter()
        await asyncio.gather(*(connection() for _ in range(self.connections)))
        self.elapsed = time.perf_counter() - began

    def figures(self) -> tuple[Figure, Figure]:
        done = self.statuses.get("2xx", 0)
        assert done == len(self.latencies), f"refused or failed: {self.statuses}"
        detail = {
            "requests": len(self.latencies),
            "seconds": round(self.elapsed, 3),
            "statuses": self.statuses,
            "p50_ms": round(percentile(self.latencies, 50), 3),
            "connections": self.connections,
            "generator": "python asyncio, closed loop",
        }
        return Figure(done / self.elapsed, detail), Figure(percentile(self.latencies, 99), detail)


def _from(job: Job, first: int) -> Job:
    return lambda n: job(n + first)


@measurement(
    "task sign-up over HTTP",
    "product",
    RowSpec("task.http.loop", "loop command over HTTP, Python client", "req/s", "loop.http"),
    RowSpec("task.http.loop.p99", "loop command over HTTP p99, Python client", "ms"),
    RowSpec(
        "task.signup.http",
        "task sign-up over HTTP (task + roster), Python client",
        "req/s",
        "task.http.loop",
        Target(">=", 0.4),  # as in process: three loads and two aggregates against one and one
    ),
    RowSpec(
        "task.signup.http.p99",
        "task sign-up over HTTP p99, Python client",
        "ms",
        "task.http.loop.p99",
    ),
)
def task_sign_up_http(ctx: Context) -> dict[str, Figure]:
    """Chases, then sign-ups, on one server and one generator; the sign-up's rate
    over the chase's is the target. Every request must be answered 2xx."""
    c = ctx.counts
    db = ctx.fresh("tasks-http.db")
    loop_http.prepare(db, c.http_targets)
    runs = (c.warmup_seconds, c.http_seconds)
    # pairs for four times the loop's rate over HTTP in this run (a sign-up is slower)
    top = ctx.figures.get("loop.http")
    expected = min(MAX_RATE, 4 * top.value) if top else MAX_RATE
    people, tasks = prepare_tasks(db, max(100, math.ceil(expected * sum(runs))))
    chase = json.dumps(loop_http.CHASE, ensure_ascii=False)

    def chase_job(n: int) -> tuple[str, str]:
        return f"/api/incidents/{loop_http.incident_id(n % c.http_targets)}/chase", chase

    def sign_up_job(n: int) -> tuple[str, str]:
        task = tasks[n // len(people)]
        return f"/api/tasks/{task}/sign-ups", json.dumps({"volunteer_id": people[n % len(people)]})

    with serve(SERVICE, loop_http.server_env(db), ctx.workdir) as url:
        token = loop_http.login(url)
        measured: dict[str, ClosedLoop] = {}
        for name, job, jobs in (
            ("loop", chase_job, 10**9),
            ("signup", sign_up_job, len(tasks) * len(people)),
        ):
            first = 0
            for seconds in (s for s in runs if s):  # the warm-up's jobs are not sent again
                ran = ClosedLoop(
                    url, token, _from(job, first), jobs - first, c.connections, seconds
                )
                first += ran.run().next
                measured[name] = ran
    loop_rate, loop_p99 = measured["loop"].figures()
    rate, p99 = measured["signup"].figures()
    extra: dict[str, Any] = {"volunteers": len(people), "tasks": len(tasks)}
    rate.detail.update(extra)
    return {
        "task.http.loop": loop_rate,
        "task.http.loop.p99": loop_p99,
        "task.signup.http": rate,
        "task.signup.http.p99": p99,
    }
