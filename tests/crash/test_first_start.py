"""First start survives a kill: killed at every stage of seeding the demo (one
process after another, each picking up where the last was killed), the next start
serves the complete demo, and no start takes a half-seeded database for done."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from contextlib import closing
from pathlib import Path

from api.seed import (
    DEMO_PASSWORD,
    SEEDED,
    SEEDED_EVENTS,
    STAFF,
    STAGES,
    VOLUNTEERS,
    extra_volunteers,
)
from tests.api.conftest import in_process

ROOT = Path(__file__).resolve().parents[2]


def killed_at(database_url: str, stage: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LISHU_")}
    done = subprocess.run(
        [sys.executable, "-m", "tests.crash.first_start", database_url, stage],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == -signal.SIGKILL, (stage, done.returncode, done.stderr[-2000:])


def query(database: Path, sql: str) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        return db.execute(sql).fetchall()


def events(database: Path) -> Counter[str]:
    return Counter(str(topic) for (topic,) in query(database, "SELECT topic FROM stored_events"))


def markers(database: Path) -> set[str]:
    rows = query(
        database, f"SELECT key FROM command_keys WHERE key IN ('{SEEDED_EVENTS}', '{SEEDED}')"
    )
    return {str(key) for (key,) in rows}


def extra_log_ins() -> set[str]:
    return {person.id for person, _, _ in extra_volunteers()}


ACCOUNT_EVENTS = "aggregates.account:"


def loop_only(found: Counter[str]) -> Counter[str]:
    """The events that are not about log-ins (accounts are made after the demo's
    events are stored, one at a time)."""
    return Counter({topic: n for topic, n in found.items() if not topic.startswith(ACCOUNT_EVENTS)})


def log_ins(found: Counter[str]) -> Counter[str]:
    return found - loop_only(found)


def test_a_kill_at_every_stage_of_first_start_ends_in_the_complete_demo(
    seeded: Path, tmp_path: Path
) -> None:
    database = tmp_path / "lishu.db"
    url = f"sqlite:///{database}"
    demo_events = events(seeded / "lishu.db")
    for stage in STAGES:
        killed_at(url, stage)
        found = events(database)
        if stage in ("start", "events"):
            assert found == Counter(), stage  # the demo's events are stored whole or not at all
            assert markers(database) == set()
        else:  # the loop's events whole and never twice; log-ins made once each, as they go
            assert loop_only(found) == loop_only(demo_events), stage
            assert log_ins(found) <= log_ins(demo_events), stage
            if stage in ("accounts-made", "complete"):
                assert found == demo_events, stage
        if stage != "complete":
            assert SEEDED not in markers(database), stage
    assert markers(database) == {SEEDED_EVENTS, SEEDED}
    with in_process(url) as api:  # the next start: the complete demo, nothing added
        assert events(database) == demo_events
        for username in ("admin", "v-xf-liu", "v-hp-24"):  # made by different processes
            answer = api.client.post(
                "/api/auth/login", json={"username": username, "password": DEMO_PASSWORD}
            )
            assert answer.status_code == 200, (username, answer.text)
        board = api.get("o-xf-li", "/api/incidents", wait_for=sum(demo_events.values()))
        assert board.status_code == 200
        assert len(board.json()["items"]) > 5
        made = {user.username for user in api.services.accounts.all()}
        assert made == {actor.id for actor, _ in [*STAFF, *VOLUNTEERS]} | extra_log_ins()
