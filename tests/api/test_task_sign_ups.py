"""Sixteen volunteers sign up at once for the last place of a task, over HTTP,
through two ``lishu serve`` processes on one database: each process's group
commit takes its own in turn, and the store's version conflict decides between
the processes (the loser is tried again on what is stored). Exactly one is
booked, the others are waitlisted in distinct places, and no event is doubled."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.seed import extra_volunteers
from tests.api.served import Http, Server, Tokens, copy_database
from tests.api.test_concurrent_steps import together
from tests.support import CHINA

CROWD = [person.id for person, _, _ in extra_volunteers()[:16]]


@pytest.fixture(scope="module")
def servers(
    seeded: Path, tmp_path_factory: pytest.TempPathFactory, tokens: Tokens
) -> Iterator[tuple[list[Server], list[Http]]]:
    """Two servers on one copy of the seeded database."""
    database = copy_database(seeded, tmp_path_factory.mktemp("two-servers"))
    running = [Server(database).start(), Server(database).start()]
    clients = [Http(server.url, tokens) for server in running]
    try:
        yield running, clients
    finally:
        for client in clients:
            client.close()
        for server in running:
            server.stop()


def publish(http: Http, needed: int, days: int = 2) -> str:
    """A task ``days`` from now (each test its own day: a volunteer booked on one
    task may not be booked at the same time on another)."""
    start = datetime.now(CHINA).replace(second=0, microsecond=0) + timedelta(days=days)
    body = {
        "kind": "school_guard",
        "topic": "幸福小学护校岗",
        "place": "幸福小学南门",
        "community": "lishu/chaoyang/xingfu",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(),
        "needed": needed,
        "intensity": "light",
        "points": 5,
    }
    answer = http.post("s-cy-wang", "/api/tasks", body)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["task_id"])


def test_sixteen_sign_ups_for_the_last_place_book_one(
    servers: tuple[list[Server], list[Http]],
) -> None:
    (first, _), (http_a, http_b) = servers
    task = publish(http_a, needed=2)
    path = f"/api/tasks/{task}/sign-ups"
    assert http_a.post("v-xf-liu", path, {}).json()["state"] == "booked"

    requests = [(person, path, {}) for person in CROWD]
    for http in (http_a, http_b):  # logged in on each server before the start
        for person in CROWD:
            http.headers(person)
    answers = together_on_two(http_a, http_b, [requests[0::2], requests[1::2]])

    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    bodies = [a.json() for a in answers]
    assert Counter(b["state"] for b in bodies) == {"booked": 1, "waitlisted": 15}
    assert sorted(b["waitlist_position"] for b in bodies if b["waitlist_position"]) == list(
        range(1, 16)
    )
    assert first.stored("Task.Booked", task) == 2
    assert first.stored("Task.Waitlisted", task) == 15
    roster = http_a.get("s-cy-wang", f"/api/tasks/{task}", wait_for=first.head()).json()["roster"]
    assert Counter(e["state"] for e in roster) == {"booked": 2, "waitlisted": 15}
    assert len({e["volunteer_id"] for e in roster}) == 17


Requests = list[tuple[str, str, dict[str, Any] | None]]


def together_on_two(a: Http, b: Http, halves: list[Requests]) -> list[httpx.Response]:
    """Each half sent through its own server, both halves at once."""
    results: list[list[httpx.Response]] = [[], []]
    gate = threading.Barrier(2)

    def send(n: int, http: Http) -> None:
        gate.wait()
        results[n] = together(http, halves[n])

    threads = [threading.Thread(target=send, args=(n, h)) for n, h in enumerate((a, b))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    return results[0] + results[1]


def test_a_retried_sign_up_gets_its_first_answer_and_stores_nothing(
    servers: tuple[list[Server], list[Http]],
) -> None:
    (first, _), (http_a, http_b) = servers
    task = publish(http_a, needed=1, days=3)
    path = f"/api/tasks/{task}/sign-ups"
    answer = http_a.post("v-xf-01", path, {}, **{"Idempotency-Key": "sign-1"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["state"] == "booked"
    head = first.head()
    again = http_b.post("v-xf-01", path, {}, **{"Idempotency-Key": "sign-1"})
    assert again.status_code == 200, again.text
    assert again.json()["state"] == "booked"
    assert again.json()["replayed"] is True
    assert first.head() == head


def test_the_servers_logged_no_error(servers: tuple[list[Server], list[Http]]) -> None:
    running, _ = servers
    for server in running:
        assert server.errors() == []
