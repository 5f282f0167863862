"""Who is asking: no token, a bad, forged or expired one, or a disabled account
is a 401 ``unauthenticated`` on every operation that needs a log-in; and every
event records the logged-in user, whatever a request body says."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest

from api.seed import DEMO_PASSWORD
from api.tokens import Tokens
from loop import demo
from tests.api.conftest import Api, in_process
from tests.api.served import SECRET, copy_database

OPEN = {("POST", "/api/auth/login"), ("POST", "/api/auth/token"), ("GET", "/healthz")}
REPORT = {
    "module": "hazard_screening",
    "sense": "smelled",
    "what": "楼道里有煤气味",
    "where": "幸福小区2栋",
    "channel": "app",
}


@pytest.fixture(scope="module")
def auth(seeded: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    database = copy_database(seeded, tmp_path_factory.mktemp("auth"))
    with in_process(f"sqlite:///{database}", secret_key=SECRET) as api:
        yield api


def operations(api: Api) -> list[tuple[str, str]]:
    """(method, path with made-up ids) of every operation that needs a log-in."""
    document = api.client.get("/openapi.json").json()
    found = []
    for path, item in document["paths"].items():
        for method in item:
            if (method.upper(), path) not in OPEN:
                found.append((method.upper(), re.sub(r"\{[^}]+\}", "v-xf-liu", path)))
    assert len(found) > 40
    return found


def refused(answer: Any) -> None:
    assert answer.status_code == 401, answer.text
    assert answer.json()["code"] == "unauthenticated", answer.text
    assert answer.headers["www-authenticate"] == "Bearer"


def forged(claims: dict[str, Any], secret: str = SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, secret, algorithm=algorithm)


def bad_tokens() -> dict[str, str]:
    later = datetime.now(UTC) + timedelta(hours=1)
    expired, _ = Tokens(SECRET, 60).issue("o-xf-li", now=datetime.now(UTC) - timedelta(hours=2))
    return {
        "garbage": "not-a-token",
        "empty": "",
        "another key": forged(
            {"sub": "o-xf-li", "exp": later}, "some-other-key-of-32-characters!!"
        ),
        "unsigned": forged({"sub": "o-xf-li", "exp": later}, "", "none"),
        "no expiry": forged({"sub": "o-xf-li"}),
        "no subject": forged({"exp": later}),
        "nobody": forged({"sub": "no-such-user", "exp": later}),
        "expired": expired,
    }


def test_no_token_is_refused_everywhere_and_stores_nothing(auth: Api) -> None:
    head = auth.services.flow.app.recorder.max_notification_id()
    for method, path in operations(auth):
        refused(auth.client.request(method, path, json={}))
    assert auth.services.flow.app.recorder.max_notification_id() == head


@pytest.mark.parametrize("kind", list(bad_tokens()))
def test_a_bad_forged_or_expired_token_is_refused_everywhere(auth: Api, kind: str) -> None:
    headers = {"Authorization": f"Bearer {bad_tokens()[kind]}"}
    head = auth.services.flow.app.recorder.max_notification_id()
    for method, path in operations(auth):
        refused(auth.client.request(method, path, json={}, headers=headers))
    assert auth.services.flow.app.recorder.max_notification_id() == head


def test_a_token_is_good_until_it_expires(auth: Api) -> None:
    tokens = Tokens(SECRET, 60)
    fresh, _ = tokens.issue("o-xf-li", now=datetime.now(UTC) - timedelta(minutes=59))
    answer = auth.client.get("/api/me", headers={"Authorization": f"Bearer {fresh}"})
    assert answer.status_code == 200, answer.text
    stale, _ = tokens.issue("o-xf-li", now=datetime.now(UTC) - timedelta(minutes=61))
    refused(auth.client.get("/api/me", headers={"Authorization": f"Bearer {stale}"}))


def test_a_disabled_account_is_refused_at_once_and_its_old_tokens_stay_dead(auth: Api) -> None:
    headers = auth.headers("a-xf-yang")
    assert auth.client.get("/api/me", headers=headers).status_code == 200
    auth.services.accounts.set_disabled("a-xf-yang", operator=demo.ADMIN)
    try:
        refused(auth.client.get("/api/me", headers=headers))
        refused(auth.client.post("/api/incidents", json=REPORT, headers=headers))
        login = {"username": "a-xf-yang", "password": DEMO_PASSWORD}
        refused(auth.client.post("/api/auth/login", json=login))
    finally:
        auth.services.accounts.set_disabled("a-xf-yang", False, operator=demo.ADMIN)
    refused(auth.client.get("/api/me", headers=headers))  # re-enabling revives no token
    auth.tokens.pop("a-xf-yang")
    assert auth.get("a-xf-yang", "/api/me").status_code == 200  # a new log-in works


def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(auth: Api) -> None:
    wrong = auth.client.post("/api/auth/login", json={"username": "o-xf-li", "password": "x" * 9})
    unknown = auth.client.post("/api/auth/login", json={"username": "nobody", "password": "x" * 9})
    refused(wrong)
    refused(unknown)
    assert wrong.json() == unknown.json()
    form = auth.client.post("/api/auth/token", data={"username": "o-xf-li", "password": "x" * 9})
    refused(form)


def test_the_actor_is_the_logged_in_user_whatever_the_body_names(auth: Api) -> None:
    # a volunteer naming another as the reporter is refused, not silently re-credited
    named = auth.post("v-xf-liu", "/api/incidents", {**REPORT, "reporter_id": "v-xf-chen"})
    assert named.status_code == 403, named.text
    assert named.json()["code"] == "not_permitted"
    answer = auth.post("v-xf-liu", "/api/incidents", REPORT)
    assert answer.status_code == 201, answer.text
    incident = answer.json()["incident_id"]
    step = auth.post("s-cy-wang", f"/api/incidents/{incident}/escalate", {"reason": "x"})
    assert step.status_code == 403, step.text  # the station may not escalate a report
    accepted = auth.post("o-xf-li", f"/api/incidents/{incident}/accept")
    assert accepted.status_code == 200, accepted.text
    entries = auth.get("au-ls-ma", f"/api/incidents/{incident}/history").json()["entries"]
    assert [(e["actor"]["id"], e["actor"]["role"], e["actor"]["unit"]) for e in entries] == [
        ("v-xf-liu", "volunteer", "lishu/chaoyang/xingfu"),
        ("v-xf-liu", "volunteer", "lishu/chaoyang/xingfu"),
        ("o-xf-li", "community_officer", "lishu/chaoyang/xingfu"),
    ]
    state = auth.get("au-ls-ma", f"/api/incidents/{incident}").json()["incident"]
    assert state["reporter_id"] == "v-xf-liu"


@pytest.mark.parametrize(
    "extra",
    [
        {"actor": {"id": "o-xf-li", "role": "community_officer", "unit": "lishu/chaoyang/xingfu"}},
        {"actor_id": "o-xf-li"},
        {"role": "county_officer"},
        {"unit": "lishu"},
    ],
)
def test_a_body_naming_an_actor_is_refused_and_stores_nothing(
    auth: Api, extra: dict[str, Any]
) -> None:
    incident = auth.post("v-xf-liu", "/api/incidents", REPORT).json()["incident_id"]
    head = auth.services.flow.app.recorder.max_notification_id()
    attempts = [
        auth.post("v-xf-liu", "/api/incidents", {**REPORT, **extra}),
        auth.post("v-xf-liu", "/api/incidents/discoveries", {**REPORT, **extra}),
        auth.post("v-xf-liu", f"/api/incidents/{incident}/accept", extra),
        auth.post("c-xf-sun", f"/api/incidents/{incident}/divert", {"reason": "x", **extra}),
        auth.post("c-xf-sun", "/api/catalogue", {"name": "伞", "donor": "x", "stock": 1, **extra}),
        auth.post("v-xf-liu", "/api/accounts/v-xf-liu/redemptions", {"item_id": "x", **extra}),
    ]
    for answer in attempts:
        assert answer.status_code == 422, answer.text
        body = answer.json()
        assert body["code"] == "invalid_input"
        assert {e["type"] for e in body["details"]["errors"]} >= {"extra_forbidden"}, body
    assert auth.services.flow.app.recorder.max_notification_id() == head
