"""``lishu notify`` killed in the middle of a batch, and started again: nothing is
sent twice (the one send in flight is repeated with the same key, which the
gateway drops), nothing pending is left behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from loop import demo
from loop.bootstrap import build_loop
from loop.settings import Settings
from projections import build
from projections.notifications import tables as outbox
from tests.api.served import lishu_command

NOTICES = 12
VOLUNTEERS = 5  # admitted in the demo's two communities
KILL_AT = 25
OPTIONS = ("--worker", "notify-1", "--interval", "0.2")


class Gateway(ThreadingHTTPServer):
    """An SMS gateway on loopback that keeps what it received, and at the
    ``KILL_AT``-th request kills the worker before answering (the send is made,
    its record is not)."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.worker: subprocess.Popen[bytes] | None = None
        self.killed_on: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/send"

    def take(self, body: dict[str, Any]) -> None:
        with self.lock:
            self.received.append(body)
            if len(self.received) == KILL_AT and self.worker is not None:
                self.killed_on = body["msg_id"]
                os.kill(self.worker.pid, signal.SIGKILL)
                self.worker.wait(10)


class _Handler(BaseHTTPRequestHandler):
    server: Gateway

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        assert body["msg_id"] == self.headers["Idempotency-Key"]
        time.sleep(0.01)
        self.server.take(body)
        try:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"accepted": true}')
        except OSError:
            pass  # the worker died waiting for this answer

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    server = Gateway()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def settings(database: Path, gateway: Gateway) -> Settings:
    return Settings(
        database_url=f"sqlite:///{database}", sms_gateway_url=gateway.url, quiet_hours=""
    )


def worker(database: Path, gateway: Gateway) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LISHU_")}
    env |= {"LISHU_SMS_GATEWAY_URL": gateway.url, "LISHU_QUIET_HOURS": ""}
    return subprocess.Popen(
        [*lishu_command(), "notify", "--database-url", f"sqlite:///{database}", *OPTIONS],
        env=env,
        cwd=database.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def statuses(database: Path, gateway: Gateway) -> tuple[Counter[str], list[Any]]:
    views = build(settings(database, gateway), build_loop(settings(database, gateway)).app)
    with views.store.read() as conn:
        rows = conn.execute(select(outbox.deliveries)).all()
    views.store.dispose()
    return Counter(r.status for r in rows), rows


def test_a_killed_worker_restarted_sends_nothing_twice_and_leaves_nothing_pending(
    tmp_path: Path, gateway: Gateway
) -> None:
    database = tmp_path / "lishu.db"
    loop = build_loop(settings(database, gateway))
    demo.enrol(loop.incidents)
    for n in range(NOTICES):
        loop.notices.publish(
            demo.STATION_OFFICER,
            title=f"防汛值守通知（第{n + 1}期）",
            body="汛期来临，请义警加强巡逻，发现积水及时反馈。",
            priority="important",
        )
    views = build(settings(database, gateway), loop.app)
    views.projector.catch_up()
    views.close()
    loop.close()
    before, _ = statuses(database, gateway)
    assert before == {"pending": NOTICES * VOLUNTEERS}

    gateway.worker = worker(database, gateway)
    gateway.worker.wait(120)
    assert gateway.killed_on is not None, "the worker was to be killed mid-batch"
    killed, rows = statuses(database, gateway)
    assert killed["sending"] >= 1, killed  # its claimed batch, the send in flight among them
    assert killed["sent"] == KILL_AT - 1

    restarted = worker(database, gateway)
    deadline = time.monotonic() + 120
    while (now := statuses(database, gateway)[0])["sent"] < NOTICES * VOLUNTEERS:
        assert time.monotonic() < deadline, now
        assert restarted.poll() is None, restarted.stderr.read() if restarted.stderr else ""
        time.sleep(0.2)
    restarted.send_signal(signal.SIGTERM)
    assert restarted.wait(30) == 0

    final, rows = statuses(database, gateway)
    assert final == {"sent": NOTICES * VOLUNTEERS}  # nothing pending or in flight is left
    keys = Counter(body["msg_id"] for body in gateway.received)
    assert set(keys) == {f"{r.message_id}/{r.channel}/{r.recipient}" for r in rows}
    repeated = {key: n for key, n in keys.items() if n > 1}
    assert repeated == {gateway.killed_on: 2}  # only the send in flight, under its own key
    phones = {body["to"] for body in gateway.received}
    assert len(phones) == VOLUNTEERS
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("lishu.db"))
    assert not any(phone.encode() in raw for phone in phones)
