"""HTTP load generation: ``wrk`` when installed, else a Python (asyncio + httpx) one.

wrk is a small C program driving many connections from one thread, so it leaves
the server most of a small machine; the Python generator needs a good share of a
core itself and is only the fallback. Both keep ``connections`` requests in
flight for ``seconds`` and report the rate of successful responses and the
latency percentiles.
"""

from __future__ import annotations

import asyncio
import json
import math
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class Request:
    """What every request of a load run sends. ``{n}`` in ``path`` becomes a counter
    taken modulo ``targets``, so concurrent requests address different aggregates."""

    method: str = "GET"
    path: str = "/"
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    targets: int = 1
    width: int = 0  # zero-pad the counter to this many digits (ids ending in it)
    capture: str | None = None
    """A JSON field whose integer value every 2xx answer carries (e.g. a command's
    ``position``): collected, with a count of answers per status class, so a run
    can be checked against what the server stored."""

    def path_for(self, n: int) -> str:
        return self.path.replace("{n}", str(n % self.targets).zfill(self.width))


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    generator: str
    statuses: dict[str, int] = field(default_factory=dict)  # "2xx": count, when captured
    captured: list[int] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Successful responses per second."""
        return (self.requests - self.errors) / self.seconds

    def detail(self, connections: int) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "errors": self.errors,
            "p50_ms": round(self.p50_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
            "connections": connections,
            "generator": self.generator,
        }


class LoadGenerator(Protocol):
    name: str

    def run(
        self, base_url: str, request: Request, connections: int, seconds: int
    ) -> LoadResult: ...


WRK_SCRIPT = """\
wrk.method = {method}
{body}
{headers}
local prefix, suffix, targets, width = {prefix}, {suffix}, {targets}, {width}
local n = 0
request = function()
  local path = prefix
  if targets > 0 then
    path = prefix .. string.format("%0" .. width .. "d", n % targets) .. suffix
    n = n + 1
  end
  return wrk.format(nil, path)
end
{capture}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
    .. '"errors": %d}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
  if report_captured then report_captured() end
end
"""

# With a capture field: each thread counts answers per status class and keeps the
# field of its 2xx answers; ``done`` (in the main state) prints what each kept.
WRK_CAPTURE = """\
local threads = {{}}
setup = function(thread) table.insert(threads, thread) end
classes = {{0, 0, 0, 0, 0}}
captured = {{}}
local pattern = {pattern}
response = function(status, headers, body)
  local class = math.floor(status / 100)
  if class >= 1 and class <= 5 then classes[class] = classes[class] + 1 end
  if class == 2 then
    local value = string.match(body, pattern)
    if value then captured[#captured + 1] = value end
  end
end
report_captured = function()
  for _, thread in ipairs(threads) do
    local c = thread:get("classes")
    io.write(string.format(
      'BENCH_STATUSES {{"1xx": %d, "2xx": %d, "3xx": %d, "4xx": %d, "5xx": %d}}\\n',
      c[1], c[2], c[3], c[4], c[5]))
    io.write("BENCH_CAPTURED " .. table.concat(thread:get("captured"), " ") .. "\\n")
  end
end
"""


def _lua(text: str) -> str:
    """A Lua string literal (byte escapes, so any UTF-8 text survives)."""
    return '"' + "".join(f"\\{b}" for b in text.encode()) + '"'


class Wrk:
    """wrk with one thread and a Lua script for the method, body, headers and paths."""

    def __init__(self, executable: str, workdir: Path) -> None:
        self.executable = executable
        self.workdir = workdir
        version = subprocess.run(
            [executable, "--version"], capture_output=True, text=True, check=False
        ).stdout.split()
        self.name = " ".join(version[:2]) if version else "wrk"

    def script(self, request: Request) -> str:
        prefix, _, suffix = request.path.partition("{n}")
        targets = request.targets if "{n}" in request.path else 0
        return WRK_SCRIPT.format(
            method=_lua(request.method),
            body=f"wrk.body = {_lua(request.body)}" if request.body is not None else "",
            headers="\n".join(
                f"wrk.headers[{_lua(k)}] = {_lua(v)}" for k, v in request.headers.items()
            ),
            prefix=_lua(prefix),
            suffix=_lua(suffix),
            targets=targets,
            width=max(request.width, 1),
            capture=WRK_CAPTURE.format(pattern=_lua(f'"{request.capture}":%s*(%d+)'))
            if request.capture
            else "",
        )

    def run(self, base_url: str, request: Request, connections: int, seconds: int) -> LoadResult:
        script = self.workdir / "load.lua"
        script.write_text(self.script(request))
        out = subprocess.run(
            [
                self.executable,
                "-t1",
                f"-c{connections}",
                f"-d{max(1, seconds)}s",
                "--timeout",
                "10s",
                "-s",
                str(script),
                base_url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        lines = out.splitlines()
        line = next(x for x in lines if x.startswith("BENCH_RESULT "))
        r = json.loads(line.removeprefix("BENCH_RESULT "))
        statuses: dict[str, int] = {}
        captured: list[int] = []
        for x in lines:
            if x.startswith("BENCH_STATUSES "):
                for k, v in json.loads(x.removeprefix("BENCH_STATUSES ")).items():
                    statuses[k] = statuses.get(k, 0) + v
            elif x.startswith("BENCH_CAPTURED"):
                captured += [int(v) for v in x.removeprefix("BENCH_CAPTURED").split()]
        return LoadResult(
            requests=r["requests"],
            seconds=r["duration_us"] / 1e6,
            p50_ms=r["p50_us"] / 1000,
            p99_ms=r["p99_us"] / 1000,
            errors=r["errors"],
            generator=self.name,
            statuses=statuses,
            captured=captured,
        )


def percentile(samples: list[float], q: float) -> float:
    """The nearest-rank percentile ``q`` (0-100) of ``samples``."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


class PythonLoad:
    """The fallback: ``connections`` asyncio workers sharing one httpx client."""

    name = "python asyncio+httpx"

    def run(self, base_url: str, request: Request, connections: int, seconds: int) -> LoadResult:
        return asyncio.run(self._run(base_url, request, connections, seconds))

    async def _run(
        self, base_url: str, request: Request, connections: int, seconds: int
    ) -> LoadResult:
        import httpx

        latencies: list[float] = []
        errors = 0
        statuses: dict[str, int] = {}
        captured: list[int] = []
        counter = iter(range(1 << 62))
        limits = httpx.Limits(max_connections=connections)
        async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=10) as client:
            started = time.perf_counter()
            deadline = started + max(1, seconds)

            async def worker() -> None:
                nonlocal errors
                while time.perf_counter() < deadline:
                    sent = time.perf_counter()
                    try:
                        response = await client.request(
                            request.method,
                            request.path_for(next(counter)),
                            content=request.body,
                            headers=request.headers,
                        )
                        failed = response.status_code >= 400
                    except httpx.HTTPError:
                        failed = True
                    else:
                        if request.capture:
                            _keep(request.capture, response, statuses, captured)
                    latencies.append((time.perf_counter() - sent) * 1000)
                    errors += failed

            await asyncio.gather(*(worker() for _ in range(connections)))
            elapsed = time.perf_counter() - started
        return LoadResult(
            requests=len(latencies),
            seconds=elapsed,
            p50_ms=percentile(latencies, 50),
            p99_ms=percentile(latencies, 99),
            errors=errors,
            generator=self.name,
            statuses=statuses,
            captured=captured,
        )


def _keep(name: str, response: Any, statuses: dict[str, int], captured: list[int]) -> None:
    """Count ``response`` by status class; keep ``name`` from a 2xx answer's JSON."""
    status = f"{response.status_code // 100}xx"
    statuses[status] = statuses.get(status, 0) + 1
    if status == "2xx":
        value = response.json().get(name)
        if isinstance(value, int):
            captured.append(value)


def pick_generator(workdir: Path, prefer: str = "auto") -> LoadGenerator:
    """wrk if installed (or asked for), else the Python generator."""
    executable = shutil.which("wrk")
    if prefer == "python" or (prefer == "auto" and executable is None):
        return PythonLoad()
    if executable is None:
        raise RuntimeError("wrk is not installed (Debian: apt-get install wrk)")
    return Wrk(executable, workdir)
