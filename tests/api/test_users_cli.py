"""``lishu users``: accounts an administrator creates, lists, disables and enables."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app
from api.config import ApiSettings

runner = CliRunner()


def lishu(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_an_account_made_on_the_command_line_logs_in_until_disabled(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path}/lishu.db"
    code, out = lishu(
        "users", "add", "o-new", "--role", "community_officer",
        "--unit", "lishu/chaoyang/xingfu", "--name", "新民警", "--password", "s3cret-pass",
        "--database-url", database,
    )  # fmt: skip
    assert code == 0, out
    assert "社区民警" in out
    code, out = lishu("users", "list", "--database-url", database)
    assert "o-new" in out
    assert "新民警" in out

    settings = ApiSettings(database_url=database, seed_demo=False)
    with TestClient(create_app(settings)) as client:
        login = {"username": "o-new", "password": "s3cret-pass"}
        token = client.post("/api/auth/login", json=login).json()["access_token"]
        me = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["unit_label"] == "幸福社区"

        assert lishu("users", "disable", "o-new", "--database-url", database)[0] == 0
        assert (
            client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
        )
        assert client.post("/api/auth/login", json=login).status_code == 401
        assert lishu("users", "enable", "o-new", "--database-url", database)[0] == 0
        assert client.post("/api/auth/login", json=login).status_code == 200


def test_bad_accounts_are_refused_with_a_reason(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path}/lishu.db"
    base = ["users", "add", "x", "--password", "long-enough", "--database-url", database]
    code, out = lishu(*base, "--role", "sheriff", "--unit", "lishu")
    assert code == 2
    assert "未知角色" in out
    code, out = lishu(*base, "--role", "volunteer", "--unit", "lishu/chaoyang")
    assert code == 2
    assert "义警账号须属于社区" in out
    code, out = lishu("users", "disable", "nobody", "--database-url", database)
    assert code == 2
    assert "用户不存在" in out


def test_production_refuses_the_shipped_token_key() -> None:
    with pytest.raises(ValidationError, match="LISHU_SECRET_KEY"):
        ApiSettings(environment="production")
    with pytest.raises(ValidationError, match="at least 32"):
        ApiSettings(secret_key="short")
    ready = ApiSettings(environment="production", secret_key="b" * 40)
    assert not ready.seeds_demo
    assert ApiSettings().seeds_demo
