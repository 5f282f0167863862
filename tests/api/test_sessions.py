"""Revocable sessions: log-out ends every token of the account in every process,
console sessions end when left unused, and a token's issuer, audience, issue
time and lifetime are checked."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from api.accounts import RECHECK_SECONDS
from api.seed import DEMO_PASSWORD
from api.tokens import AUDIENCE, ISSUER, Tokens
from tests.api.conftest import Api, in_process
from tests.api.served import Server, copy_database

KEY = "a-test-token-key-of-the-session-tests-0123"


@pytest.fixture(scope="module")
def two_servers(seeded: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Server]]:
    """Two ``lishu serve`` processes on one database, as behind a load balancer."""
    database = copy_database(seeded, tmp_path_factory.mktemp("two"))
    first = Server(database).start()
    second = Server(database)
    second.log = database.with_name("second.log")
    try:
        yield [first, second.start()]
    finally:
        second.stop()
        first.stop()


def me(server: Server, token: str) -> int:
    answer = httpx.get(f"{server.url}/api/me", headers={"Authorization": f"Bearer {token}"})
    return answer.status_code


def log_in(server: Server, username: str) -> str:
    login = {"username": username, "password": DEMO_PASSWORD}
    answer = httpx.post(f"{server.url}/api/auth/login", json=login, timeout=30)
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def test_a_token_used_after_log_out_is_401_in_every_process(two_servers: list[Server]) -> None:
    here, there = two_servers
    token = log_in(here, "o-hp-zhang")
    other_device = log_in(there, "o-hp-zhang")
    assert [me(s, t) for s in two_servers for t in (token, other_device)] == [200] * 4
    out = httpx.post(f"{here.url}/api/auth/logout", headers={"Authorization": f"Bearer {token}"})
    assert out.status_code == 204
    assert me(here, token) == 401  # at once where it logged out
    deadline = time.monotonic() + RECHECK_SECONDS + 2
    while me(there, token) != 401 or me(there, other_device) != 401:
        assert time.monotonic() < deadline, "the other process still takes the token"
        time.sleep(0.05)
    assert me(here, other_device) == 401  # every token of the account
    fresh = log_in(there, "o-hp-zhang")
    assert me(here, fresh) == 200  # logging in again works


def test_the_consoles_log_out_ends_the_accounts_api_tokens_too(api: Api) -> None:
    headers = api.headers("d-xf-zhao")
    api.client.post("/login", data={"username": "d-xf-zhao", "password": DEMO_PASSWORD})
    board = api.client.get("/board")
    csrf = board.text.split('name="csrf_token" value="')[1].split('"')[0]
    out = api.client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    assert api.client.get("/api/me", headers=headers).status_code == 401
    assert api.client.get("/board", follow_redirects=False).status_code == 303


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def console(database: str) -> Iterator[tuple[Api, Clock]]:
    with in_process(database, console_idle_minutes=30) as api:
        clock = Clock()
        api.services.tokens.clock = clock
        api.client.post("/login", data={"username": "o-xf-li", "password": DEMO_PASSWORD})
        yield api, clock


def page(api: Api) -> Any:
    return api.client.get("/board", follow_redirects=False)


def test_a_console_session_left_unused_ends_and_one_in_use_lives_on(
    console: tuple[Api, Clock],
) -> None:
    api, clock = console
    for _ in range(4):  # used every twenty minutes: it lives on
        clock.now += 20 * 60
        answer = page(api)
        assert answer.status_code == 200
        assert "lishu_session=" in answer.headers.get("set-cookie", "")  # re-issued
    clock.now += 31 * 60
    left = page(api)
    assert left.status_code == 303
    assert left.headers["location"].startswith("/login")


def test_no_console_session_outlives_the_longest_session(console: tuple[Api, Clock]) -> None:
    api, clock = console
    longest = api.services.settings.token_minutes * 60
    used = 0
    while used + 20 * 60 < longest:
        clock.now += 20 * 60
        used += 20 * 60
        assert page(api).status_code == 200
    clock.now += 20 * 60
    assert page(api).status_code == 303


def claims(**changes: Any) -> dict[str, Any]:
    """A token's claims, ``changes`` over good ones; a timedelta is a time that far
    from now, read when the test runs (not when the module was collected)."""
    now = int(time.time())
    changes = {
        k: now + int(v.total_seconds()) if isinstance(v, timedelta) else v
        for k, v in changes.items()
    }
    given = {
        "sub": "o-xf-li",
        "ver": 0,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "auth_time": now,
        "exp": now + 3600,
        **changes,
    }
    return {k: v for k, v in given.items() if v is not None}


@pytest.mark.parametrize(
    ("what", "changes"),
    [
        ("another audience", {"aud": "someone-else"}),
        ("another issuer", {"iss": "someone-else"}),
        ("no issue time", {"iat": None}),
        ("no audience", {"aud": None}),
        ("no version", {"ver": None}),
        ("a version that is no number", {"ver": True}),
        ("issued in the future", {"iat": timedelta(minutes=10), "auth_time": timedelta(0)}),
        ("living longer than a token may", {"exp": timedelta(hours=9)}),
        ("a session begun too long ago", {"auth_time": timedelta(hours=-9)}),
        ("expired", {"iat": timedelta(hours=-2), "exp": timedelta(hours=-1)}),
    ],
)
def test_a_tokens_claims_are_checked(what: str, changes: dict[str, Any]) -> None:
    tokens = Tokens(KEY, 8 * 60)
    good = jwt.encode(claims(), KEY, algorithm="HS256")
    assert tokens.subject(good) == "o-xf-li"
    bad = jwt.encode(claims(**changes), KEY, algorithm="HS256")
    assert tokens.subject(bad) is None, what


def test_a_token_carries_its_version_issuer_audience_and_times() -> None:
    tokens = Tokens(KEY, 60)
    issued = datetime.now(UTC)
    token, expires = tokens.issue("o-xf-li", 7, now=issued, lifetime=timedelta(minutes=30))
    read = jwt.decode(token, KEY, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER)
    assert read["ver"] == 7
    assert read["iat"] == read["auth_time"] == int(issued.timestamp())
    assert expires == issued + timedelta(minutes=30)
    _, until = tokens.issue("o-xf-li", now=issued, lifetime=timedelta(hours=9))
    assert until == issued + timedelta(minutes=60)  # never beyond the longest
    late, ends = tokens.issue("o-xf-li", now=issued, auth_time=issued.timestamp() - 3000)
    assert ends == issued + timedelta(seconds=600)  # nor past the session's end
    assert tokens.claims(late) is not None
