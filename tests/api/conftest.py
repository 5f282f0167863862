"""The HTTP service over a copy of a seeded demo database, one per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.config import ApiSettings
from api.seed import DEMO_PASSWORD


@pytest.fixture
def database(seeded: Path, tmp_path: Path) -> str:
    for each in seeded.iterdir():
        shutil.copy(each, tmp_path / each.name)
    return f"sqlite:///{tmp_path}/lishu.db"


class Api:
    """A test client that logs in as demo users by name."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.tokens: dict[str, str] = {}

    def headers(self, username: str) -> dict[str, str]:
        if username not in self.tokens:
            answer = self.client.post(
                "/api/auth/login", json={"username": username, "password": DEMO_PASSWORD}
            )
            assert answer.status_code == 200, answer.text
            self.tokens[username] = answer.json()["access_token"]
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def post(self, username: str, path: str, body: Any = None, **headers: str) -> Any:
        return self.client.post(path, json=body, headers={**self.headers(username), **headers})

    def get(self, username: str, path: str, **params: Any) -> Any:
        return self.client.get(path, params=params, headers=self.headers(username))

    @property
    def services(self) -> Any:
        return self.client.app.state.services  # type: ignore[attr-defined]


@pytest.fixture
def api(database: str) -> Iterator[Api]:
    app = create_app(ApiSettings(database_url=database))
    with TestClient(app) as client:
        yield Api(client)
