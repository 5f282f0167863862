"""Bearer tokens and accounts on the request path: checked once, trusted briefly,
and a disabled account stops working (at once here, within a second elsewhere)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt

from api.accounts import Accounts
from api.commands import open_accounts
from api.tokens import Tokens
from loop import demo
from tests.api.conftest import Api, service_settings

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
    clock = Clock()
    settings = service_settings(database)
    with open_accounts(settings) as opened, open_accounts(settings) as elsewhere:
        # elsewhere: another process (lishu users disable)
        here = Accounts(
            opened.store, opened.directory, opened.queries, recheck_seconds=1.0, clock=clock
        )
        assert here.enabled("o-xf-li") is not None
        elsewhere.set_disabled("o-xf-li", operator=demo.ADMIN)
        clock.now += 0.5
        assert here.enabled("o-xf-li") is not None  # trusted for a second at most
        clock.now += 0.5
        assert here.enabled("o-xf-li") is None
        elsewhere.set_disabled("o-xf-li", False, operator=demo.ADMIN)
        assert here.enabled("o-xf-li") is not None  # a disabled account is not remembered
        assert here.enabled("nobody") is None


def test_a_disabled_accounts_token_stops_working_at_once(api: Api) -> None:
    assert api.get("o-xf-li", "/api/me").status_code == 200
    api.services.accounts.set_disabled("o-xf-li", operator=demo.ADMIN)
    refused = api.get("o-xf-li", "/api/me")
    assert refused.status_code == 401
    assert refused.json()["code"] == "unauthenticated"
    api.services.accounts.set_disabled("o-xf-li", False, operator=demo.ADMIN)
    assert api.get("o-xf-li", "/api/me").status_code == 401  # nor does it come back
    api.tokens.clear()
    assert api.get("o-xf-li", "/api/me").status_code == 200


def test_an_account_disabled_by_another_process_stops_working_within_the_interval(
    api: Api, database: str
) -> None:
    clock = Clock()
    api.services.accounts.clock = clock
    assert api.get("o-xf-li", "/api/me").status_code == 200
    with open_accounts(service_settings(database)) as elsewhere:
        elsewhere.set_disabled("o-xf-li", operator=demo.ADMIN)
    clock.now += api.services.accounts.recheck_seconds
    assert api.get("o-xf-li", "/api/me").status_code == 401
