"""Log-in under a flood of bad passwords: the server's peak memory and the p99 of
other users' requests, beside the same with no flood, in one run.

The service (``uvicorn --factory api.app:create_app``, the benchmark servers'
settings) serves a prepared database (``loop_http.prepare``). Other users are
``OTHERS`` clients, each sending an authenticated read (``GET /api/me`` and
``GET /api/incidents``, alternately) every ``PAUSE`` seconds; the flood is
``FLOODERS`` clients each posting a wrong password for a name no account has, as
fast as answers come. The per-address limit is lifted for the run, so every
attempt reaches the password hash: the worst case, many addresses at once (one
address is refused after ``LISHU_LOGIN_ADDRESS_LIMIT`` failures and costs
nothing more). Peak memory is the kernel's high-water mark of the server
process (``VmHWM``), reset before each phase (``clear_refs``).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from benchmarks import loop_http
from benchmarks.harness import Context, Figure, RowSpec, Target, measurement
from benchmarks.load import percentile
from benchmarks.servers import serve_process

FLOODERS = 40
OTHERS = 4
PAUSE = 0.02
READS = ("/api/me", "/api/incidents?limit=20")
RSS_BOUND_MB = 300.0
"""The stated bound on the server's peak memory under the flood (MiB)."""
P99_BOUND = 5.0
"""Other users' p99 under the flood, at most this many times their p99 without it."""


def _reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/PID/status")


async def _phase(url: str, token: str, seconds: float, flood: bool) -> dict[str, Any]:
    """Other users' reads for ``seconds``, with or without the flood."""
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    attempts: dict[str, int] = {}
    end = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=FLOODERS + OTHERS + 4)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:

        async def other(n: int) -> None:
            headers = {"Authorization": f"Bearer {token}"}
            while time.monotonic() < end:
                started = time.perf_counter()
                answer = await client.get(READS[n % len(READS)], headers=headers)
                latencies.append((time.perf_counter() - started) * 1000)
                key = f"{answer.status_code // 100}xx"
                statuses[key] = statuses.get(key, 0) + 1
                n += 1
                await asyncio.sleep(PAUSE)

        async def flooder() -> None:
            while time.monotonic() < end:
                wrong = {"username": f"x-{uuid.uuid4().hex[:12]}", "password": "wrong guess 1"}
                answer = await client.post("/api/auth/login", json=wrong)
                attempts[str(answer.status_code)] = attempts.get(str(answer.status_code), 0) + 1

        tasks = [other(n) for n in range(OTHERS)]
        if flood:
            tasks += [flooder() for _ in range(FLOODERS)]
        await asyncio.gather(*tasks)
    return {
        "p99_ms": percentile(latencies, 99),
        "p50_ms": percentile(latencies, 50),
        "requests": len(latencies),
        "statuses": statuses,
        "attempts": attempts,
    }


def measure(path: Path, seconds: float) -> dict[str, Any]:
    """Both phases against one server: quiet first, then the flood."""
    loop_http.prepare(path, 20)
    env = {
        **loop_http.server_env(path),
        "LISHU_LOGIN_ADDRESS_LIMIT": "1000000/1 second",
    }
    with serve_process("api.app:create_app", env, path.parent) as (url, proc):
        token = loop_http.login(url)
        asyncio.run(_phase(url, token, min(seconds, 1.0), flood=False))  # warm up
        _reset_peak(proc.pid)
        quiet = asyncio.run(_phase(url, token, seconds, flood=False))
        quiet["peak_mb"] = _peak_mb(proc.pid)
        _reset_peak(proc.pid)
        flood = asyncio.run(_phase(url, token, seconds, flood=True))
        flood["peak_mb"] = _peak_mb(proc.pid)
        settings = httpx.get(f"{url}/healthz").status_code
    assert settings == 200
    return {"quiet": quiet, "flood": flood}


@measurement(
    "log-in under a flood",
    "product",
    RowSpec("login.quiet.p99", "other requests p99, no log-in flood", "ms"),
    RowSpec(
        "login.flood.p99",
        f"other requests p99, {FLOODERS} bad log-ins at once",
        "ms",
        "login.quiet.p99",
        Target("<=", P99_BOUND),
    ),
    RowSpec("login.quiet.rss", "server peak memory, no log-in flood", "MiB"),
    RowSpec(
        "login.flood.rss",
        f"server peak memory, {FLOODERS} bad log-ins at once",
        "MiB",
        "login.quiet.rss",
        Target("<=", RSS_BOUND_MB, on="value"),
    ),
)
def login_flood(ctx: Context) -> dict[str, Figure]:
    """Other users' latency and the server's memory with and without a flood of
    wrong passwords, every one of them hashed."""
    result = measure(ctx.fresh("login-flood.db"), ctx.counts.http_seconds)
    quiet, flood = result["quiet"], result["flood"]
    return {
        "login.quiet.p99": Figure(quiet["p99_ms"], quiet),
        "login.flood.p99": Figure(flood["p99_ms"], flood),
        "login.quiet.rss": Figure(quiet["peak_mb"], {"peak_mb": quiet["peak_mb"]}),
        "login.flood.rss": Figure(flood["peak_mb"], {"peak_mb": flood["peak_mb"]}),
    }
