"""Projection workers on PostgreSQL: woken by the event store's notifications,
polling when none come, several processes on one database, one killed mid-run."""

from __future__ import annotations

import json
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

import psycopg
import pytest
from eventsourcing.persistence import PersistenceError

from loop import demo
from loop.bootstrap import build_loop
from loop.services.incidents import IncidentFlow
from loop.settings import Settings
from loop.storage.chain_postgres import NOTIFY_CHANNEL, ChainedPostgresApplicationRecorder
from loop.storage.persistence import postgres_conninfo
from projections.compose import build
from projections.processing import Projector, default_projections
from projections.runner import LISTENER_NAME, ListeningWaiter, Waiter, run_forever, waiter_for
from tests.projections.helpers import dump, file_flow, projector_for

ROOT = Path(__file__).resolve().parents[2]
LISHU = [sys.executable, "-c", "from api.cli import main; main()"]
WRITER = [sys.executable, "-m", "tests.projections.pg_writer"]
LONG_POLL = 30.0  # longer than any wait below: only a notification explains a prompt catch-up

PROJECTIONS = sorted(p.name for p in default_projections())


def report(flow: IncidentFlow, n: int = 0) -> int:
    """Record one new incident; the notification id it ends at."""
    ack = flow.report_new(
        demo.RIDER, channel="app", module="anti_fraud", sense="heard", what=f"诈骗{n}", where="路口"
    )
    assert ack.position is not None
    return ack.position


def wait_until_caught_up(projector: Projector, position: int, timeout: float) -> float:
    """Seconds until every projection has applied ``position``; fails after ``timeout``."""
    start = time.monotonic()
    while set(projector.positions().values()) != {position}:
        elapsed = time.monotonic() - start
        assert elapsed < timeout, f"not caught up to {position}: {projector.positions()}"
        time.sleep(0.02)
    return time.monotonic() - start


@contextmanager
def worker_thread(projector: Projector, poll: float, waiter: Waiter) -> Iterator[threading.Thread]:
    """``run_forever`` (the loop of ``lishu project``) in a thread of this process."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run_forever,
        args=(projector,),
        kwargs={"poll_interval": poll, "should_stop": stop.is_set, "waiter": waiter},
        daemon=True,
    )
    thread.start()
    try:
        yield thread
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive(), "the worker stops within a moment, whatever its poll interval"


@pytest.fixture
def flow(postgres_url: str) -> Iterator[IncidentFlow]:
    flow = build_loop(Settings(database_url=postgres_url)).incidents
    yield flow
    flow.app.close()


def started(flow: IncidentFlow) -> ListeningWaiter:
    waiter = waiter_for(flow.app.recorder)
    assert isinstance(waiter, ListeningWaiter)
    assert waiter.channel == NOTIFY_CHANNEL
    return waiter


# -- one worker ------------------------------------------------------------------------


def test_a_worker_woken_by_a_notification_applies_new_events_long_before_its_poll(
    flow: IncidentFlow, postgres_url: str
) -> None:
    first = report(flow)
    projector = projector_for(flow, postgres_url)
    reader = projector_for(flow, postgres_url)
    reader.setup()  # before the worker, which would create the same tables
    waiter = started(flow)
    with worker_thread(projector, LONG_POLL, waiter):
        wait_until_caught_up(reader, first, timeout=20)
        assert waiter.listening.wait(10)
        for n in range(3):
            position = report(flow, n)
            assert wait_until_caught_up(reader, position, timeout=10) < 5
        assert waiter.latest == position  # the payload: the last id committed
        assert waiter.received >= 3


def test_a_rolled_back_insert_notifies_nobody(
    flow: IncidentFlow, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = report(flow)
    notify = ChainedPostgresApplicationRecorder._notify_committed

    def then_fail(self: ChainedPostgresApplicationRecorder, curs: Any, ids: Any) -> None:
        notify(self, curs, ids)
        curs.execute("SELECT 1 / 0")  # the transaction fails after the notification

    waiter = started(flow).start()
    try:
        assert waiter.listening.wait(10)
        waiter.wait(0)  # the wake that follows LISTEN
        with monkeypatch.context() as patch:
            patch.setattr(ChainedPostgresApplicationRecorder, "_notify_committed", then_fail)
            with pytest.raises(PersistenceError, match="division by zero"):
                report(flow, 1)
        assert flow.app.recorder.max_notification_id() == first
        assert not waiter.wait(1.0)
        assert waiter.received == 0
        position = report(flow, 2)
        assert waiter.wait(5)
        assert waiter.latest == position
    finally:
        waiter.close()


def test_without_notifications_a_worker_catches_up_by_polling(
    flow: IncidentFlow, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = report(flow)
    monkeypatch.setattr(ChainedPostgresApplicationRecorder, "_notify_committed", lambda *_: None)
    projector = projector_for(flow, postgres_url)
    reader = projector_for(flow, postgres_url)
    reader.setup()  # before the worker, which would create the same tables
    waiter = started(flow)
    poll = 1.0
    with worker_thread(projector, poll, waiter):
        wait_until_caught_up(reader, first, timeout=20)
        assert waiter.listening.wait(10)
        for n in range(2):
            position = report(flow, n)
            assert wait_until_caught_up(reader, position, timeout=20) < 3 * poll + 1
    assert waiter.received == 0, "nothing was notified: the poll did it"


def test_a_killed_listening_connection_is_opened_again(
    flow: IncidentFlow, postgres_url: str
) -> None:
    report(flow)
    projector = projector_for(flow, postgres_url)
    reader = projector_for(flow, postgres_url)
    reader.setup()  # before the worker, which would create the same tables
    waiter = started(flow)
    with worker_thread(projector, LONG_POLL, waiter), admin(postgres_url) as conn:
        assert waiter.listening.wait(10)
        for killed in range(2):
            pid = waiter.backend_pid
            assert conn.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
            position = report(flow, killed)  # its notification is sent to nobody
            # reconnected, it catches up at once rather than at the next poll
            assert wait_until_caught_up(reader, position, timeout=20) < 10
            deadline = time.monotonic() + 10
            while not (waiter.listening.is_set() and waiter.connections == killed + 2):
                assert time.monotonic() < deadline, "it listens again"
                time.sleep(0.02)
            assert waiter.backend_pid != pid
        position = report(flow, 99)
        assert wait_until_caught_up(reader, position, timeout=10) < 5  # notified again


def test_with_nothing_to_listen_on_a_worker_still_polls(tmp_path: Path) -> None:
    """A waiter that can never connect leaves the poll working (here on SQLite)."""
    flow = file_flow(tmp_path / "events.db")
    first = report(flow)
    url = f"sqlite:///{tmp_path / 'events.db'}"
    assert type(waiter_for(flow.app.recorder)) is Waiter  # SQLite: a plain poll

    def refused() -> psycopg.Connection[Any]:
        raise psycopg.OperationalError("connection refused")

    waiter = ListeningWaiter(refused, NOTIFY_CHANNEL, reconnect_delay=0.05, max_delay=0.2)
    reader = projector_for(flow, url)
    reader.setup()
    with worker_thread(projector_for(flow, url), 0.2, waiter):
        wait_until_caught_up(reader, first, timeout=20)
        position = report(flow, 1)
        assert wait_until_caught_up(reader, position, timeout=20) < 5
        assert waiter.connections == 0


def test_the_in_process_runner_is_woken_by_notifications(
    flow: IncidentFlow, postgres_url: str
) -> None:
    report(flow)
    views = build(Settings(database_url=postgres_url), flow.app, poll_interval=LONG_POLL)
    reader = projector_for(flow, postgres_url)
    views.runner.start()
    try:
        waiter = views.runner.waiter
        assert isinstance(waiter, ListeningWaiter)
        assert waiter.listening.wait(10)
        position = report(flow, 1)
        assert wait_until_caught_up(reader, position, timeout=10) < 5  # nobody called wake()
    finally:
        views.close()
    assert type(views.runner.waiter) is Waiter  # the listening connection is closed


# -- lishu project as processes ------------------------------------------------------


def lishu_project(
    url: str, name: str, logs: Path, *options: str, poll: float = 2.0
) -> subprocess.Popen[str]:
    """``lishu project`` on ``url``; its read-model connections are named ``name``."""
    env = os.environ | {
        "LISHU_DATABASE_URL": url,
        "LISHU_READ_MODEL_URL": f"{url}?application_name={name}",
        "LISHU_POSTGRES_POOL_SIZE": "2",
    }
    with (logs / f"{name}.out").open("w") as out, (logs / f"{name}.err").open("w") as err:
        return subprocess.Popen(
            [*LISHU, "project", "--poll", str(poll), *options],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=err,
            text=True,
        )


def writer(url: str, incidents: int, seed: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*WRITER, url, "--incidents", str(incidents), "--seed", str(seed)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


@contextmanager
def admin(url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(postgres_conninfo(url), autocommit=True) as conn:
        yield conn


def count(conn: psycopg.Connection[Any], query: str, *params: Any) -> int:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return int(row[0])


def wait_for_listeners(url: str, wanted: int, processes: list[subprocess.Popen[str]]) -> None:
    deadline = time.monotonic() + 40
    with admin(url) as conn:
        while (
            count(
                conn,
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND application_name = %s",
                LISTENER_NAME,
            )
            < wanted
        ):
            assert all(p.poll() is None for p in processes), "a worker exited"
            assert time.monotonic() < deadline, "the workers listen"
            time.sleep(0.05)


def stop(process: subprocess.Popen[str], timeout: float = 15) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout)


def record_position_moves(url: str) -> None:
    """Log every committed move of a projection's position, with the read-model
    connection's name: a trigger, so a move rolled back (or never committed by a
    killed process) leaves no row."""
    with admin(url) as conn:
        conn.execute(
            "CREATE TABLE position_moves (name text, suffix text, old bigint, new bigint, "
            "worker text DEFAULT current_setting('application_name'))"
        )
        conn.execute(
            "CREATE FUNCTION log_position_move() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN INSERT INTO position_moves (name, suffix, old, new) "
            "VALUES (NEW.name, NEW.suffix, OLD.position, NEW.position); RETURN NEW; END $$"
        )
        conn.execute(
            "CREATE TRIGGER position_moves AFTER UPDATE ON projection_positions "
            "FOR EACH ROW EXECUTE FUNCTION log_position_move()"
        )


def position_moves(conn: psycopg.Connection[Any]) -> list[tuple[Any, ...]]:
    """The committed moves that applied notifications: name, suffix, old, new, worker."""
    query = "SELECT name, suffix, old, new, worker FROM position_moves WHERE new > old"
    return [tuple(r) for r in conn.execute(query).fetchall()]


def assert_each_notification_applied_once(url: str, head: int) -> dict[str, int]:
    """Every projection applied 1..head exactly once; the batches per worker."""
    with admin(url) as conn:
        moves = position_moves(conn)
    for name in PROJECTIONS:
        batches = sorted((old, new) for n, _, old, new, _ in moves if n == name)
        covered = [i for old, new in batches for i in range(old + 1, new + 1)]
        assert covered == list(range(1, head + 1)), f"{name}: every notification once"
    workers: dict[str, int] = {}
    for *_, worker in moves:
        workers[worker] = workers.get(worker, 0) + 1
    return workers


def assert_equal_to_a_rebuild(reader: Projector) -> None:
    before = dump(reader)
    for name in sorted(reader.projections):
        reader.rebuild(name)
    assert before == dump(reader)


STARTER = """
import pathlib, sys, time
from loop.bootstrap import build_loop
from loop.settings import Settings
from projections.compose import build
barrier = pathlib.Path(sys.argv[2])
while not barrier.exists():
    time.sleep(0.005)
flow = build_loop(Settings(database_url=sys.argv[1])).incidents
views = build(Settings(database_url=sys.argv[1]), flow.app)
views.projector.setup()
views.close()
flow.app.close()
"""


def test_processes_starting_together_take_turns_creating_tables(
    postgres_url: str, tmp_path: Path
) -> None:
    """Without the schema locks some of them fail: "tuple concurrently updated"
    (the library's insert function, replaced at every start) or a duplicate key
    (a table created twice on a new database)."""
    go = tmp_path / "go"
    starters = [
        subprocess.Popen(
            [sys.executable, "-c", STARTER, postgres_url, str(go)],
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    time.sleep(3)  # let them import
    go.touch()
    errors = [s.communicate(timeout=60)[1] for s in starters]
    assert [s.returncode for s in starters] == [0] * 4, errors
    flow = build_loop(Settings(database_url=postgres_url)).incidents
    projector = projector_for(flow, postgres_url)
    targets = projector.targets()
    assert sorted(b.projection.name for b in targets) == PROJECTIONS
    assert all(b.suffix == f"v{b.projection.version}" for b in targets)
    with admin(postgres_url) as conn:
        assert count(conn, "SELECT count(*) FROM projection_positions") == len(PROJECTIONS)
    flow.app.close()


def test_lishu_project_on_postgres_catches_up_new_events_promptly(
    flow: IncidentFlow, postgres_url: str, tmp_path: Path
) -> None:
    demo.run(flow)
    head = flow.app.recorder.max_notification_id()
    assert head is not None
    reader = projector_for(flow, postgres_url)
    reader.setup()
    process = lishu_project(postgres_url, "worker", tmp_path, poll=LONG_POLL)
    try:
        deadline = time.monotonic() + 40
        while set(reader.positions().values()) != {head}:
            assert process.poll() is None, (tmp_path / "worker.err").read_text()
            assert time.monotonic() < deadline, reader.positions()
            time.sleep(0.05)
        wait_for_listeners(postgres_url, 1, [process])
        for n in range(3):
            position = report(flow, n)
            assert wait_until_caught_up(reader, position, timeout=15) < 5
    finally:
        started_stopping = time.monotonic()
        code = stop(process)
    assert code == 0
    assert time.monotonic() - started_stopping < 10, "SIGTERM does not wait out the poll"
    assert "已停止" in (tmp_path / "worker.out").read_text()


def test_two_workers_beside_a_writer_process_apply_each_notification_once(
    postgres_url: str, tmp_path: Path
) -> None:
    reader_flow = build_loop(Settings(database_url=postgres_url)).incidents
    reader = projector_for(reader_flow, postgres_url)
    reader.setup()
    record_position_moves(postgres_url)
    workers = [
        lishu_project(postgres_url, name, tmp_path, "--batch", "10") for name in ("wa", "wb")
    ]
    try:
        wait_for_listeners(postgres_url, 2, workers)
        write = writer(postgres_url, incidents=20, seed=5)
        output, _ = write.communicate(timeout=120)
        assert write.returncode == 0
        head = json.loads(output)["head"]
        assert head > 120
        wait_until_caught_up(reader, head, timeout=30)
    finally:
        codes = [stop(w) for w in workers]
    assert codes == [0, 0]
    batches = assert_each_notification_applied_once(postgres_url, head)
    assert set(batches) == {"wa", "wb"}, f"both workers applied batches: {batches}"
    assert_equal_to_a_rebuild(reader)
    reader_flow.app.close()


def test_a_worker_killed_mid_batch_and_restarted_loses_and_doubles_nothing(
    postgres_url: str, tmp_path: Path
) -> None:
    reader_flow = build_loop(Settings(database_url=postgres_url)).incidents
    reader = projector_for(reader_flow, postgres_url)
    reader.setup()
    record_position_moves(postgres_url)
    workers = {
        name: lishu_project(postgres_url, name, tmp_path, "--batch", "5") for name in ("wa", "wb")
    }
    try:
        wait_for_listeners(postgres_url, 2, list(workers.values()))
        write = writer(postgres_url, incidents=30, seed=9)
        with admin(postgres_url) as watch, admin(postgres_url) as lock:
            # Once both workers are at work, hold every position row: the next
            # batch each one reads stops inside its transaction, at the update.
            deadline = time.monotonic() + 30
            while len({w for *_, w in position_moves(watch)}) < 2:
                assert time.monotonic() < deadline, "both workers apply batches"
                time.sleep(0.02)
            lock.execute("BEGIN")
            lock.execute("SELECT * FROM projection_positions FOR UPDATE")
            while not count(
                watch,
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'wa' "
                "AND wait_event_type = 'Lock' AND xact_start IS NOT NULL",
            ):
                assert time.monotonic() < deadline, "worker wa waits inside its batch"
                time.sleep(0.02)
            assert write.poll() is None, "killed while the writer still writes"
            workers["wa"].send_signal(signal.SIGKILL)
            assert workers["wa"].wait(10) == -signal.SIGKILL
            lock.execute("ROLLBACK")
        workers["wa2"] = lishu_project(postgres_url, "wa2", tmp_path, "--batch", "5")
        output, _ = write.communicate(timeout=120)
        assert write.returncode == 0
        head = json.loads(output)["head"]
        wait_until_caught_up(reader, head, timeout=30)
        assert workers["wa2"].poll() is None
        wait_for_listeners(postgres_url, 2, [workers["wb"], workers["wa2"]])
        position = report(reader_flow)  # both at work after the restart
        wait_until_caught_up(reader, position, timeout=15)
    finally:
        codes = {name: stop(w) for name, w in workers.items() if w.poll() is None}
    assert codes == {"wb": 0, "wa2": 0}
    assert_each_notification_applied_once(postgres_url, position)
    assert_equal_to_a_rebuild(reader)
    reader_flow.app.close()
