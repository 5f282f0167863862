"""``make run`` (``lishu serve --demo`` with ``LISHU_DEMO_YEAR``) on a machine with
no data: the console opens on a county with a year behind it. The screenshots it
keeps (reports/screenshots/year-*.png) are those of docs/screenshots/."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from api.seed import DEMO_PASSWORD
from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    SCREENSHOTS,
    Server,
    server_env,
    shot,
    start_server,
    stop,
)


@pytest.fixture(scope="module")
def year_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """First start in year mode, in an empty folder, its read models caught up."""
    folder = tmp_path_factory.mktemp("year-demo")
    lishu = Path(sys.executable).with_name("lishu")
    env = server_env(LISHU_DEMO_YEAR="true")
    running = start_server([str(lishu), "serve", "--demo"], folder, env, timeout=300)
    try:
        settled(running)
        yield running
    finally:
        stop(running)
        print(running.log.read_text(errors="replace")[-4000:])


def settled(server: Server, timeout: float = 120) -> None:
    """Wait until the read models hold the whole year (the figures stop moving)."""
    api = server.api("k-ls-gao")
    try:
        last, deadline = None, time.monotonic() + timeout
        while time.monotonic() < deadline:
            now = api.get("/api/statistics").json()["totals"]
            if now == last and now.get("reported", 0) > 300:
                return
            last = now
            time.sleep(1.0)
        raise AssertionError(f"the read models did not settle: {last}")
    finally:
        api.close()


@pytest.fixture
def open_as(browser: Any, year_server: Server) -> Iterator[Callable[..., Any]]:
    contexts: list[Any] = []

    def logged_in(username: str, *, phone: bool = False) -> Any:
        context = browser.new_context(
            viewport=PHONE if phone else DESKTOP, device_scale_factor=2 if phone else 1,
            is_mobile=phone, has_touch=phone, locale="zh-CN",
        )  # fmt: skip
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{year_server.url}/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)
        return page

    yield logged_in
    for context in contexts:
        context.close()


def test_the_county_sees_a_years_figures_month_by_month(
    open_as: Callable[..., Any], year_server: Server
) -> None:
    api = year_server.api("k-ls-gao")
    try:
        figures = api.get("/api/statistics").json()
    finally:
        api.close()
    months = list(figures["by_month"])
    assert len(months) >= 12
    county = open_as("k-ls-gao")
    county.goto(f"{year_server.url}/stats")
    for metric in ("reported", "rewarded", "points"):
        shown = county.locator(f"[data-metric={metric}]").inner_text()
        assert shown == str(figures["totals"][metric])
    by_month = county.locator("svg.chart").nth(2).inner_html()
    for month in months[-12:]:  # the chart's last twelve months, each a column group
        assert f">{month}</text>" in by_month, month
    shot(county, "year-county-statistics")


def test_the_board_shows_overdue_cases_and_a_case_its_whole_loop(
    open_as: Callable[..., Any], year_server: Server
) -> None:
    station = open_as("s-cy-wang")
    assert station.url.endswith("/board")
    assert station.locator(".chip-overdue").count() >= 1, "a year leaves some cases late"
    assert station.locator("[data-incident]").count() >= 10
    shot(station, "year-station-board")
    officer = open_as("o-xf-li")
    api = year_server.api("o-xf-li")
    try:
        publicized = api.get("/api/publicity").json()["items"]
    finally:
        api.close()
    assert publicized
    incident = publicized[0]["incident_id"]
    officer.goto(f"{year_server.url}/incidents/{incident}")
    assert "积分存入幸福银行" in officer.locator(".timeline").inner_text()
    shot(officer, "year-officer-incident-rewarded")
    auditor = open_as("au-ls-ma")
    auditor.goto(f"{year_server.url}/audit/incidents/{incident}?version=2")
    assert auditor.locator("#replay-state").get_attribute("data-version") == "2"
    shot(auditor, "year-auditor-replay-version-2")


def test_a_volunteer_of_a_year_has_points_and_history(
    open_as: Callable[..., Any], year_server: Server
) -> None:
    volunteer = open_as("v-xf-liu", phone=True)
    balance = int(volunteer.locator("[data-balance]").get_attribute("data-balance"))
    assert balance > 0
    assert volunteer.locator("[data-incident]").count() > 5
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)  # the first screenful: the page is long
    volunteer.screenshot(path=str(SCREENSHOTS / "year-volunteer-home-phone.png"))
