"""Log-in throttling: an account locked after wrong passwords (429 with
Retry-After until the lock ends or an administrator lifts it, recorded, seen by
every process), the same answers for a name no account has, a limit per client
address, and a bounded number of password hashes at once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from typer.testing import CliRunner

from api.cli import app as lishu
from api.config import ApiSettings
from api.login_guard import LoginBusy, LoginGuard
from api.seed import DEMO_PASSWORD
from projections.store import Store
from tests.api.conftest import Api, in_process

LOCK_SECONDS = 15 * 60


class Clock:
    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def throttled(database: str) -> Iterator[tuple[Api, Clock]]:
    """The service with the default account lock, the address limit out of the way,
    and a clock the test moves."""
    with in_process(database, login_address_limit="1000/10 minutes") as api:
        clock = Clock()
        api.services.guard.clock = clock
        yield api, clock


def log_in(api: Api, username: str, password: str) -> Any:
    return api.client.post("/api/auth/login", json={"username": username, "password": password})


def test_thirty_wrong_passwords_then_the_right_one_is_429_until_the_lock_ends(
    throttled: tuple[Api, Clock], database: str
) -> None:
    api, clock = throttled
    answers = [log_in(api, "o-xf-li", f"wrong guess number {n}") for n in range(30)]
    assert [a.status_code for a in answers] == [401] * 10 + [429] * 20
    refused = log_in(api, "o-xf-li", DEMO_PASSWORD)
    assert refused.status_code == 429
    assert refused.json()["code"] == "login_throttled"
    assert 0 < int(refused.headers["retry-after"]) <= LOCK_SECONDS
    form = api.client.post(
        "/api/auth/token", data={"username": "o-xf-li", "password": DEMO_PASSWORD}
    )
    assert form.status_code == 429
    page = api.client.post("/login", data={"username": "o-xf-li", "password": DEMO_PASSWORD})
    assert page.status_code == 429
    assert "登录失败次数过多" in page.text
    assert "lishu_session" not in page.headers.get("set-cookie", "")
    assert log_in(api, "s-cy-wang", DEMO_PASSWORD).status_code == 200  # others log in
    # another process sees the lock: it is kept in the shared database
    store = Store.from_url(database)
    try:
        elsewhere = LoginGuard(store, ApiSettings(), api.services.log, clock=clock)
        assert elsewhere.locked_until("o-xf-li") == pytest.approx(clock.now + LOCK_SECONDS, abs=30)
    finally:
        store.dispose()
    clock.now += LOCK_SECONDS - 60
    assert log_in(api, "o-xf-li", DEMO_PASSWORD).status_code == 429
    clock.now += 61
    assert log_in(api, "o-xf-li", DEMO_PASSWORD).status_code == 200
    entries = api.services.log.entries("o-xf-li")
    assert [e.action for e in entries] == ["locked"]
    assert entries[0].client == "testclient"
    assert entries[0].detail == "10 wrong passwords"


def test_an_administrator_lifts_a_lock_and_it_is_recorded(
    throttled: tuple[Api, Clock], database: str
) -> None:
    api, _ = throttled
    for n in range(10):
        assert log_in(api, "c-xf-sun", f"wrong guess number {n}").status_code == 401
    assert log_in(api, "c-xf-sun", DEMO_PASSWORD).status_code == 429
    run = CliRunner().invoke(
        lishu, ["users", "unlock", "c-xf-sun", "--operator", "admin", "--database-url", database]
    )
    assert run.exit_code == 0, run.output
    assert "已解锁" in run.output
    assert log_in(api, "c-xf-sun", DEMO_PASSWORD).status_code == 200
    assert [(e.action, e.operator) for e in api.services.log.entries("c-xf-sun")] == [
        ("locked", None),
        ("unlocked", "admin"),
    ]
    refused = CliRunner().invoke(
        lishu, ["users", "unlock", "c-xf-sun", "--operator", "o-xf-li", "--database-url", database]
    )
    assert refused.exit_code == 2  # an officer is no administrator


def test_a_name_no_account_has_gets_the_same_answers(throttled: tuple[Api, Clock]) -> None:
    api, _ = throttled
    known = [log_in(api, "o-hp-zhang", f"wrong guess {n}") for n in range(12)]
    unknown = [log_in(api, "o-hp-nobody", f"wrong guess {n}") for n in range(12)]
    assert [a.status_code for a in unknown] == [a.status_code for a in known]
    assert [a.json()["code"] for a in unknown] == [a.json()["code"] for a in known]
    assert [a.status_code for a in known] == [401] * 10 + [429] * 2


def test_a_client_address_is_limited_across_names(database: str) -> None:
    with in_process(database, login_address_limit="5/10 minutes") as api:
        names = ["o-xf-li", "c-xf-sun", "d-xf-zhao", "nobody-1", "nobody-2"]
        assert [log_in(api, n, "wrong guess again").status_code for n in names] == [401] * 5
        refused = log_in(api, "s-cy-wang", DEMO_PASSWORD)  # even the right password
        assert refused.status_code == 429
        assert 500 < int(refused.headers["retry-after"]) <= 600
        assert api.services.log.entries() == []  # no account was locked


def test_at_most_the_configured_hashes_run_at_once_and_a_long_queue_is_refused(
    database: str,
) -> None:
    store = Store.from_url(database)
    settings = ApiSettings(login_concurrency=1, login_queue=4)
    guard = LoginGuard(store, settings, log=None)  # type: ignore[arg-type]
    running, most = 0, 0
    results: list[str] = []

    def hash_like() -> str:
        nonlocal running, most
        running += 1
        most = max(most, running)
        time.sleep(0.05)
        running -= 1
        return "hashed"

    async def one() -> None:
        try:
            results.append(await guard.hashed(hash_like))
        except LoginBusy as busy:
            results.append(f"busy {busy.details['retry_after']}")

    async def flood() -> None:
        async with anyio.create_task_group() as tasks:
            for _ in range(12):
                tasks.start_soon(one)

    try:
        anyio.run(flood)
    finally:
        guard.close()
        store.dispose()
    assert most == 1
    assert sorted(results) == ["busy 1"] * 8 + ["hashed"] * 4
    assert guard.waiting == 0
