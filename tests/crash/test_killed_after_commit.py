"""Killed right after a keyed command's commit, before its answer: for a
redemption, a chase and an accept, on SQLite and PostgreSQL, the retry after the
restart gets the first answer (status, body and position, the state as it was
then, not as it is now) and the log holds the command once."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from loop import demo
from tests.api.served import copy_database
from tests.crash.harness import Client, Log, Service

REPORT = {
    "module": "hazard_screening",
    "sense": "seen",
    "what": "小区配电箱门锁损坏，电线外露",
    "where": "幸福小区5栋",
    "channel": "app",
}


@dataclass
class Case:
    """One keyed command: how to set it up, send it, move its aggregate on after."""

    prepare: Callable[[Client], dict[str, Any]]
    send: Callable[[Client, dict[str, Any], str, dict[str, Any]], httpx.Response]
    body: dict[str, Any]
    stored: Counter[str]  # the events it stores
    last: str  # the type of its last event, at the answer's position
    move_on: Callable[[Client, dict[str, Any]], None]
    other: dict[str, Any]  # another request: refused with the same key


def ok(answer: httpx.Response, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json()


def escalated(client: Client) -> dict[str, Any]:
    incident = ok(client.post(demo.COURIER.id, "/api/incidents", REPORT), 201)["incident_id"]
    path = f"/api/incidents/{incident}/escalate"
    ok(client.post(demo.OFFICER_XF.id, path, {"reason": "需派出所调查"}))
    return {"incident": incident, "version": 3, "stage": "escalated_to_station"}


def reported(client: Client) -> dict[str, Any]:
    incident = ok(client.post(demo.COURIER.id, "/api/incidents", REPORT), 201)["incident_id"]
    return {"incident": incident, "version": 2, "stage": "reported"}


def step(name: str) -> Callable[[Client, dict[str, Any], str, dict[str, Any]], httpx.Response]:
    def send(client: Client, made: dict[str, Any], key: str, body: dict[str, Any]) -> Any:
        path = f"/api/incidents/{made['incident']}/{name}"
        return client.post(demo.OFFICER_XF.id, path, body or None, key=key)

    return send


def rewarded(client: Client, volunteer: str, points: int) -> None:
    """A report of ``volunteer``'s taken around the loop to its reward."""
    incident = ok(client.post(volunteer, "/api/incidents", REPORT), 201)["incident_id"]
    steps = [
        (demo.OFFICER_XF, "accept", None),
        (demo.OFFICER_XF, "outcome", {"summary": "已处置"}),
        (
            demo.CADRE_XF,
            "score",
            {"items": [{"item": "隐患排查", "points": points}], "basis": "及时"},
        ),
        (demo.DIRECTOR_XF, "sign", None),
        (demo.OFFICER_XF, "sign", None),
        (demo.OFFICER_XF, "reward", None),
    ]
    for actor, name, body in steps:
        ok(client.post(actor.id, f"/api/incidents/{incident}/{name}", body))


def affordable(client: Client) -> dict[str, Any]:
    rewarded(client, demo.RIDER.id, 40)
    account = ok(client.get(demo.RIDER.id, f"/api/accounts/{demo.RIDER.id}"))
    items = ok(client.get(demo.RIDER.id, "/api/catalogue"))["items"]
    item = min(items, key=lambda i: i["price"])
    assert item["price"] <= account["balance"], (account, item)
    assert item["stock"] > 0, item
    return {"item": item, "balance": account["balance"]}


def redeem(client: Client, made: dict[str, Any], key: str, body: dict[str, Any]) -> Any:
    path = f"/api/accounts/{demo.RIDER.id}/redemptions"
    return client.post(demo.RIDER.id, path, {"item_id": made["item"]["item_id"], **body}, key=key)


def deduct_one(client: Client, made: dict[str, Any]) -> None:
    path = f"/api/accounts/{demo.RIDER.id}/deductions"
    ok(client.post(demo.OFFICER_XF.id, path, {"reason": "测试：之后的扣分", "points": 1}))


CASES = {
    "redemption": Case(
        affordable,
        redeem,
        {"quantity": 1},
        Counter({"PointsAccount.Redeemed": 1, "RewardItem.HandedOut": 1}),
        "RewardItem.HandedOut",
        deduct_one,
        {"quantity": 2},
    ),
    "chase": Case(
        escalated,
        step("chase"),
        {"asked": demo.STATION, "answer": "派出所：已立案调查"},
        Counter({"Incident.FollowUpChased": 1}),
        "Incident.FollowUpChased",
        lambda c, made: ok(
            step("chase")(c, made, "", {"asked": demo.STATION, "answer": "再次催办：已在追查"})
        ),
        {"asked": demo.STATION, "answer": "另一次催办"},
    ),
    "accept": Case(
        reported,
        step("accept"),
        {},
        Counter({"Incident.AcceptedForHandling": 1}),
        "Incident.AcceptedForHandling",
        lambda c, made: ok(step("outcome")(c, made, "", {"summary": "民警到场处置完毕"})),
        {"expected_version": 2},
    ),
}


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, seeded: Path, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{copy_database(seeded, tmp_path / 'db')}"
    url: str = request.getfixturevalue("postgres_database")
    return url


@pytest.fixture
def service(database_url: str, tmp_path: Path) -> Iterator[Service]:
    running = Service(database_url, tmp_path / "service.log")
    try:
        yield running
    finally:
        running.kill()


def first_answer_checked(
    name: str, answer: dict[str, Any], made: dict[str, Any], position: int, log: Log
) -> None:
    """The answer as it was right after the command: its own last event's position,
    and the state the command left (not the state now)."""
    case = CASES[name]
    assert answer["replayed"] is True
    assert answer["position"] == position
    assert log.at(position).topic.endswith(case.last)
    if name == "redemption":
        price = made["item"]["price"]
        assert (answer["points"], answer["balance"]) == (price, made["balance"] - price)
        assert answer["stock"] == made["item"]["stock"] - 1
    else:
        assert answer["incident_id"] == made["incident"]
        assert answer["version"] == made["version"] + 1
        stage = {"chase": "escalated_to_station", "accept": "handling_community"}[name]
        assert answer["stage"] == stage


def test_a_redemption_a_chase_and_an_accept_killed_after_their_commit_answer_retries_first(
    service: Service, database_url: str
) -> None:
    """Each is sent once to a service that dies right after storing it (and its key),
    then retried with the same key after the restart."""
    log = Log(database_url)
    client = Client(service)
    try:
        service.start(crash_after=1)  # dies right after the first keyed commit
        made = {name: case.prepare(client) for name, case in CASES.items()}  # no keys yet
        first: dict[str, httpx.Response] = {}
        keys = {name: f"crash-{name}-{uuid.uuid4()}" for name in CASES}
        for n, (name, case) in enumerate(CASES.items()):
            before = log.head()
            with pytest.raises(httpx.TransportError):  # no answer: the process is gone
                case.send(client, made[name], keys[name], case.body)
            service.wait()
            assert log.topics(before) == case.stored, name  # committed, with its key
            position = log.head()
            service.start(crash_after=None if n == len(CASES) - 1 else 1)
            first[name] = case.send(client, made[name], keys[name], case.body)
            first_answer_checked(name, ok(first[name]), made[name], position, log)
            assert log.head() == position  # the retry stored nothing
        for name, case in CASES.items():
            case.move_on(client, made[name])  # the state moves on; the first answer does not
        head = log.head()
        for name, case in CASES.items():
            again = case.send(client, made[name], keys[name], case.body)
            assert (again.status_code, again.json()) == (200, first[name].json()), name
            other = case.send(client, made[name], keys[name], case.other)
            assert ok(other, 422)["code"] == "idempotency_key_reused"
        assert log.head() == head  # nor did any retry since
        assert service.errors() == []
    finally:
        client.close()
        log.close()
