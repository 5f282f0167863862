"""Two API processes and two projection workers on one PostgreSQL database.

Concurrent clients drive the loop through both servers while one server and one
worker are killed (SIGKILL) under load and restarted. Afterwards every
acknowledged command's event is stored exactly once, nothing a client was told
is lost, no answer was a 5xx, and the read models equal a rebuild from the log.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest

from api.commands import open_accounts
from api.config import ApiSettings
from benchmarks.servers import free_port
from loop import demo
from loop.bootstrap import build_loop
from projections.processing import Projector
from projections.store import Store
from tests.api.served import keys_file_of_tests
from tests.projections.helpers import dump

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "many-processes-2026"
PEOPLE = [
    ("o-xf-li", "community_officer", "lishu/chaoyang/xingfu"),
    ("s-cy-wang", "station_officer", "lishu/chaoyang"),
    *((f"v-xf-{n}", "volunteer", "lishu/chaoyang/xingfu") for n in range(4)),
]
# (user, path, body) after the report; each step's expected version is known
STEPS: list[tuple[str, str, dict[str, Any]]] = [
    ("o-xf-li", "accept", {}),
    ("o-xf-li", "escalate", {"reason": "需派出所调查"}),
    ("s-cy-wang", "accept", {}),
    ("o-xf-li", "chase", {"asked": "派出所", "answer": "正在调查"}),
    ("s-cy-wang", "outcome", {"summary": "已查处"}),
]
EVENTS = [
    "Discovered",
    "Reported",
    "AcceptedForHandling",
    "Escalated",
    "AcceptedForHandling",
    "FollowUpChased",
    "OutcomeRecorded",
]
INCIDENTS_PER_CLIENT = 5


class Process:
    """A server or worker process that can be killed and started again."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.args, self.env, self.log = args, env, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, *self.args], cwd=ROOT, env=self.env, stdout=out, stderr=out
            )
        return self

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> int:
        assert self.proc is not None
        self.proc.terminate()
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


def wait_ready(url: str, process: Process, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.proc is not None
        assert process.proc.poll() is None, process.log.read_text()
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"not ready: {process.log.read_text()[-2000:]}")


@contextmanager
def cluster(url: str, tmp_path: Path) -> Iterator[tuple[list[str], list[Process], list[Process]]]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "LISHU_DATABASE_URL": url,
        "LISHU_RUN_PROJECTIONS": "false",
        "LISHU_KEYS_FILE": str(tmp_path / "lishu-secrets.json"),  # one for both servers
    }
    ports = [free_port(), free_port()]
    servers = [
        Process(
            ["-m", "uvicorn", "--factory", "api.app:create_app", "--port", str(port)],
            env,
            tmp_path / f"server-{port}.log",
        ).start()
        for port in ports
    ]
    workers = [
        Process(
            ["-m", "api.cli", "project", "--poll", "0.2", "--batch", "20"],
            env,
            tmp_path / f"worker-{n}.log",
        ).start()
        for n in range(2)
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for each, server in zip(urls, servers, strict=True):
            wait_ready(each, server)
        yield urls, servers, workers
    finally:
        for process in [*servers, *workers]:
            if process.proc is not None and process.proc.poll() is None:
                process.stop()


class Client:
    """Drives incidents through the loop, failing over to the other server when
    one does not answer; records what it was told."""

    def __init__(self, urls: list[str], tokens: dict[str, str], volunteer: str) -> None:
        self.urls, self.tokens, self.volunteer = urls, tokens, volunteer
        self.http = httpx.Client(timeout=30)
        self.acks: list[tuple[str, int]] = []
        self.statuses: list[int] = []
        self.turn = 0

    def send(self, user: str, path: str, body: Any, headers: dict[str, str]) -> httpx.Response:
        for _ in range(40):
            url = self.urls[self.turn % 2]
            self.turn += 1
            try:
                answer = self.http.post(
                    url + path,
                    json=body,
                    headers={"Authorization": f"Bearer {self.tokens[user]}", **headers},
                )
            except httpx.TransportError:  # that server is down: the other one
                time.sleep(0.05)
                continue
            self.statuses.append(answer.status_code)
            return answer
        raise AssertionError("no server answered")

    def drive(self, n: int) -> None:
        what = {
            "module": "anti_fraud",
            "sense": "heard",
            "what": f"可疑转账 {self.volunteer} #{n}",
            "where": "幸福路",
            "channel": "app",
        }
        key = {"Idempotency-Key": f"{self.volunteer}-{n}"}
        answer = self.send(self.volunteer, "/api/incidents", what, key)
        assert answer.status_code == 201, answer.text
        incident = answer.json()["incident_id"]
        self.acks.append((incident, answer.json()["version"]))
        for version, (user, step, body) in enumerate(STEPS, start=2):
            path = f"/api/incidents/{incident}/{step}"
            answer = self.send(user, path, {**body, "expected_version": version}, {})
            if answer.status_code == 409:  # stored before its answer was lost: check
                current = answer.json()["details"].get("current_version")
                assert current == version + 1, answer.text
            else:
                assert answer.status_code == 200, answer.text
                assert answer.json()["version"] == version + 1
            self.acks.append((incident, version + 1))


def test_two_servers_and_two_workers_survive_kills_without_loss_or_doubles(
    postgres_url: str, tmp_path: Path
) -> None:
    settings = ApiSettings(database_url=postgres_url, keys_file=str(keys_file_of_tests()))
    with open_accounts(settings, demo_units=True) as accounts:
        for username, role, unit in PEOPLE:
            accounts.create(
                username,
                PASSWORD,
                role=role,
                unit=unit,
                operator=demo.ADMIN,
                must_change_password=False,
            )

    with cluster(postgres_url, tmp_path) as (urls, servers, workers):
        tokens = {
            username: httpx.post(
                f"{urls[0]}/api/auth/login", json={"username": username, "password": PASSWORD}
            ).json()["access_token"]
            for username, _, _ in PEOPLE
        }
        clients = [Client(urls, tokens, v) for v, role, _ in PEOPLE if role == "volunteer"]
        threads = [
            threading.Thread(target=lambda c=c: [c.drive(n) for n in range(INCIDENTS_PER_CLIENT)])
            for c in clients
        ]
        for thread in threads:
            thread.start()

        def acked() -> int:
            return sum(len(c.acks) for c in clients)

        total = len(clients) * INCIDENTS_PER_CLIENT * (len(STEPS) + 1)
        while acked() < total // 3:
            time.sleep(0.05)
        servers[0].kill()  # under load
        workers[0].kill()
        while acked() < total * 2 // 3:
            time.sleep(0.05)
        servers[0].start()
        workers[0].start()
        for thread in threads:
            thread.join(300)
        assert not any(t.is_alive() for t in threads)

        statuses = [s for c in clients for s in c.statuses]
        assert not [s for s in statuses if s >= 500], "no answer was a server error"
        acks = [a for c in clients for a in c.acks]
        assert len(acks) == total

        flow = build_loop(ApiSettings(database_url=postgres_url)).incidents
        try:
            incidents = {incident for incident, _ in acks}
            assert len(incidents) == len(clients) * INCIDENTS_PER_CLIENT
            for incident in incidents:
                stored = flow.app.recorder.select_events(UUID(incident))
                names = [r.topic.rsplit(".", 1)[-1] for r in stored]
                assert names == EVENTS, f"{incident}: each step exactly once, in order"
            head = flow.app.recorder.max_notification_id()
            projector = Projector(Store.from_url(postgres_url), flow.app.recorder, flow.app.mapper)
            deadline = time.monotonic() + 120
            while any(p != head for p in projector.positions().values()):
                assert time.monotonic() < deadline, projector.positions()
                time.sleep(0.2)
            for worker in workers:  # a worker still starting up has no handler yet
                assert worker.stop() in (0, -signal.SIGTERM)
            before = dump(projector)
            for name in sorted(projector.projections):
                projector.rebuild(name)
            assert dump(projector) == before, "the workers' read models equal a rebuild"
            projector.store.dispose()
        finally:
            flow.app.close()


@pytest.fixture(autouse=True)
def _quiet_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
