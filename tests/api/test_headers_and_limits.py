"""What every answer carries and every request must fit: security headers on every
page and answer, HSTS over https, a body limit enforced before the body is read,
trusted hosts, the proxy's forwarded headers believed only from the proxy, a
log-in from an opaque origin refused, and the API's documents served from this
site only, off in production unless asked for."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.config import ApiSettings
from api.seed import DEMO_PASSWORD
from tests.api.conftest import Api, in_process, service_settings
from tests.api.served import Server

PAGES = {
    "o-xf-li": ["/board", "/incidents", "/incidents/{incident}", "/report", "/stats", "/password"],
    "v-xf-liu": ["/me", "/report"],
    "au-ls-ma": ["/audit", "/audit/incidents/{incident}", "/stats"],
}
API = ["/api/me", "/api/incidents", "/api/backlog", "/api/incidents/{incident}", "/api/policy"]


def check_headers(answer: object, what: str, *, cached: bool = False) -> None:
    headers = answer.headers  # type: ignore[attr-defined]
    csp = headers["content-security-policy"]
    for part in ("default-src 'none'", "script-src 'self'", "style-src 'self'"):
        assert part in csp, what
    assert "frame-ancestors 'none'" in csp, what
    assert "unsafe-inline" not in csp, what
    assert headers["x-content-type-options"] == "nosniff", what
    assert headers["referrer-policy"] == "same-origin", what
    assert headers["x-frame-options"] == "DENY", what
    assert ("no-store" in headers.get("cache-control", "")) != cached, what
    assert "strict-transport-security" not in headers, what  # plain http


@pytest.fixture(scope="module")
def checked(seeded: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, str]]:
    from tests.api.served import copy_database

    database = copy_database(seeded, tmp_path_factory.mktemp("headers"))  # type: ignore[arg-type]
    with in_process(f"sqlite:///{database}") as api:
        incident = api.services.views.queries.backlog("lishu/chaoyang/xingfu")[0]["incident_id"]
        yield api, incident


def test_every_page_and_answer_carries_the_security_headers(checked: tuple[Api, str]) -> None:
    api, incident = checked
    client = api.client
    check_headers(client.get("/login"), "/login")
    check_headers(client.get("/healthz"), "/healthz")
    check_headers(client.get("/docs"), "/docs")
    check_headers(client.get("/openapi.json"), "/openapi.json")
    check_headers(client.get("/no-such-page"), "a missing page")
    check_headers(client.get("/api/no-such"), "a missing answer")
    check_headers(client.get("/static/console.css"), "a static file", cached=True)
    check_headers(client.post("/api/auth/login", json={}), "a refusal")
    for username, paths in PAGES.items():
        client.cookies.clear()
        client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
        for path in paths:
            answer = client.get(path.format(incident=incident))
            assert answer.status_code == 200, (username, path)
            check_headers(answer, f"{username} {path}")
            assert not re.search(r"<script(?![^>]*\bsrc=\"/static/)", answer.text), path
            assert " style=" not in answer.text, path  # no inline style for the CSP to block
    for path in API:
        answer = api.get("au-ls-ma", path.format(incident=incident))
        assert answer.status_code == 200, path
        check_headers(answer, path)


def test_hsts_only_over_https(database: str) -> None:
    settings = service_settings(database)
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        answer = client.get("/login")
        assert answer.headers["strict-transport-security"] == "max-age=31536000"
        logged_in = client.post(
            "/login",
            data={"username": "o-xf-li", "password": DEMO_PASSWORD},
            follow_redirects=False,
        )
        assert "secure" in logged_in.headers["set-cookie"].lower()


def test_a_ten_megabyte_body_is_refused_before_it_is_read(server: Server) -> None:
    """The server answers 413 having read the headers only: the body is never sent."""
    host, port = "127.0.0.1", int(server.url.rsplit(":", 1)[1])
    head = (
        f"POST /api/auth/login HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "Content-Type: application/json\r\nContent-Length: 10485760\r\n\r\n"
    )
    with socket.create_connection((host, port), timeout=10) as conn:
        conn.sendall(head.encode() + b"{" + b" " * 1023)
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = conn.recv(65536)
            if not chunk:
                break
            answer += chunk
    status = answer.split(b"\r\n", 1)[0]
    assert status.startswith(b"HTTP/1.1 413"), answer[:300]
    assert b'"code":"body_too_large"' in answer
    assert server.errors() == []


def test_a_body_without_a_length_is_cut_off_at_the_limit(database: str) -> None:
    with in_process(database, max_body_bytes=1000) as api:
        chunks = (b'{"username": "' + b"x" * 200 for _ in range(10))
        answer = api.client.post(
            "/api/auth/login", content=chunks, headers={"Content-Type": "application/json"}
        )
        assert answer.status_code == 413
        assert answer.json()["code"] == "body_too_large"
        check_headers(answer, "a refused body")
        small = api.client.post("/api/auth/login", json={"username": "x", "password": "y"})
        assert small.status_code == 401


def test_only_the_configured_hosts_are_answered(database: str) -> None:
    with in_process(database, allowed_hosts=["lishu.example.org"]) as api:
        assert api.client.get("/healthz").status_code == 400  # testserver is not allowed
        refused = api.client.get("/healthz", headers={"Host": "evil.example"})
        assert refused.status_code == 400
        check_headers(refused, "a refused host")
        ok = api.client.get("/healthz", headers={"Host": "lishu.example.org"})
        assert ok.status_code == 200
    assert ApiSettings().allowed_hosts == ["localhost", "127.0.0.1"]


FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}


def console_log_in(api: Api) -> object:
    return api.client.post(
        "/login",
        data={"username": "o-xf-li", "password": DEMO_PASSWORD},
        headers=FORWARDED,
        follow_redirects=False,
    )


def test_the_proxys_word_is_believed_only_from_the_proxy(database: str) -> None:
    with in_process(database) as api:  # no proxy configured: the headers are ignored
        answer = console_log_in(api)
        assert "secure" not in answer.headers["set-cookie"].lower()  # type: ignore[attr-defined]
        assert "strict-transport-security" not in answer.headers  # type: ignore[attr-defined]
    with in_process(database, forwarded_allow_ips=["testclient"]) as api:  # the proxy's word
        answer = console_log_in(api)
        assert "; secure" in answer.headers["set-cookie"].lower()  # type: ignore[attr-defined]
        assert "strict-transport-security" in answer.headers  # type: ignore[attr-defined]
        for n in range(10):
            wrong = {"username": "c-hp-he", "password": f"wrong guess {n}"}
            api.client.post("/api/auth/login", json=wrong, headers=FORWARDED)
        assert [e.client for e in api.services.log.entries("c-hp-he")] == ["203.0.113.7"]


def test_a_log_in_from_an_opaque_origin_is_refused(api: Api) -> None:
    login = {"username": "o-xf-li", "password": DEMO_PASSWORD}
    refused = api.client.post("/login", data=login, headers={"Origin": "null"})
    assert refused.status_code == 403
    assert "登录请求来源不明" in refused.text
    assert "lishu_session" not in refused.headers.get("set-cookie", "")
    same = api.client.post(
        "/login", data=login, headers={"Origin": "http://testserver"}, follow_redirects=False
    )
    assert same.status_code == 303


def test_the_documents_load_nothing_from_another_site(api: Api) -> None:
    docs = api.client.get("/docs")
    assert docs.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert sources
    assert all(s.startswith("/static/swagger/") for s in sources), sources
    assert "<script>" not in docs.text  # no inline script
    for source in sources:
        assert api.client.get(source).status_code == 200, source
    assert "validatorUrl: null" in api.client.get("/static/swagger/docs-init.js").text
    assert api.client.get("/redoc").status_code in (303, 404)


def test_the_documents_are_off_in_production_unless_asked_for(database: str) -> None:
    key = "Vx3-q8Lm_2Rt9Kp4Zs7Wd1Fh6Jb0Nc5Yg"
    base = {"environment": "production", "demo": False, "secret_key": key}
    with in_process(database, **base) as api:
        assert api.client.get("/docs").status_code in (303, 404)
        assert api.client.get("/openapi.json").status_code in (303, 404)
    with in_process(database, **base, docs=True) as api:
        assert api.client.get("/docs").status_code == 200
        assert api.client.get("/openapi.json").status_code == 200
