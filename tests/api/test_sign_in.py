"""Bearer tokens and accounts on the request path: checked once, trusted briefly,
and a disabled account stops working (at once here, within a second elsewhere)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt

from api.accounts import Accounts
from api.tokens import Tokens
from projections.store import Store
from tests.api.conftest import Api

SECRET = "a-test-secret-of-at-least-32-characters"


class Clock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_token_is_valid_until_it_expires_even_after_its_signature_was_checked() -> None:
    issued = datetime.now(UTC)
    clock = Clock(issued.timestamp())
    tokens = Tokens(SECRET, 60, clock=clock)
    token, expires = tokens.issue("o-xf-li", now=issued)
    assert tokens.subject(token) == "o-xf-li"
    clock.now = expires.timestamp() - 1
    assert tokens.subject(token) == "o-xf-li"
    clock.now = expires.timestamp()
    assert tokens.subject(token) is None


def test_a_token_signed_with_another_key_or_altered_names_nobody() -> None:
    tokens = Tokens(SECRET, 60)
    forged = jwt.encode(
        {"sub": "admin", "exp": datetime.now(UTC) + timedelta(hours=1)},
        "another-secret-of-at-least-32-characters",
        algorithm="HS256",
    )
    token, _ = tokens.issue("o-xf-li")
    assert tokens.subject(token) == "o-xf-li"
    assert tokens.subject(forged) is None
    assert tokens.subject(token[:-2] + ("AA" if token[-2:] != "AA" else "BB")) is None


def test_an_enabled_account_is_read_again_after_the_recheck_interval(database: str) -> None:
    store = Store.from_url(database)
    clock = Clock()
    here = Accounts(store, recheck_seconds=1.0, clock=clock)
    elsewhere = Accounts(store)  # another process: lishu users disable
    try:
        assert here.enabled("o-xf-li") is not None
        elsewhere.set_disabled("o-xf-li")
        clock.now += 0.5
        assert here.enabled("o-xf-li") is not None  # trusted for a second at most
        clock.now += 0.5
        assert here.enabled("o-xf-li") is None
        elsewhere.set_disabled("o-xf-li", False)
        assert here.enabled("o-xf-li") is not None  # a disabled account is not remembered
        assert here.enabled("nobody") is None
    finally:
        store.dispose()


def test_a_disabled_accounts_token_stops_working_at_once(api: Api) -> None:
    assert api.get("o-xf-li", "/api/me").status_code == 200
    api.services.accounts.set_disabled("o-xf-li")
    refused = api.get("o-xf-li", "/api/me")
    assert refused.status_code == 401
    assert refused.json()["code"] == "unauthenticated"
    api.services.accounts.set_disabled("o-xf-li", False)
    assert api.get("o-xf-li", "/api/me").status_code == 401  # nor does it come back
    api.tokens.clear()
    assert api.get("o-xf-li", "/api/me").status_code == 200


def test_an_account_disabled_by_another_process_stops_working_within_the_interval(
    api: Api, database: str
) -> None:
    clock = Clock()
    api.services.accounts.clock = clock
    assert api.get("o-xf-li", "/api/me").status_code == 200
    store = Store.from_url(database)
    try:
        Accounts(store).set_disabled("o-xf-li")
    finally:
        store.dispose()
    clock.now += api.services.accounts.recheck_seconds
    assert api.get("o-xf-li", "/api/me").status_code == 401
