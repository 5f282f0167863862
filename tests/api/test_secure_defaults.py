"""Secure defaults: no key in the source (each installation makes its own, in a
file only its user reads), demo accounts only in demo mode, and production
refusing demo mode and weak or shipped keys."""

from __future__ import annotations

import json
import re
import stat
import subprocess
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.app import create_app
from api.config import ApiSettings
from api.seed import DEMO_PASSWORD
from api.services import build_services
from api.tokens import AUDIENCE, ISSUER
from loop.settings import Settings
from loop.storage.keys_file import (
    PURPOSES,
    SHIPPED,
    KeyRefused,
    keys_file_path,
    load_or_create,
    seal_key,
)
from tests.api.conftest import in_process, service_settings

ROOT = Path(__file__).resolve().parents[2]
QUOTED = re.compile(r"""["']([^"'\s]{16,200})["']""")


def repository_strings() -> set[str]:
    """Every quoted string of 16 characters or more, without spaces, in every file
    the repository tracks: any key anyone ever wrote into it is among them."""
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    found: set[str] = set()
    for name in files:
        path = ROOT / name
        if path.suffix in {".js", ".css", ".png", ".map"} or not path.is_file():
            continue
        try:
            found |= set(QUOTED.findall(path.read_text(encoding="utf-8")))
        except UnicodeDecodeError:
            continue
    return found


def forged_admin_token(key: str) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": "admin",
        "ver": 0,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": int(now.timestamp()),
        "auth_time": int(now.timestamp()),
        "exp": now + timedelta(hours=1),
    }
    return jwt.encode(claims, key, algorithm="HS256")


@pytest.mark.filterwarnings("ignore:The HMAC key is")  # short strings are tried too
def test_a_token_signed_with_any_key_found_in_the_repository_is_refused(database: str) -> None:
    keys = repository_strings()
    assert keys >= SHIPPED  # the keys once shipped are found by the search
    assert len(keys) > 200
    with in_process(database) as api:
        good = api.headers("admin")
        assert api.client.get("/api/me", headers=good).status_code == 200
        for key in sorted(keys):
            headers = {"Authorization": f"Bearer {forged_admin_token(key)}"}
            answer = api.client.get("/api/me", headers=headers)
            assert answer.status_code == 401, key


def test_the_first_start_makes_the_keys_file_beside_the_database_and_reuses_it(
    tmp_path: Path,
) -> None:
    database = f"sqlite:///{tmp_path}/county.db"
    path = tmp_path / "county-secrets.json"
    assert keys_file_path(Settings(database_url=database)) == path
    assert not path.exists()
    with TestClient(create_app(service_settings(database))) as client:
        services = client.app.state.services  # type: ignore[attr-defined]
        token, _ = services.tokens.issue("nobody")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    keys = json.loads(path.read_text())
    assert set(keys) == set(PURPOSES) == {"token", "digest", "seal", "record"}
    assert len(set(keys.values())) == len(PURPOSES)
    assert all(len(k) >= 43 for k in keys.values())  # 32 random bytes each
    assert services.token_key == keys["token"].encode()
    assert seal_key(Settings(database_url=database)) == keys["seal"].encode()
    again = build_services(service_settings(database), start=False)
    try:
        assert again.token_key == keys["token"].encode()
        assert again.tokens.subject(token) == "nobody"  # valid across a restart
    finally:
        again.close()
    assert json.loads(path.read_text()) == keys


def test_settings_override_the_keys_file(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path}/lishu.db"
    given = "a-county-token-key-from-its-own-vault-0123"
    settings = service_settings(
        database, secret_key=given, seal_key="a-seal-key-kept-apart-0123456789"
    )
    services = build_services(settings, start=False)
    try:
        assert services.token_key == given.encode()
        assert seal_key(settings) == b"a-seal-key-kept-apart-0123456789"
        digest = json.loads((tmp_path / "lishu-secrets.json").read_text())["digest"]
        assert services.answers.secret == digest.encode()
    finally:
        services.close()


def test_processes_starting_together_agree_on_one_keys_file(tmp_path: Path) -> None:
    path = tmp_path / "lishu-secrets.json"
    with ThreadPoolExecutor(8) as pool:
        seen = list(pool.map(lambda _: load_or_create(path), range(16)))
    assert all(keys == seen[0] for keys in seen)
    assert [p.name for p in tmp_path.iterdir()] == ["lishu-secrets.json"]  # no leftovers


def test_a_keys_file_others_may_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "lishu-secrets.json"
    load_or_create(path)
    path.chmod(0o644)
    with pytest.raises(KeyRefused, match="chmod 600"):
        load_or_create(path)


def test_a_keys_file_missing_a_purpose_gets_it_and_keeps_the_others(tmp_path: Path) -> None:
    path = tmp_path / "lishu-secrets.json"
    path.write_text(json.dumps({"token": "t" * 10 + "0123456789abcdefghijklmnopqrstuv"}))
    path.chmod(0o600)
    keys = load_or_create(path)
    assert keys["token"].startswith("tttttttttt0123")
    assert set(keys) == set(PURPOSES) == {"token", "digest", "seal", "record"}
    assert json.loads(path.read_text()) == keys


def test_production_refuses_demo_mode_and_weak_or_shipped_keys(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="LISHU_DEMO"):
        ApiSettings(environment="production", demo=True)
    for key in [*SHIPPED, "b" * 40, "abababababababababababababababab", "short-key"]:
        with pytest.raises(ValidationError, match="LISHU_SECRET_KEY"):
            ApiSettings(environment="production", secret_key=key)
    with pytest.raises(ValidationError, match="LISHU_DIGEST_KEY"):
        ApiSettings(environment="production", digest_key="lishu-development-secret-key-change-me")
    with pytest.raises(ValidationError, match="32"):
        ApiSettings(secret_key="short")  # too short anywhere
    ready = ApiSettings(environment="production", secret_key="Vx3-q8Lm_2Rt9Kp4Zs7Wd1Fh6Jb0Nc5Yg")
    assert not ready.demo
    assert not ready.serves_docs
    # a weak key written into the keys file is refused too
    path = tmp_path / "lishu-secrets.json"
    path.write_text(json.dumps({"token": "x" * 40, "digest": "y" * 40, "seal": "z" * 40}))
    path.chmod(0o600)
    production = ApiSettings(
        database_url=f"sqlite:///{tmp_path}/lishu.db", environment="production"
    )
    with pytest.raises(KeyRefused, match="LISHU_SECRET_KEY"):
        build_services(production, start=False)
    with pytest.raises(KeyRefused, match="LISHU_SEAL_KEY"):
        seal_key(production)
    # outside production a county's older, shorter seal key still checks its seals
    older = Settings(database_url=f"sqlite:///{tmp_path}/lishu.db", seal_key="a-county-seal-key")
    assert seal_key(older) == b"a-county-seal-key"
    with pytest.raises(KeyRefused, match="LISHU_SEAL_KEY is refused: it is shorter"):
        seal_key(older.model_copy(update={"environment": "production"}))


def test_outside_demo_mode_the_demo_password_logs_nobody_in_and_nothing_is_seeded(
    database: str, tmp_path: Path
) -> None:
    with in_process(database, demo=False) as api:
        login = {"username": "o-xf-li", "password": DEMO_PASSWORD}
        answer = api.client.post("/api/auth/login", json=login)
        assert answer.status_code == 401
        assert answer.json()["code"] == "unauthenticated"
        page = api.client.get("/login").text
        assert DEMO_PASSWORD not in page
        assert "o-xf-li" not in page
        assert "data-demo" not in page
    empty = f"sqlite:///{tmp_path}/empty/lishu.db"
    with in_process(empty, demo=False) as api:
        assert api.services.flow.app.recorder.max_notification_id() is None  # no account:
        assert not api.services.accounts.exists("admin")  # accounts are events


def test_demo_mode_is_marked_on_every_page(database: str) -> None:
    with in_process(database) as api:
        assert "data-demo" in api.client.get("/login").text
        api.client.post("/login", data={"username": "o-xf-li", "password": DEMO_PASSWORD})
        for path in ("/board", "/incidents", "/stats", "/report", "/password"):
            page = api.client.get(path)
            assert page.status_code == 200, path
            assert "演示模式" in page.text, path


def test_production_on_a_shared_store_makes_no_keys_file_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hosts sharing a PostgreSQL store each making keys would refuse each other's
    tokens: the file is made once, on purpose (``lishu keys``), and copied."""
    from typer.testing import CliRunner

    from api.cli import app as lishu
    from loop.storage.keys_file import resolve

    monkeypatch.chdir(tmp_path)
    url = "postgresql+psycopg://lishu@127.0.0.1:1/lishu"
    settings = ApiSettings(database_url=url, environment="production")
    with pytest.raises(KeyRefused, match="lishu keys"):
        resolve(settings, "LISHU_SECRET_KEY", "token", None)
    assert not (tmp_path / "lishu-secrets.json").exists()
    made = CliRunner().invoke(
        lishu, ["keys", "--database-url", url], env={"LISHU_ENVIRONMENT": "production"}
    )
    assert made.exit_code == 0, made.output
    assert "lishu-secrets.json" in made.output
    keys = json.loads((tmp_path / "lishu-secrets.json").read_text())
    assert keys["token"] not in made.output  # the keys are never printed
    assert resolve(settings, "LISHU_SECRET_KEY", "token", None) == keys["token"].encode()
    given = ApiSettings(database_url=url, environment="production", secret_key=keys["seal"])
    assert resolve(given, "LISHU_SECRET_KEY", "token", given.secret_key) == keys["seal"].encode()
