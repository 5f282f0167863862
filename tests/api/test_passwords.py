"""The password policy (NIST SP 800-63B, OWASP ASVS 2.1) and the hashing: Argon2id
at OWASP's 19 MiB setting, older hashes still verified and replaced at log-in."""

from __future__ import annotations

from pathlib import Path

import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import select

from api import passwords
from api.commands import open_accounts
from api.config import ApiSettings
from api.credentials import credentials
from api.passwords import WeakPassword, check, hasher
from loop import demo
from projections.store import Store


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("eleven char", "short"),
        ("x" * 201, "long"),
        ("202607110930", "numeric"),
        ("o-xf-li was here 2026", "name"),
        ("Li Jingguan likes tea", "name"),  # the display name, letters only
        ("qwerty123456", "common"),
        ("LeaveMeAlone", "common"),  # any case
        ("qwertyuiopasdfgh", "guessable"),
        ("aaaaaaaaaaaaaaaa", "guessable"),
        ("1234abcd1234abcd", "guessable"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password: str, reason: str) -> None:
    with pytest.raises(WeakPassword) as refused:
        check(password, username="o-xf-li", display_name="li jingguan")
    assert refused.value.details == {"field": "password", "reason": reason}
    assert refused.value.code == "weak_password"


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",
        "梨树义警守护平安2026",
        "tea at the station at nine",
        "Xk9#mQ2$vL7p",
    ],
)
def test_a_long_uncommon_password_is_fit(password: str) -> None:
    check(password, username="o-xf-li", display_name="李警官")


def test_hashes_are_argon2id_at_owasps_19_mib_setting() -> None:
    made = hasher.hash("correct horse battery staple")
    assert made.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert (passwords.MEMORY_KIB, passwords.TIME_COST, passwords.PARALLELISM) == (19456, 2, 1)


def test_a_hash_of_older_parameters_still_logs_in_and_is_replaced(tmp_path: Path) -> None:
    settings = ApiSettings(database_url=f"sqlite:///{tmp_path}/accounts.db")
    with open_accounts(settings, demo_units=True) as accounts:
        accounts.create(
            "o-old", "an older password phrase", role="auditor", unit="lishu", operator=demo.ADMIN
        )
        library_default = PasswordHash((Argon2Hasher(),))  # 64 MiB, t=3, p=4
        old = library_default.hash("an older password phrase")
        assert "$m=65536,t=3,p=4$" in old
        with accounts.store.write() as conn:
            conn.execute(credentials.update().values(password_hash=old))
        assert accounts.authenticate("o-old", "wrong older phrase") is None
        assert accounts.authenticate("o-old", "an older password phrase") is not None
        with accounts.store.read() as conn:
            now = conn.execute(select(credentials.c.password_hash)).scalar_one()
        assert now.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
        assert accounts.authenticate("o-old", "an older password phrase") is not None


def test_the_accounts_of_the_earlier_layouts_table_become_history(tmp_path: Path) -> None:
    store = Store.from_url(f"sqlite:///{tmp_path}/accounts.db")
    settings = ApiSettings(database_url=f"sqlite:///{tmp_path}/accounts.db")
    try:
        with store.write() as conn:
            conn.exec_driver_sql(
                "CREATE TABLE api_users (username VARCHAR(100) PRIMARY KEY, password_hash "
                "VARCHAR(200) NOT NULL, role VARCHAR(40) NOT NULL, unit VARCHAR(200) NOT NULL, "
                "display_name VARCHAR(100) NOT NULL, disabled BOOLEAN NOT NULL, "
                "created_at DATETIME NOT NULL)"
            )
            conn.exec_driver_sql(
                "INSERT INTO api_users VALUES ('o-was', ?, 'auditor', 'lishu', '旧', 0, "
                "'2026-01-01 00:00:00')",
                (hasher.hash("an account from before"),),
            )
        with open_accounts(settings) as accounts:
            accounts.setup()  # twice, as a second process would
            user = accounts.authenticate("o-was", "an account from before")
            assert user is not None
            assert (user.role, user.unit, user.must_change_password) == ("auditor", "lishu", False)
            history = accounts.directory.history("o-was")
        assert [e["event"] for e in history] == ["Created", "RoleGranted", "PasswordReset"]
        assert {e["actor"]["id"] for e in history} == {"lishu-upgrade"}
    finally:
        store.dispose()
