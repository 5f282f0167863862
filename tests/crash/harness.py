"""The pieces crash tests share: the service as a process to kill and restart (on
an SQLite file or a PostgreSQL database), clients acting as demo users, and a
reader of what the event log holds.

``Service.start(crash_after=N)`` runs the service with a fault (``tests.crash.server``):
it kills itself right after the N-th commit that stored a key record, before
the answer is sent. Without it, it runs ``lishu serve``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from api.seed import DEMO_PASSWORD
from loop.bootstrap import build_loop
from loop.settings import Settings
from tests.api.served import SECRET, free_port, lishu_command

ROOT = Path(__file__).resolve().parents[2]


class Service:
    """The HTTP service on ``database_url`` as a process of its own, logging to
    ``log``; started, killed (SIGKILL) and started again at will."""

    def __init__(self, database_url: str, log: Path, **settings: str) -> None:
        self.database_url = database_url
        self.log = log
        self.settings = settings
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def env(self, crash_after: int | None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LISHU_")}
        env |= {
            "LISHU_DATABASE_URL": self.database_url,
            "LISHU_SECRET_KEY": SECRET,
            "LISHU_DEMO": "true",  # the demo's accounts log in with the demo password
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": str(ROOT),
        }
        env |= {f"LISHU_{k.upper()}": v for k, v in self.settings.items()}
        if crash_after is not None:
            env["LISHU_TEST_CRASH_AFTER"] = str(crash_after)
        return env

    def command(self, crash_after: int | None) -> list[str]:
        where = ["--host", "127.0.0.1", "--port", str(self.port)]
        if crash_after is None:
            return [*lishu_command(), "serve", *where]
        app = "tests.crash.server:create_app"
        return [sys.executable, "-m", "uvicorn", "--factory", app, *where]

    def start(self, crash_after: int | None = None, timeout: float = 120) -> float:
        """Start it and wait until it answers; the seconds that took."""
        assert self.proc is None or self.proc.poll() is not None, "already running"
        began = time.monotonic()
        with self.log.open("ab") as out:
            out.write(f"--- start {self.starts + 1} (crash after {crash_after})\n".encode())
            self.proc = subprocess.Popen(
                self.command(crash_after),
                cwd=ROOT,
                env=self.env(crash_after),
                stdout=out,
                stderr=out,
            )
        self.starts += 1
        while time.monotonic() - began < timeout:
            if self.proc.poll() is not None:
                if crash_after is not None and self.proc.returncode == -signal.SIGKILL:
                    return time.monotonic() - began  # served, and crashed as asked, already
                raise AssertionError(f"the service stopped: {self.tail()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return time.monotonic() - began
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.kill()
        raise AssertionError(f"the service did not answer in {timeout} s: {self.tail()}")

    def kill(self) -> None:
        """SIGKILL, as a crash or a power cut would stop it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.wait()

    def wait(self, timeout: float = 60) -> int | None:
        """Wait for the process to end; its exit code."""
        if self.proc is None:
            return None
        return self.proc.wait(timeout)

    def stop(self) -> int | None:
        """Stop it as an operator would (SIGTERM); its exit code."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self.wait()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def errors(self) -> list[str]:
        """Tracebacks and 5xx answers the service logged."""
        lines = self.log.read_text(errors="replace").splitlines() if self.log.exists() else []
        return [
            line
            for line in lines
            if line.startswith("Traceback") or ('HTTP/1.1" 5' in line and "INFO" in line)
        ]


class Client:
    """Requests to the service as demo users (one log-in each, kept across restarts:
    every start signs with the same key)."""

    def __init__(self, service: Service, timeout: float = 30) -> None:
        self.service = service
        self.http = httpx.Client(base_url=service.url, timeout=timeout)
        self.tokens: dict[str, str] = {}

    def headers(self, username: str, key: str | None = None) -> dict[str, str]:
        if username not in self.tokens:
            answer = self.http.post(
                "/api/auth/login", json={"username": username, "password": DEMO_PASSWORD}
            )
            assert answer.status_code == 200, answer.text
            self.tokens[username] = answer.json()["access_token"]
        headers = {"Authorization": f"Bearer {self.tokens[username]}"}
        return headers | ({"Idempotency-Key": key} if key else {})

    def post(self, username: str, path: str, body: Any = None, key: str | None = None) -> Any:
        return self.http.post(path, json=body, headers=self.headers(username, key))

    def get(self, username: str, path: str, **params: Any) -> Any:
        return self.http.get(path, params=params, headers=self.headers(username))

    def close(self) -> None:
        self.http.close()


class Log:
    """What the event log holds, read through the application (either backend)."""

    def __init__(self, database_url: str) -> None:
        self.app = build_loop(Settings(database_url=database_url)).app

    def head(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def notifications(self, after: int = 0) -> list[Any]:
        found: list[Any] = []
        while True:
            page = self.app.recorder.select_notifications(after + 1, 1000)
            if not page:
                return found
            found.extend(page)
            after = page[-1].id

    def at(self, position: int) -> Any:
        return self.app.recorder.select_notifications(position, 1)[0]

    def topics(self, after: int = 0) -> Counter[str]:
        """How many events of each type (``Incident.FollowUpChased``) follow ``after``."""
        return Counter(topic_name(n.topic) for n in self.notifications(after))

    def close(self) -> None:
        self.app.close()


def topic_name(topic: str) -> str:
    """``aggregates.incident:Incident.Reported`` as ``Incident.Reported``."""
    return topic.rsplit(":", 1)[-1]
