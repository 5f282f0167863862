"""Many clients at once on one incident, against ``lishu serve``: sixteen officers
of 幸福 (each his own log-in and connection) fire conflicting steps together.

Per version exactly one step wins; every other answer is a 409 naming the
conflict or the illegal step, never a server error; and the incident holds
exactly the events of the winners, none lost and none doubled.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.commands import open_accounts
from api.seed import DEMO_PASSWORD
from loop import demo
from tests.api.conftest import service_settings
from tests.api.served import Http, Server, Tokens, copy_database

CLIENTS = 16
OFFICERS = [f"o-xf-{n:02d}" for n in range(1, CLIENTS + 1)]
XINGFU = "lishu/chaoyang/xingfu"
REFUSALS = {"concurrency_conflict", "illegal_step"}


@pytest.fixture(scope="module")
def crowd(
    seeded: Path, tmp_path_factory: pytest.TempPathFactory, tokens: Tokens
) -> Iterator[tuple[Server, Http]]:
    """The server, with sixteen more officers of 幸福 who may all accept."""
    database = copy_database(seeded, tmp_path_factory.mktemp("crowd"))
    with open_accounts(service_settings(f"sqlite:///{database}")) as accounts:
        for name in OFFICERS:
            accounts.create(
                name,
                DEMO_PASSWORD,
                role="community_officer",
                unit=XINGFU,
                operator=demo.ADMIN,
                must_change_password=False,
            )
    server = Server(database).start()
    http = Http(server.url, tokens)
    try:
        yield server, http
    finally:
        http.close()
        server.stop()


def report(http: Http) -> str:
    body = {
        "module": "patrol_prevention",
        "sense": "heard",
        "what": "深夜有人撬电动车锁",
        "where": "幸福小区车棚",
        "channel": "app",
    }
    answer = http.post("v-xf-liu", "/api/incidents", body)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["incident_id"])


def together(
    http: Http, requests: list[tuple[str, str, dict[str, Any] | None]]
) -> list[httpx.Response]:
    """Send ``(user, path, body)`` each from its own thread and connection, released
    at once; the answers in the same order."""
    headers = [http.headers(user) for user, _, _ in requests]  # log in first
    start = threading.Barrier(len(requests))
    answers: list[httpx.Response | BaseException | None] = [None] * len(requests)

    def send(n: int) -> None:
        _user, path, body = requests[n]
        with httpx.Client(base_url=http.url, timeout=60) as client:
            client.get("/healthz")  # connected before the start
            start.wait()
            try:
                answers[n] = client.post(path, json=body, headers=headers[n])
            except BaseException as error:  # reported below, not lost in the thread
                answers[n] = error

    threads = [threading.Thread(target=send, args=(n,)) for n in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    done = []
    for answer in answers:
        assert isinstance(answer, httpx.Response), answer
        done.append(answer)
    return done


def events_of(http: Http, incident: str) -> list[dict[str, Any]]:
    answer = http.get("au-ls-ma", f"/api/incidents/{incident}/history")
    assert answer.status_code == 200, answer.text
    entries: list[dict[str, Any]] = answer.json()["entries"]
    return entries


def split(answers: list[httpx.Response]) -> tuple[list[httpx.Response], list[httpx.Response]]:
    for answer in answers:
        assert answer.status_code < 500, answer.text
        assert answer.status_code in (200, 409), answer.text
    won = [a for a in answers if a.status_code == 200]
    refused = [a for a in answers if a.status_code == 409]
    assert {a.json()["code"] for a in refused} <= REFUSALS, [a.text for a in refused]
    return won, refused


@pytest.mark.parametrize("round_", range(3))
def test_sixteen_officers_accept_at_version_two_and_one_wins(
    crowd: tuple[Server, Http], round_: int
) -> None:
    _, http = crowd
    incident = report(http)
    path = f"/api/incidents/{incident}/accept"
    won, refused = split(together(http, [(o, path, {"expected_version": 2}) for o in OFFICERS]))
    assert len(won) == 1
    assert len(refused) == CLIENTS - 1
    assert won[0].json()["version"] == 3
    events = events_of(http, incident)
    assert [e["event"] for e in events] == ["Discovered", "Reported", "AcceptedForHandling"]
    assert events[-1]["actor"]["id"] in OFFICERS


def test_sixteen_chases_at_one_version_store_one(crowd: tuple[Server, Http]) -> None:
    _, http = crowd
    incident = report(http)
    escalated = http.post("o-xf-li", f"/api/incidents/{incident}/escalate", {"reason": "需派出所"})
    assert escalated.status_code == 200, escalated.text
    version = escalated.json()["version"]
    path = f"/api/incidents/{incident}/chase"
    requests = [
        (o, path, {"asked": "朝阳派出所", "answer": f"第{n}次", "expected_version": version})
        for n, o in enumerate(OFFICERS)
    ]
    won, refused = split(together(http, requests))
    assert len(won) == 1
    assert {a.json()["code"] for a in refused} == {"concurrency_conflict"}
    assert {a.json()["details"]["current_version"] for a in refused} <= {version, version + 1}
    events = events_of(http, incident)
    assert len(events) == version + 1
    assert [e["event"] for e in events].count("FollowUpChased") == 1


def test_sixteen_chases_without_a_version_each_stored_once(crowd: tuple[Server, Http]) -> None:
    """Steps that do not conflict all succeed: sixteen versions, one event each."""
    _, http = crowd
    incident = report(http)
    escalated = http.post("o-xf-li", f"/api/incidents/{incident}/escalate", {"reason": "需派出所"})
    version = escalated.json()["version"]
    path = f"/api/incidents/{incident}/chase"
    requests = [(o, path, {"asked": "朝阳派出所", "answer": o}) for o in OFFICERS]
    won, _ = split(together(http, requests))
    assert len(won) == CLIENTS
    versions = sorted(a.json()["version"] for a in won)
    assert versions == list(range(version + 1, version + CLIENTS + 1))
    events = events_of(http, incident)
    assert len(events) == version + CLIENTS
    chased = [e["actor"]["id"] for e in events if e["event"] == "FollowUpChased"]
    assert sorted(chased) == sorted(OFFICERS)


def test_rival_steps_on_a_fresh_report_one_wins(crowd: tuple[Server, Http]) -> None:
    """Accept, escalate, divert and reject all at once, each decided on the report as
    read (version 2): the first stored decides, every other is refused."""
    _, http = crowd
    incident = report(http)
    rivals: list[tuple[str, dict[str, Any]]] = [
        ("accept", {"expected_version": 2}),
        ("escalate", {"reason": "需派出所", "expected_version": 2}),
        ("divert", {"reason": "属物业", "expected_version": 2}),
        ("reject", {"kind": "unfounded", "reason": "查无实据", "expected_version": 2}),
    ]
    requests = [
        (officer, f"/api/incidents/{incident}/{rivals[n % 4][0]}", rivals[n % 4][1])
        for n, officer in enumerate(OFFICERS)
    ]
    won, refused = split(together(http, requests))
    assert len(won) == 1
    assert len(refused) == CLIENTS - 1
    assert len(events_of(http, incident)) == 3


def test_the_server_logged_no_error(crowd: tuple[Server, Http]) -> None:
    server, _ = crowd
    assert server.errors() == []
