"""``make run`` (``lishu serve``) on a machine with no data: the console shows the
demo county at first start."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.seed import DEMO_PASSWORD
from tests.browser.conftest import DESKTOP, Server, server_env, shot, start_server, stop

SEEDED_INCIDENTS = ("超市门口有人抢夺挎包", "楼道堆放大量杂物，堵塞消防通道")


@pytest.fixture
def first_start(tmp_path: Path) -> Iterator[Server]:
    """``lishu serve --demo`` (``make run``) in an empty folder, with the default
    database URL."""
    lishu = Path(sys.executable).with_name("lishu")
    running = start_server([str(lishu), "serve", "--demo"], tmp_path, server_env(), timeout=240)
    yield running
    stop(running)
    print(running.log.read_text(errors="replace")[-4000:])


def test_the_served_console_shows_the_demo_at_first_start(
    browser: Any, first_start: Server
) -> None:
    assert (Path(first_start.log).parent / "lishu.db").exists()
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(first_start.url)
        assert page.url.endswith("/login")
        assert "s-cy-wang" in page.locator(".demo").text_content()  # demo log-ins listed
        shot(page, "login")
        page.fill("input[name=username]", "s-cy-wang")
        page.fill("input[name=password]", DEMO_PASSWORD)
        with page.expect_navigation():
            page.click("form[action='/login'] button[type=submit]")
        assert page.url.endswith("/board")
        board = page.locator("#columns").inner_text()
        for what in SEEDED_INCIDENTS:
            assert what in board
        assert int(page.locator("[data-open]").get_attribute("data-open")) >= 15
        shot(page, "station-board")
    finally:
        context.close()
