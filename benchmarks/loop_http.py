"""The loop over HTTP: the real service, a demo officer's bearer token, and a
command that can repeat on the same incidents (chasing incidents escalated to the
station), checked afterwards against what the store holds.

``prepare`` makes a fresh SQLite database before the server starts: one log-in,
the incidents (ids ending in their number, so load paths can address them as
``{n}``), and read models caught up. ``verify`` checks a load run's answers
against the stored events. ``measure_lag`` drives commands at a fixed rate and
times each from its acknowledgement to the moment the read models' tracking
position, committed with their rows, reaches it.
"""

from __future__ import annotations

import asyncio
import bisect
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import httpx
from sqlalchemy import func, select

from benchmarks import apps
from benchmarks.load import LoadResult, Request, percentile
from loop import demo
from projections.store import live, positions

OFFICER = demo.OFFICER_XF
PASSWORD = "bench-officer-2026"
WIDTH = 12
CHASE = {"asked": demo.STATION, "answer": "正在协调"}
CHASED = "Incident.FollowUpChased"


def incident_id(number: int) -> UUID:
    """The prepared incident ``number``: its id ends in the number, zero-padded."""
    return UUID(f"00000000-0000-4000-8000-{number:0{WIDTH}d}")


def database_url(path: Path) -> str:
    return f"sqlite:///{path}"


def server_env(path: Path) -> dict[str, str]:
    """The service on ``path``, the demo not seeded (``prepare`` made what it needs)."""
    return {"LISHU_DATABASE_URL": database_url(path)}


def prepare(path: Path, incidents: int) -> dict[str, Any]:
    """A fresh database with the officer's log-in and ``incidents`` incidents open
    at the station (reported, escalated, accepted there), read models caught up.
    Returns the event store's journal mode and synchronous level."""
    from api.config import ApiSettings

    return prepare_store(ApiSettings(database_url=database_url(path)), incidents)


def prepare_store(settings: Any, incidents: int) -> dict[str, Any]:
    """``prepare`` on the store ``settings`` (``ApiSettings``) name; on SQLite returns
    its journal mode and synchronous level, elsewhere nothing."""
    from api.services import build_services

    services = build_services(settings, start=False)
    try:
        demo.register_units(services.loop.registry)
        services.accounts.create(
            OFFICER.id,
            PASSWORD,
            role=OFFICER.role,
            unit=OFFICER.unit,
            display_name="李警官",
            operator=demo.ADMIN,
            must_change_password=False,
        )
        flow, run = services.flow, services.committer.submit
        ids = [incident_id(n) for n in range(incidents)]
        waves: list[Callable[[UUID], Future[Any]]] = [
            lambda i: run(
                flow.report_new,
                demo.RIDER,
                channel="app",
                module="hazard_screening",
                sense="seen",
                what="井盖丢失",
                where="幸福路",
                incident_id=i,
            ),
            lambda i: run(flow.take, "escalate", OFFICER, i, reason="需要派出所协调"),
            lambda i: run(flow.take, "accept", demo.STATION_OFFICER, i),
        ]
        for wave in waves:  # each wave in group commits, one incident after another
            for future in [wave(i) for i in ids]:
                future.result()
        services.views.projector.catch_up()
        return apps.store_settings(flow.app) if settings.database_url.startswith("sqlite") else {}
    finally:
        services.close()


def login(url: str) -> str:
    answer = httpx.post(
        f"{url}/api/auth/login", json={"username": OFFICER.id, "password": PASSWORD}, timeout=30
    )
    answer.raise_for_status()
    token: str = answer.json()["access_token"]
    return token


def chase_request(token: str, incidents: int) -> Request:
    """``POST /api/incidents/{id}/chase`` round-robin over the prepared incidents."""
    prefix = str(incident_id(0))[:-WIDTH]
    return Request(
        method="POST",
        path=f"/api/incidents/{prefix}{{n}}/chase",
        body=json.dumps(CHASE, ensure_ascii=False),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        targets=incidents,
        width=WIDTH,
        capture="position",
    )


def stored_chases(path: Path) -> dict[int, str]:
    """Every chase event in the store: notification position -> incident."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT rowid, originator_id FROM stored_events WHERE topic LIKE ?", (f"%:{CHASED}",)
        ).fetchall()
    return {int(position): str(originator) for position, originator in rows}


def verify(
    path: Path,
    statuses: dict[str, int],
    acknowledged: list[int],
    unanswered: int,
    earlier: Collection[int] = (),
) -> dict[str, Any]:
    """Every acknowledged (2xx) command's event is stored, once; nothing answered 5xx.

    ``acknowledged`` holds the position each 2xx answer named; ``unanswered`` bounds
    the requests the generator abandoned in flight when it stopped (the server may
    have stored those without anyone reading the answer); ``earlier``, the chases
    stored before these commands (by earlier runs on the same store), not counted."""
    return check(stored_chases(path), statuses, acknowledged, unanswered, earlier)


def check(
    chases: dict[int, str],
    statuses: dict[str, int],
    acknowledged: list[int],
    unanswered: int,
    earlier: Collection[int] = (),
) -> dict[str, Any]:
    """``verify`` against ``chases``, the chase events read from any store."""
    stored = {k: v for k, v in chases.items() if k not in earlier}
    if statuses.get("5xx"):
        raise AssertionError(f"{statuses['5xx']} answers were 5xx")
    if statuses.get("2xx", 0) != len(acknowledged):
        raise AssertionError(
            f"{statuses.get('2xx', 0)} 2xx answers but {len(acknowledged)} positions"
        )
    if len(set(acknowledged)) != len(acknowledged):
        raise AssertionError("two acknowledgements named the same stored event")
    missing = set(acknowledged) - set(stored)
    if missing:
        raise AssertionError(f"{len(missing)} acknowledged chases are not in the store")
    extra = len(stored) - len(acknowledged)
    if not 0 <= extra <= unanswered:
        raise AssertionError(
            f"{len(stored)} chases stored for {len(acknowledged)} acknowledged "
            f"(at most {unanswered} unanswered in flight)"
        )
    return {
        "acknowledged": len(acknowledged),
        "stored": len(stored),
        "stored_unanswered": extra,
        "statuses": statuses,
    }


def verify_runs(
    path: Path | Callable[[], dict[int, str]], runs: Iterable[LoadResult], connections: int
) -> dict[str, Any]:
    """``verify`` over every load run against one server (warm-up included), on the
    SQLite file ``path`` or on the chases a function reads from another store."""
    statuses: dict[str, int] = {}
    acknowledged: list[int] = []
    count = 0
    for run in runs:
        count += 1
        for status, n in run.statuses.items():
            statuses[status] = statuses.get(status, 0) + n
        acknowledged += run.captured
    chases = stored_chases(path) if isinstance(path, Path) else path()
    return check(chases, statuses, acknowledged, connections * count)


# -- projection lag -------------------------------------------------------------------


class PositionSampler(threading.Thread):
    """Reads the read models' lowest live tracking position every ``interval``
    seconds from another connection, and keeps each new value with the moment it
    was first seen (taken after the read, so a lag is never understated)."""

    def __init__(self, path: Path, interval: float = 0.001) -> None:
        super().__init__(name="position-sampler", daemon=True)
        self.path = path
        self.interval = interval
        self.times: list[float] = []
        self.positions: list[int] = []
        self.halt = threading.Event()
        self.query = str(
            select(func.min(positions.c.position)).select_from(
                live.join(
                    positions,
                    (positions.c.name == live.c.name) & (positions.c.suffix == live.c.suffix),
                )
            )
        )

    def run(self) -> None:
        db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None)
        try:
            last = -1
            while not self.halt.is_set():
                (value,) = db.execute(self.query).fetchone()
                seen = time.perf_counter()
                if value is not None and value > last:
                    self.times.append(seen)
                    self.positions.append(value)
                    last = value
                time.sleep(self.interval)
        finally:
            db.close()

    def seen_at(self, position: int) -> float | None:
        """When the read models were first seen at ``position`` or beyond."""
        index = bisect.bisect_left(self.positions, position)
        return self.times[index] if index < len(self.times) else None

    def reached(self) -> int:
        return self.positions[-1] if self.positions else -1


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One HTTP/1.1 answer off a kept-alive connection: its status, and its body as
    long as its ``Content-Length`` says."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return int(head[9:12]), await reader.readexactly(length)


@dataclass
class Sent:
    due: float
    answered: float = 0.0
    status: int = 0
    position: int | None = None


@dataclass
class OpenLoop:
    """Requests at a fixed rate, whether or not earlier ones were answered, over
    ``connections`` keep-alive connections (a request waits for a free one; its
    latency counts from when it was due). A bare HTTP/1.1 client, so the
    generator takes little of the machine."""

    url: str
    request: Request
    rate: float
    count: int
    connections: int
    sent: list[Sent] = field(default_factory=list)

    def run(self) -> list[Sent]:
        asyncio.run(self._run())
        return self.sent

    def _raw(self, n: int) -> bytes:
        split = urlsplit(self.url)
        body = (self.request.body or "").encode()
        head = [
            f"{self.request.method} {self.request.path_for(n)} HTTP/1.1",
            f"Host: {split.netloc}",
            *(f"{k}: {v}" for k, v in self.request.headers.items()),
            f"Content-Length: {len(body)}",
        ]
        return ("\r\n".join(head) + "\r\n\r\n").encode() + body

    async def _run(self) -> None:
        split = urlsplit(self.url)
        host, port = split.hostname or "127.0.0.1", split.port or 80
        queue: asyncio.Queue[tuple[int, Sent] | None] = asyncio.Queue()
        capture = self.request.capture

        async def worker() -> None:
            reader, writer = await asyncio.open_connection(host, port)
            try:
                while (item := await queue.get()) is not None:
                    n, sent = item
                    writer.write(self._raw(n))
                    status, body = await read_answer(reader)
                    sent.answered = time.perf_counter()
                    sent.status = status
                    if capture and 200 <= sent.status < 300:
                        value = json.loads(body).get(capture)
                        sent.position = value if isinstance(value, int) else None
            finally:
                writer.close()

        workers = [asyncio.create_task(worker()) for _ in range(self.connections)]
        start = time.perf_counter() + 0.05
        for n in range(self.count):
            due = start + n / self.rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            sent = Sent(due)
            self.sent.append(sent)
            queue.put_nowait((n, sent))
        for _ in workers:
            queue.put_nowait(None)
        await asyncio.gather(*workers)


def measure_lag(
    path: Path,
    url: str,
    request: Request,
    rate: float,
    seconds: float,
    warmup_seconds: float,
    connections: int,
    timeout: float = 10.0,
    earlier: Collection[int] = (),
) -> dict[str, Any]:
    """Commands at ``rate`` for ``warmup_seconds + seconds``; for those due after
    the warm-up, the time from each acknowledgement to its read-model rows.
    Returns the lag percentiles (ms) and what was driven. ``earlier``: chases
    stored before (see ``verify``)."""
    sampler = PositionSampler(path)
    sampler.start()
    try:
        warm = round(rate * warmup_seconds)
        total = warm + max(1, round(rate * seconds))
        sent = OpenLoop(url, request, rate, total, connections).run()
        acked = [s.position for s in sent if s.position is not None]
        last = max(acked, default=0)
        deadline = time.perf_counter() + timeout
        while sampler.reached() < last and time.perf_counter() < deadline:
            time.sleep(0.01)
    finally:
        sampler.halt.set()
        sampler.join()
    statuses: dict[str, int] = {}
    for s in sent:
        key = f"{s.status // 100}xx"
        statuses[key] = statuses.get(key, 0) + 1
    verified = verify(path, statuses, acked, 0, earlier)
    measured = sent[warm:]
    lags, unseen = [], 0
    for s in measured:
        if s.position is None:
            continue
        seen = sampler.seen_at(s.position)
        if seen is None:
            unseen += 1
            seen = s.answered + timeout
        lags.append(max(0.0, seen - s.answered) * 1000)
    latencies = [(s.answered - s.due) * 1000 for s in measured if s.answered]
    driven = measured[-1].due - measured[0].due if len(measured) > 1 else seconds
    if not lags:
        raise AssertionError("no command was acknowledged")
    return {
        "p99_ms": percentile(lags, 99),
        "p50_ms": round(percentile(lags, 50), 3),
        "max_ms": round(max(lags), 3),
        "events": len(lags),
        "not_seen_within_timeout": unseen,
        "rate_offered": round(rate, 1),
        "rate_driven": round((len(measured) - 1) / driven, 1) if driven else None,
        "command_p50_ms": round(percentile(latencies, 50), 3),
        "command_p99_ms": round(percentile(latencies, 99), 3),
        "position_samples": len(sampler.positions),
        "warmup_commands": warm,
        **verified,
    }
