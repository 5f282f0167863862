"""Browser tests: Debian's Chromium, driven by Playwright, against a real server.

Each test gets its own uvicorn process on a free loopback port, serving a copy
of the session's seeded demo database. Chromium is the system's
(``/usr/bin/chromium``, installed by ``scripts/chromium-up``); Playwright never
downloads a browser. Without it these tests skip, which fails in CI.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.seed import DEMO_PASSWORD

CHROMIUM = Path(os.environ.get("LISHU_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "reports" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def api(self, username: str) -> httpx.Client:
        """An HTTP client logged in to the API as ``username``."""
        client = httpx.Client(base_url=self.url, timeout=30)
        answer = client.post(
            "/api/auth/login", json={"username": username, "password": DEMO_PASSWORD}
        )
        assert answer.status_code == 200, answer.text
        client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        return client


def wait_until_serving(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the server stopped:\n{server.log.read_text()}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer in {timeout} s:\n{server.log.read_text()}")


def start_server(command: list[str], cwd: Path, env: dict[str, str], timeout: float) -> Server:
    port = free_port()
    log = cwd / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        wait_until_serving(server, timeout)
    except BaseException:
        stop(server)
        raise
    return server


def stop(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


def server_env(**extra: str) -> dict[str, str]:
    """This environment without any LISHU_ setting of its own, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LISHU_")}
    return {**env, **extra}


@pytest.fixture
def server(seeded: Path, tmp_path: Path) -> Iterator[Server]:
    """uvicorn serving the app (``lishu serve`` runs the same factory) on a copy of
    the seeded demo database."""
    for each in seeded.iterdir():
        shutil.copy(each, tmp_path / each.name)
    env = server_env(LISHU_DATABASE_URL=f"sqlite:///{tmp_path}/lishu.db", LISHU_DEMO="true")
    command = [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app"]
    running = start_server(command, tmp_path, env, timeout=60)
    yield running
    stop(running)
    print(running.log.read_text(errors="replace")[-6000:])  # shown when the test fails


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium, for one test module: Playwright's synchronous API runs an event loop
    in this thread while it is open, which tests after these must not find."""
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: run scripts/chromium-up (as root on Debian)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


Login = Callable[..., Any]


@pytest.fixture
def login(browser: Any, server: Server) -> Iterator[Login]:
    """``login(username, phone=False)``: a page of a fresh browser context, logged in
    through the console's own log-in form."""
    contexts: list[Any] = []

    def open_as(username: str, *, phone: bool = False, lang: str | None = None) -> Any:
        context = browser.new_context(
            viewport=PHONE if phone else DESKTOP,
            device_scale_factor=2 if phone else 1,
            is_mobile=phone,
            has_touch=phone,
            locale="zh-CN",
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{server.url}/login" + (f"?lang={lang}" if lang else ""))
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)
        return page

    yield open_as
    for context in contexts:
        context.close()


def shot(page: Any, name: str) -> None:
    """Keep a full-page screenshot as a test artefact (reports/screenshots/)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
