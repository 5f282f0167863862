"""Log-in accounts as history through their service: every change an event with
its actor and reason, sessions ended by a new role, a disabling or a new
password (never before a password exists); refusals coded and storing nothing."""

from __future__ import annotations

import pytest

from aggregates.actor import Actor
from aggregates.errors import DomainError
from loop import demo
from loop.bootstrap import Loop, open_loop
from tests.support import FakeClock
from tests.unit.test_organisation import refused

ADMIN = demo.ADMIN


@pytest.fixture
def loop() -> Loop:
    opened = open_loop(clock=FakeClock())
    demo.register_units(opened.registry)
    return opened


def officer(loop: Loop, name: str = "o-hp-sun") -> None:
    loop.accounts.create(
        ADMIN,
        username=name,
        role="community_officer",
        unit=demo.HEPING,
        display_name="孙警官",
        reason="新调入",
        password="one_time",
    )


def test_sessions_end_with_a_new_role_a_disabling_or_a_password_but_not_before_one(
    loop: Loop,
) -> None:
    loop.accounts.create(ADMIN, username="o-x", role="auditor", unit=demo.COUNTY)
    assert loop.accounts.get("o-x").sessions == 0  # no password: no session to end
    officer(loop)
    account = loop.accounts.get("o-hp-sun")
    assert (account.sessions, account.must_change_password) == (0, True)
    loop.accounts.grant(
        ADMIN, "o-hp-sun", role="community_officer", unit=demo.XINGFU, reason="轮岗"
    )
    assert loop.accounts.get("o-hp-sun").sessions == 2  # the old role revoked, the new given
    loop.accounts.disable(ADMIN, "o-hp-sun", reason="离职")
    loop.accounts.enable(ADMIN, "o-hp-sun", reason="返岗")
    assert loop.accounts.get("o-hp-sun").sessions == 3  # enabling revives no session
    loop.accounts.change_password("o-hp-sun")
    account = loop.accounts.get("o-hp-sun")
    assert (account.sessions, account.must_change_password) == (4, False)
    history = loop.accounts.history("o-hp-sun")
    assert [e["event"] for e in history] == [
        "Created", "RoleGranted", "PasswordReset", "RoleRevoked", "RoleGranted",
        "Disabled", "Enabled", "PasswordChanged",
    ]  # fmt: skip
    assert history[-1]["actor"]["id"] == "o-hp-sun"  # his own password
    assert {e["actor"]["id"] for e in history[:-1]} == {"admin"}


@pytest.mark.parametrize(
    ("actor", "changes", "code"),
    [
        (demo.STATION_OFFICER, {}, "not_permitted"),
        (Actor("admin-zl", "admin", "zhenlai"), {}, "not_permitted"),
        (ADMIN, {"unit": "lishu-zhujian"}, "invalid_input"),  # a department
        (ADMIN, {"role": "station_officer"}, "invalid_input"),  # in a community
        (ADMIN, {"unit": "lishu/chaoyang/nowhere"}, "invalid_input"),
        (ADMIN, {"password": "owner"}, "invalid_input"),  # chosen by someone else
        (ADMIN, {"password": "hunter2"}, "invalid_input"),
        (ADMIN, {"username": "has space"}, "invalid_input"),
        (ADMIN, {"username": "o-xf-li-taken"}, "already_registered"),
    ],
)
def test_bad_accounts_are_refused_and_store_nothing(
    loop: Loop, actor: Actor, changes: dict[str, str], code: str
) -> None:
    loop.accounts.create(ADMIN, username="o-xf-li-taken", role="auditor", unit=demo.COUNTY)
    given = {
        "username": "o-new",
        "role": "community_officer",
        "unit": demo.HEPING,
        "password": "one_time",
    } | changes
    refused(loop, lambda: loop.accounts.create(actor, **given), code)


def test_nobody_disables_or_revokes_himself_and_nothing_twice(loop: Loop) -> None:
    loop.accounts.create(ADMIN, username="admin", role="admin", unit=demo.COUNTY)
    refused(loop, lambda: loop.accounts.disable(ADMIN, "admin", reason="x"), "not_permitted")
    officer(loop)
    loop.accounts.disable(ADMIN, "o-hp-sun", reason="离职")
    refused(loop, lambda: loop.accounts.disable(ADMIN, "o-hp-sun", reason="x"), "account_refused")
    with pytest.raises(DomainError) as caught:
        loop.accounts.get("nobody")
    assert caught.value.code == "account_not_found"
