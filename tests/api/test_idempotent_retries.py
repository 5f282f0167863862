"""Retries with an ``Idempotency-Key``, against ``lishu serve``: the same request
sent again, one after another or all at once, has its effect once and gets the
first answer; the same key on another request is refused and stores nothing."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from contextlib import closing
from typing import Any

import httpx

from tests.api.served import Http, Server

REPORT = {
    "module": "dispute_screening",
    "sense": "heard",
    "what": "楼道里两户因停车位争吵",
    "where": "幸福小区7栋",
    "channel": "app",
    "informant": {"name": "赵阿姨", "phone": "13904439876"},
}
N = 8


def key() -> dict[str, str]:
    return {"Idempotency-Key": f"retry-{uuid.uuid4()}"}


def at_once(http: Http, n: int, send: Any) -> list[httpx.Response]:
    """``send(client)`` from ``n`` threads, each on its own connection, released together."""
    start = threading.Barrier(n)
    answers: list[Any] = [None] * n

    def run(i: int) -> None:
        with httpx.Client(base_url=http.url, timeout=60) as client:
            client.get("/healthz")
            start.wait()
            try:
                answers[i] = send(client)
            except BaseException as error:
                answers[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for answer in answers:
        assert isinstance(answer, httpx.Response), answer
    return answers


def test_a_report_sent_again_and_again_is_one_incident(server: Server, http: Http) -> None:
    discovered = server.stored("Incident.Discovered")
    retry = key()
    answers = [http.post("v-xf-liu", "/api/incidents", REPORT, **retry) for _ in range(N)]
    assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
    first, *again = [a.json() for a in answers]
    assert first["replayed"] is False
    for each in again:
        assert each == {**first, "replayed": True}  # the first answer, position and all
    assert server.stored("Incident.Discovered") == discovered + 1
    assert server.stored("Incident.Reported", first["incident_id"]) == 1


def test_a_report_sent_many_times_at_once_is_one_incident(server: Server, http: Http) -> None:
    discovered = server.stored("Incident.Discovered")
    headers = {**http.headers("v-xf-chen"), **key()}
    body = {**REPORT, "what": "车棚电线私拉乱接给电动车充电"}
    answers = at_once(http, N, lambda c: c.post("/api/incidents", json=body, headers=headers))
    assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
    assert len({a.json()["incident_id"] for a in answers}) == 1
    assert [a.json()["replayed"] for a in answers].count(False) == 1
    assert server.stored("Incident.Discovered") == discovered + 1


def test_the_same_key_on_another_report_is_refused(server: Server, http: Http) -> None:
    retry = key()
    first = http.post("v-xf-liu", "/api/incidents", REPORT, **retry)
    assert first.status_code == 201, first.text
    head = server.head()
    others = [
        {**REPORT, "what": "另一起：小区门口占道经营"},
        {**REPORT, "sense": "seen"},
        {**REPORT, "informant": {"name": "钱大爷", "phone": "13904431111"}},
        {**REPORT, "self_handled_note": "已当场劝开"},
    ]
    for other in others:
        answer = http.post("v-xf-liu", "/api/incidents", other, **retry)
        assert answer.status_code == 422, (other, answer.text)
        assert answer.json()["code"] == "idempotency_key_reused", answer.text
    # a discovery is another request too
    discovery = {k: v for k, v in REPORT.items() if k != "channel"}
    answer = http.post("v-xf-liu", "/api/incidents/discoveries", discovery, **retry)
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "idempotency_key_reused"
    assert server.head() == head
    # the key is the user's own: another volunteer's same key is his own report
    theirs = http.post("v-xf-chen", "/api/incidents", REPORT, **retry)
    assert theirs.status_code == 201, theirs.text
    assert theirs.json()["incident_id"] != first.json()["incident_id"]


def test_a_retry_whose_key_record_expired_finds_the_first_incident(
    server: Server, http: Http
) -> None:
    """The key's record is gone (kept ``idempotency_hours``): the key still fixes
    the incident, so the retry finds it instead of reporting it again."""
    retry = key()
    first = http.post("v-xf-liu", "/api/incidents", REPORT, **retry)
    assert first.status_code == 201, first.text
    position = first.json()["position"]
    with closing(sqlite3.connect(server.database, timeout=30)) as db, db:
        assert db.execute("DELETE FROM command_keys WHERE position = ?", [position]).rowcount == 1
    head = server.head()
    again = http.post("v-xf-liu", "/api/incidents", REPORT, **retry)
    assert again.status_code == 201, again.text
    assert again.json()["incident_id"] == first.json()["incident_id"]
    assert again.json()["replayed"] is True
    other = http.post("v-xf-liu", "/api/incidents", {**REPORT, "sense": "seen"}, **retry)
    assert other.status_code == 422, other.text
    assert other.json()["code"] == "idempotency_key_reused"
    assert server.head() == head


def reported(http: Http) -> str:
    answer = http.post("v-xf-liu", "/api/incidents", {**REPORT, "informant": None})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["incident_id"])


def test_a_step_sent_again_gets_the_first_answer_and_stores_nothing(
    server: Server, http: Http
) -> None:
    incident = reported(http)
    retry = key()
    path = f"/api/incidents/{incident}/escalate"
    first = http.post("o-xf-li", path, {"reason": "需派出所调查"}, **retry)
    assert first.status_code == 200, first.text
    head = server.head()
    for _ in range(N):
        again = http.post("o-xf-li", path, {"reason": "需派出所调查"}, **retry)
        assert again.status_code == 200, again.text
        assert again.json() == {**first.json(), "replayed": True}
    assert server.head() == head
    refused = [
        http.post("o-xf-li", path, {"reason": "另一个理由"}, **retry),
        http.post(
            "o-xf-li", f"/api/incidents/{incident}/divert", {"reason": "需派出所调查"}, **retry
        ),
    ]
    for answer in refused:
        assert answer.status_code == 422, answer.text
        assert answer.json()["code"] == "idempotency_key_reused"
    assert server.head() == head
    assert server.stored("Incident.Escalated", incident) == 1


def test_a_step_sent_many_times_at_once_is_stored_once(server: Server, http: Http) -> None:
    incident = reported(http)
    headers = {**http.headers("o-xf-li"), **key()}
    path = f"/api/incidents/{incident}/accept"
    answers = at_once(http, N, lambda c: c.post(path, headers=headers))
    assert {a.status_code for a in answers} == {200}, [a.text for a in answers]
    assert {a.json()["version"] for a in answers} == {3}
    assert [a.json()["replayed"] for a in answers].count(False) == 1
    assert server.stored("Incident.AcceptedForHandling", incident) == 1


def test_the_server_logged_no_error(server: Server) -> None:
    assert server.errors() == []
