"""The HTTP service as its own process: ``lishu serve`` on a copy of the seeded
demo database, and an httpx client that logs in as demo users by name."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

from api.config import ApiSettings
from api.seed import DEMO_PASSWORD, STAFF, VOLUNTEERS, seed_if_empty
from api.services import build_services
from loop import demo

SECRET = "lishu-api-tests-signing-key-0123456789"
"""The servers' token key: tokens minted here (expired ones, say) are theirs."""

DEMO_USERS = [actor for actor, _ in [*STAFF, *VOLUNTEERS]]
"""Every named demo log-in: each role, both communities, the station, the county."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def lishu_command() -> list[str]:
    """``lishu`` from this environment (the console script, else its module)."""
    script = Path(sys.executable).with_name("lishu")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from api.cli import main; main()"]


def keys_file_of_tests() -> Path:
    """The keys file of the tests' services on PostgreSQL, which would otherwise
    keep theirs in the working directory."""
    return Path(tempfile.gettempdir()) / f"lishu-tests-{os.getuid()}-secrets.json"


def seed_demo(database_url: str) -> None:
    """Seed the demo into an empty database and catch its read models up."""
    extra = (
        {"keys_file": str(keys_file_of_tests())} if database_url.startswith("postgresql") else {}
    )
    settings = ApiSettings(database_url=database_url, demo=True, **extra)
    services = build_services(settings, start=False)
    try:
        assert seed_if_empty(services)
        services.views.projector.catch_up()
    finally:
        services.close()


def copy_database(seeded: Path, folder: Path) -> Path:
    """A copy of the seeded events, keys and read models in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for each in seeded.iterdir():
        shutil.copy(each, folder / each.name)
    return folder / "lishu.db"


class Server:
    """``lishu serve --host 127.0.0.1 --port N`` on ``database`` (SQLite)."""

    def __init__(self, database: Path, *options: str) -> None:
        self.database = database
        self.options = options
        """More options of ``lishu serve`` (``--projector inline``)."""
        self.log = database.with_name("server.log")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LISHU_")}
        return env | {
            "LISHU_DATABASE_URL": f"sqlite:///{self.database}",
            "LISHU_SECRET_KEY": SECRET,
            "LISHU_DEMO": "true",
            "PYTHONUNBUFFERED": "1",
        }

    def start(self, timeout: float = 120) -> Server:
        command = [*lishu_command(), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        command += self.options
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                command, cwd=self.database.parent, env=self.env(), stdout=out, stderr=out
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the server stopped: {self.tail()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise AssertionError(f"the server did not answer in {timeout} s: {self.tail()}")

    def stop(self) -> int | None:
        """Stop the server (SIGTERM, then SIGKILL after 30 s); its exit code."""
        if self.proc is None:
            return None
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                return proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        return proc.wait()

    def stored(self, event: str, incident: str | None = None) -> int:
        """How many events of type ``event`` (``Incident.Discovered``) the server's
        database holds, of one incident or of all, read from the file itself."""
        query = "SELECT count(*) FROM stored_events WHERE topic LIKE ?"
        args = [f"%:{event}"]
        if incident is not None:
            query += " AND originator_id = ?"
            args.append(UUID(incident).hex)
        with closing(sqlite3.connect(f"file:{self.database}?mode=ro", uri=True)) as db:
            count: int = db.execute(query, args).fetchone()[0]
        return count

    def head(self) -> int:
        """The number of the last stored event (the notification log's head)."""
        with closing(sqlite3.connect(f"file:{self.database}?mode=ro", uri=True)) as db:
            head: int = db.execute("SELECT max(rowid) FROM stored_events").fetchone()[0]
        return head

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def errors(self) -> list[str]:
        """Tracebacks and 5xx access lines the server logged."""
        lines = self.log.read_text(errors="replace").splitlines() if self.log.exists() else []
        return [
            line
            for line in lines
            if line.startswith("Traceback") or ('HTTP/1.1" 5' in line and "INFO" in line)
        ]


class Tokens:
    """Bearer tokens of demo users, one log-in each for the whole test session:
    every test server signs with :data:`SECRET` and holds the same accounts."""

    def __init__(self) -> None:
        self.tokens: dict[str, str] = {}

    def of(self, client: httpx.Client, username: str) -> str:
        if username not in self.tokens:
            answer = client.post(
                "/api/auth/login", json={"username": username, "password": DEMO_PASSWORD}
            )
            assert answer.status_code == 200, answer.text
            self.tokens[username] = answer.json()["access_token"]
        return self.tokens[username]


class Http:
    """An httpx client on a running server, acting as demo users by name."""

    def __init__(self, url: str, tokens: Tokens) -> None:
        self.url = url
        self.client = httpx.Client(base_url=url, timeout=60)
        self.tokens = tokens

    def headers(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens.of(self.client, username)}"}

    def post(self, username: str, path: str, body: Any = None, **headers: str) -> httpx.Response:
        return self.client.post(path, json=body, headers={**self.headers(username), **headers})

    def get(self, username: str, path: str, **params: Any) -> httpx.Response:
        return self.client.get(path, params=params, headers=self.headers(username))

    def close(self) -> None:
        self.client.close()


def register_shuangyang(registry: Any) -> None:
    """Another station of the demo county, 双阳派出所, and its community 南关社区."""
    registry.register_many(
        demo.ADMIN,
        [
            {
                "code": "lishu/shuangyang",
                "kind": "station",
                "parent": "lishu",
                "name": "双阳派出所",
            },
            {
                "code": "lishu/shuangyang/nanguan",
                "kind": "community",
                "parent": "lishu/shuangyang",
                "name": "南关社区",
            },
        ],
    )
