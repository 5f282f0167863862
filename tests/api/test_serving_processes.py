"""``lishu serve`` on an SQLite file runs the projector, the clock and the
dispatcher in a child process it starts, watches and restarts; reads with
``wait_for`` stay exact; SIGTERM stops both; ``--projector inline`` keeps the
work in the serving process."""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import app
from api.workers import Supervisor, default_mode
from tests.api.served import Http, Server, Tokens, copy_database

HAZARD = {
    "module": "hazard_screening",
    "sense": "seen",
    "what": "路灯不亮，夜间行人看不清路面",
    "where": "幸福小区北门",
    "channel": "app",
}
STARTED = re.compile(r"worker process started, pid (\d+)")


def worker_pids(server: Server) -> list[int]:
    """The children the server said it started, in order."""
    return [int(pid) for pid in STARTED.findall(server.tail(1_000_000))]


def parent_of(pid: int) -> int | None:
    """The parent of a live process; None once it is gone (or a zombie)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return None
    fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
    if fields["State"].startswith("Z"):
        return None
    return int(fields["PPid"])


def until(check: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout} s")


def report(http: Http) -> tuple[str, int]:
    answer = http.post("v-xf-liu", "/api/incidents", HAZARD)
    assert answer.status_code == 201, answer.text
    ack = answer.json()
    return str(ack["incident_id"]), int(ack["position"])


def mine(http: Http, position: int) -> set[str]:
    answer = http.get("v-xf-liu", "/api/incidents", wait_for=position, limit=200)
    assert answer.status_code == 200, answer.text
    return {row["incident_id"] for row in answer.json()["items"]}


@pytest.fixture
def own_server(seeded: Path, tmp_path: Path) -> Iterator[Server]:
    running = Server(copy_database(seeded, tmp_path)).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def client(own_server: Server) -> Iterator[Http]:
    http = Http(own_server.url, Tokens())
    try:
        yield http
    finally:
        http.close()


def test_the_projector_runs_in_a_child_that_is_restarted_and_reads_stay_exact(
    own_server: Server, client: Http
) -> None:
    assert "projector: process" in own_server.tail()
    (child,) = until(lambda: worker_pids(own_server))
    assert own_server.proc is not None
    assert parent_of(child) == own_server.proc.pid

    # read-your-writes through the child: each read waits for its own write
    for _ in range(5):
        incident, position = report(client)
        assert incident in mine(client, position)

    os.kill(child, signal.SIGKILL)
    incident, position = report(client)  # commands need no projector
    restarted = until(lambda: worker_pids(own_server)[1:])
    assert restarted[0] != child
    assert parent_of(restarted[0]) == own_server.proc.pid
    until(lambda: incident in mine(client, position))  # the new child catches up
    for _ in range(3):
        incident, position = report(client)
        assert incident in mine(client, position)
    assert own_server.errors() == []


def test_sigterm_to_serve_stops_the_child_too(own_server: Server) -> None:
    (child,) = until(lambda: worker_pids(own_server))
    assert own_server.stop() in (0, -signal.SIGTERM)
    assert parent_of(child) is None
    assert worker_pids(own_server) == [child]  # not restarted while stopping
    assert "restarting" not in own_server.tail()


def test_a_killed_server_leaves_no_child_behind(own_server: Server) -> None:
    (child,) = until(lambda: worker_pids(own_server))
    assert own_server.proc is not None
    own_server.proc.kill()
    own_server.proc.wait()
    until(lambda: parent_of(child) is None, timeout=30)


def test_inline_keeps_the_projector_in_the_serving_process(seeded: Path, tmp_path: Path) -> None:
    server = Server(copy_database(seeded, tmp_path), "--projector", "inline").start()
    http = Http(server.url, Tokens())
    try:
        incident, position = report(http)
        assert incident in mine(http, position)
        assert "projector: inline" in server.tail()
        assert worker_pids(server) == []
        assert server.proc is not None
        children = Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children")
        assert children.read_text().split() == []
    finally:
        http.close()
        assert server.stop() in (0, -signal.SIGTERM)


def test_the_child_is_the_default_on_an_sqlite_file_only() -> None:
    assert default_mode("sqlite:///lishu.db") == "process"
    assert default_mode("sqlite:///lishu.db", "sqlite:///views.db") == "process"
    assert default_mode("sqlite:///lishu.db", "memory://") == "inline"
    assert default_mode("memory://") == "inline"
    assert default_mode("postgresql+psycopg://lishu@localhost/lishu") == "inline"


def test_a_child_on_a_memory_store_is_refused_before_serving() -> None:
    done = CliRunner().invoke(
        app, ["serve", "--projector", "process", "--database-url", "memory://"]
    )
    assert done.exit_code == 2
    assert "--projector inline" in done.output


def test_the_supervisor_starts_a_dead_child_again_and_stops_it_for_good(tmp_path: Path) -> None:
    started = tmp_path / "started"
    script = f"open({str(started)!r}, 'a').write('x'); import time; time.sleep(0.3)"
    supervisor = Supervisor([sys.executable, "-c", script], echo=False).start()
    try:
        until(lambda: supervisor.starts >= 3, timeout=30)  # exits after 0.3 s, started again
    finally:
        supervisor.stop(grace=5)
    count, ran = supervisor.starts, started.read_text()
    assert len(ran) >= 2  # (the last may be stopped before it wrote)
    time.sleep(1.5)  # longer than a restart's pause: nothing starts after stop()
    assert supervisor.starts == count
    assert started.read_text() == ran
    assert supervisor.proc is not None
    assert supervisor.proc.poll() is not None
