"""The HTTP service over a copy of a seeded demo database: in process, one per
test (``api``), or as a server process of its own, one per module (``server``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from aggregates.actor import Actor
from api.app import create_app
from api.config import ApiSettings
from api.seed import DEMO_PASSWORD
from api.services import Services
from tests.api.served import Http, Server, Tokens, copy_database, keys_file_of_tests, seed_demo
from tests.postgres import create_postgres_database, drop_postgres_database


@pytest.fixture
def database(seeded: Path, tmp_path: Path) -> str:
    return f"sqlite:///{copy_database(seeded, tmp_path)}"


@pytest.fixture(scope="session")
def seeded_postgres(postgres_server: str) -> Iterator[str]:
    """A demo database seeded once for the session on PostgreSQL, as a template."""
    url = create_postgres_database(postgres_server)
    seed_demo(url)
    yield url
    drop_postgres_database(postgres_server, url)


@pytest.fixture
def postgres_database(postgres_server: str, seeded_postgres: str) -> Iterator[str]:
    """A copy of the seeded PostgreSQL database for one test, dropped afterwards."""
    template = seeded_postgres.rsplit("/", 1)[1]
    url = create_postgres_database(postgres_server, template=template)
    yield url
    drop_postgres_database(postgres_server, url)


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


def head(api: Api) -> int:
    """The log's last position."""
    return int(api.services.loop.app.recorder.max_notification_id() or 0)


def refused(api: Api, status: int, code: str, answer: Any, before: int) -> dict[str, Any]:
    """``answer`` is the refusal ``status`` with ``code`` and its messages, and the
    log is still at ``before``; its body."""
    assert answer.status_code == status, answer.text
    body: dict[str, Any] = answer.json()
    assert body["code"] == code
    assert body["message_zh"]
    assert body["message_en"]
    assert head(api) == before
    return body


class Issued:
    """A test client acting as ``users`` with tokens the service issues them directly
    (no log-in): the API by bearer token, the console by session cookie."""

    def __init__(self, client: TestClient, services: Services, users: Iterable[Actor]) -> None:
        self.client = client
        self.services = services
        self.tokens = {u.id: services.tokens.issue(u.id)[0] for u in users}

    def get(self, user: Actor, path: str, **params: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[user.id]}"}
        return self.client.get(path, params=params, headers=headers)

    def post(self, user: Actor, path: str, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[user.id]}"}
        return self.client.post(path, json=body, headers=headers)

    def page(self, user: Actor, path: str) -> Any:
        cookie = {"Cookie": f"lishu_session={self.tokens[user.id]}"}
        return self.client.get(path, headers=cookie, follow_redirects=False)

    def head(self) -> int:
        return int(self.services.loop.app.recorder.max_notification_id() or 0)


def service_settings(database_url: str, **settings: Any) -> ApiSettings:
    """Settings of a service in process: demo mode (the copies hold the demo), the
    test client's host allowed, and ``settings``."""
    given = {"demo": True, "allowed_hosts": ["testserver"], **settings}
    if database_url.startswith("postgresql") and "keys_file" not in given:
        given["keys_file"] = str(keys_file_of_tests())  # not the working directory's
    return ApiSettings(database_url=database_url, **given)


@contextmanager
def in_process(database_url: str, **settings: Any) -> Iterator[Api]:
    """The service in process on ``database_url``, with these settings."""
    with TestClient(create_app(service_settings(database_url, **settings))) as client:
        yield Api(client)


@pytest.fixture
def api(database: str) -> Iterator[Api]:
    with in_process(database) as client:
        yield client


@pytest.fixture(scope="session")
def tokens() -> Tokens:
    return Tokens()


@pytest.fixture(scope="module")
def server(seeded: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``lishu serve`` on a copy of the seeded database, one for the module."""
    running = Server(copy_database(seeded, tmp_path_factory.mktemp("served"))).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def http(server: Server, tokens: Tokens) -> Iterator[Http]:
    client = Http(server.url, tokens)
    try:
        yield client
    finally:
        client.close()
