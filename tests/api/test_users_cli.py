"""``lishu users``: accounts an administrator creates, lists, disables, enables,
unlocks, moves and resets; every such command names an enabled administrator as
its operator, and what it did is in the account log."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from aggregates.actor import Actor
from api.accounts import RECHECK_SECONDS
from api.app import create_app
from api.cli import app
from loop.bootstrap import build_loop
from loop.settings import Settings
from tests.api.conftest import service_settings

runner = CliRunner()
ADMIN_PASSWORD = "county admin keeps the keys"
OFFICER_PASSWORD = "temporary officer pass 7"


def lishu(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def admin_does(database: str, command: str, username: str) -> int:
    """``lishu users <command> <username>`` by the administrator; its exit code."""
    args = ["users", command, username, "--operator", "admin-ls", "--database-url", database]
    return lishu(*args)[0]


@pytest.fixture
def database(tmp_path: Path) -> str:
    """An empty installation with its first administrator, ``admin-ls``, who
    registered his county with himself and then its station and communities."""
    url = f"sqlite:///{tmp_path}/lishu.db"
    code, out = lishu(
        "users", "add", "admin-ls", "--role", "admin", "--unit", "lishu",
        "--county-name", "梨树县公安局", "--password", ADMIN_PASSWORD, "--database-url", url,
    )  # fmt: skip
    assert code == 0, out
    loop = build_loop(Settings.for_url(url))
    try:
        admin = Actor("admin-ls", "admin", "lishu")
        loop.registry.register_many(
            admin,
            [
                {"code": "lishu/chaoyang", "kind": "station", "parent": "lishu", "name": "朝阳"},
                *(
                    {"code": f"lishu/chaoyang/{c}", "kind": "community"}
                    | {"parent": "lishu/chaoyang", "name": name}
                    for c, name in (("xingfu", "幸福社区"), ("heping", "和平社区"))
                ),
            ],
        )
    finally:
        loop.close()
    return url


def add_officer(database: str, *extra: str) -> tuple[int, str]:
    return lishu(
        "users", "add", "o-new", "--role", "community_officer", "--unit",
        "lishu/chaoyang/xingfu", "--name", "新民警", "--password", OFFICER_PASSWORD,
        "--database-url", database, *extra,
    )  # fmt: skip


def test_an_account_an_administrator_made_changes_its_password_then_works_until_disabled(
    database: str,
) -> None:
    code, out = add_officer(database, "--operator", "admin-ls")
    assert code == 0, out
    assert "社区民警" in out
    code, out = lishu("users", "list", "--database-url", database)
    assert "o-new" in out
    assert "新民警" in out

    with TestClient(create_app(service_settings(database, demo=False))) as client:
        login = {"username": "o-new", "password": OFFICER_PASSWORD}
        first = client.post("/api/auth/login", json=login).json()
        assert first["password_change_required"] is True
        headers = {"Authorization": f"Bearer {first['access_token']}"}
        refused = client.get("/api/incidents", headers=headers)
        assert refused.status_code == 403
        assert refused.json()["code"] == "password_change_required"
        assert client.get("/api/me", headers=headers).json()["password_change_required"]
        mine = "my own officer phrase 2026"
        changed = client.post(
            "/api/auth/password",
            json={"current_password": OFFICER_PASSWORD, "new_password": mine},
            headers=headers,
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["password_change_required"] is False
        assert client.get("/api/me", headers=headers).status_code == 401  # the old token
        token = changed.json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/me", headers=headers).json()["unit_label"] == "幸福社区"
        # the read models are built from the log by the runner's thread: wait for them
        head = client.app.state.services.loop.app.recorder.max_notification_id()  # type: ignore[attr-defined]
        listed = client.get("/api/incidents", params={"wait_for": head}, headers=headers)
        assert listed.status_code == 200, listed.text

        assert admin_does(database, "disable", "o-new") == 0
        # disabled by another process: the service stops trusting it within the recheck
        deadline = time.monotonic() + RECHECK_SECONDS + 1
        while client.get("/api/me", headers=headers).status_code != 401:
            assert time.monotonic() < deadline, "the disabled account still works"
            time.sleep(0.05)
        login = {"username": "o-new", "password": mine}
        assert client.post("/api/auth/login", json=login).status_code == 401
        assert admin_does(database, "enable", "o-new") == 0
        time.sleep(RECHECK_SECONDS)
        assert client.get("/api/me", headers=headers).status_code == 401  # not revived
        assert client.post("/api/auth/login", json=login).status_code == 200
    code, out = lishu("users", "log", "o-new", "--database-url", database)
    actions = [line.split()[3] for line in out.splitlines()]
    assert actions == ["created", "password_changed", "disabled", "enabled"], out
    assert "by admin-ls" in out


@pytest.mark.parametrize("operator", [None, "nobody", "o-new", "admin-off"])
def test_an_operator_who_is_not_an_enabled_administrator_is_refused(
    database: str, operator: str | None
) -> None:
    code, out = lishu(
        "users", "add", "admin-off", "--role", "admin", "--unit", "lishu", "--password",
        "second admin of the county", "--operator", "admin-ls", "--database-url", database,
    )  # fmt: skip
    assert code == 0, out
    assert admin_does(database, "disable", "admin-off") == 0
    assert add_officer(database, "--operator", "admin-ls")[0] == 0
    given = ["--operator", operator] if operator else []
    db = ["--database-url", database]
    attempts = [
        ["users", "add", "o-two", "--role", "auxiliary", "--unit", "lishu/chaoyang/xingfu",
         "--password", OFFICER_PASSWORD, *given, *db],
        ["users", "disable", "o-new", *given, *db],
        ["users", "enable", "admin-off", *given, *db],
        ["users", "unlock", "o-new", *given, *db],
        ["users", "role", "o-new", "--role", "admin", "--unit", "lishu", *given, *db],
        ["users", "password", "o-new", "--password", OFFICER_PASSWORD, *given, *db],
    ]  # fmt: skip
    for attempt in attempts:
        code, out = lishu(*attempt)
        assert code == 2, (attempt, out)
        assert "操作人须为已启用的系统管理员账号" in out or "Missing option" in out, out
    code, out = lishu("users", "list", *db)
    assert "o-two" not in out
    listed = {line.split()[0]: line for line in out.splitlines()}
    assert "已停用" in listed["admin-off"]  # not enabled again
    assert "已停用" not in listed["o-new"]  # not disabled
    assert "社区民警" in listed["o-new"]  # nor moved


def test_bad_accounts_and_weak_passwords_are_refused_with_a_reason(database: str) -> None:
    base = ["users", "add", "x-one", "--operator", "admin-ls", "--database-url", database]
    code, out = lishu(*base, "--password", OFFICER_PASSWORD, "--role", "sheriff", "--unit", "lishu")
    assert code == 2
    assert "未知角色" in out
    code, out = lishu(
        *base, "--password", OFFICER_PASSWORD, "--role", "volunteer", "--unit", "lishu/chaoyang"
    )
    assert code == 2
    assert "「义警」须设在社区、村，不能设在派出所" in out
    code, out = lishu(
        *base, "--password", OFFICER_PASSWORD, "--role", "auditor", "--unit", "lishu/nowhere"
    )
    assert code == 2
    assert "单位 lishu/nowhere 未登记" in out
    for weak, why in [
        ("short-pass", "至少 12 位"),
        ("123456789012345", "不能全是数字"),
        ("x-one-and-more-words", "不能包含用户名"),
        ("password1234", "常见密码"),
        ("qwertyuiopasdf", "太容易猜到"),
    ]:
        code, out = lishu(*base, "--password", weak, "--role", "auditor", "--unit", "lishu")
        assert code == 2, weak
        assert why in out, (weak, out)
    assert admin_does(database, "disable", "nobody") == 2


def test_a_new_role_or_a_reset_password_ends_every_session(database: str) -> None:
    assert add_officer(database, "--operator", "admin-ls")[0] == 0
    with TestClient(create_app(service_settings(database, demo=False))) as client:
        accounts = client.app.state.services.accounts  # type: ignore[attr-defined]
        accounts.set_password("o-new", "an officer phrase of mine")

        def log_in() -> dict[str, str]:
            login = {"username": "o-new", "password": "an officer phrase of mine"}
            token = client.post("/api/auth/login", json=login).json()["access_token"]
            return {"Authorization": f"Bearer {token}"}

        headers = log_in()
        assert client.get("/api/me", headers=headers).status_code == 200
        code, out = lishu(
            "users", "role", "o-new", "--role", "station_officer", "--unit", "lishu/chaoyang",
            "--operator", "admin-ls", "--database-url", database,
        )  # fmt: skip
        assert code == 0, out
        time.sleep(RECHECK_SECONDS)
        assert client.get("/api/me", headers=headers).status_code == 401
        headers = log_in()
        assert client.get("/api/me", headers=headers).json()["role"] == "station_officer"
        code, out = lishu(
            "users", "password", "o-new", "--password", "a reset from the county",
            "--operator", "admin-ls", "--database-url", database,
        )  # fmt: skip
        assert code == 0, out
        time.sleep(RECHECK_SECONDS)
        assert client.get("/api/me", headers=headers).status_code == 401
        login = {"username": "o-new", "password": "a reset from the county"}
        assert client.post("/api/auth/login", json=login).json()["password_change_required"]
