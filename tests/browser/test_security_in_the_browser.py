"""The Content-Security-Policy in a real browser: every page of the console, its
htmx swaps and the API's documents work with nothing refused, and the page
refuses to be framed; the console's own password page ends other log-ins."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest

from api.seed import DEMO_PASSWORD
from tests.browser.conftest import DESKTOP, Server, shot

NOW = datetime.now(UTC).isoformat()
PAGES = {
    "s-cy-wang": ["/board", "/incidents", "/stats", "/password"],
    "v-xf-liu": ["/me", "/report"],
    "au-ls-ma": [
        "/audit",
        "/audit/backlog?" + urlencode({"unit": "lishu/chaoyang", "moment": NOW}),
    ],
}


@pytest.fixture
def watched(browser: Any, server: Server) -> Iterator[tuple[Any, list[str]]]:
    """A page whose console messages about refused content are collected."""
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    context.set_default_timeout(20_000)
    page = context.new_page()
    refused: list[str] = []

    def note(message: Any) -> None:
        text = message.text
        if "Content Security Policy" in text or "Refused to" in text:
            refused.append(f"{page.url}: {text}")

    page.on("console", note)
    page.on("pageerror", lambda error: refused.append(f"{page.url}: {error}"))
    yield page, refused
    context.close()


def log_in(page: Any, server: Server, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("form[action='/login'] button[type=submit]")


def test_every_page_works_under_the_policy_with_nothing_refused(
    watched: tuple[Any, list[str]], server: Server
) -> None:
    page, refused = watched
    for username, paths in PAGES.items():
        log_in(page, server, username)
        for path in paths:
            answer = page.goto(f"{server.url}{path}")
            assert answer is not None
            assert answer.status == 200, path
            assert "script-src 'self'" in answer.headers["content-security-policy"]
    # htmx swaps the board's columns when a filter changes, under the policy
    log_in(page, server, "s-cy-wang")
    page.goto(f"{server.url}/board")
    page.wait_for_function("() => window.htmx !== undefined")
    before = page.locator("#board-view").inner_html()
    with page.expect_response(lambda r: "/board?" in r.url and r.status == 200):
        page.select_option("select[name=module]", "anti_fraud")
    page.wait_for_function(
        "before => document.querySelector('#board-view').innerHTML !== before", arg=before
    )
    assert refused == []


def test_the_documents_render_from_this_site_under_the_policy(
    watched: tuple[Any, list[str]], server: Server
) -> None:
    page, refused = watched
    elsewhere: list[str] = []
    page.on(
        "request",
        lambda r: None if r.url.startswith(server.url) else elsewhere.append(r.url),
    )
    page.goto(f"{server.url}/docs")
    page.wait_for_selector(".opblock-tag", timeout=30_000)
    assert page.locator(".opblock-tag").count() > 15  # every tag, folded
    for tag in ("incidents", "talk orders", "exports"):  # each opens to its operations
        page.locator(f".opblock-tag[data-tag^='{tag}']").click()
    page.wait_for_function("() => document.querySelectorAll('.opblock').length > 40")
    shot(page, "api-docs")
    assert elsewhere == []
    assert refused == []


def test_a_console_page_refuses_to_be_framed(browser: Any, server: Server) -> None:
    context = browser.new_context(viewport=DESKTOP)
    try:
        page = context.new_page()
        page.goto(f"{server.url}/static/console.css")  # same origin, no policy of its own
        page.set_content(f'<iframe id="f" src="{server.url}/login"></iframe>')
        page.wait_for_timeout(1500)
        frame = page.frame_locator("#f")
        assert frame.locator("input[name=username]").count() == 0
    finally:
        context.close()
