"""The public report form's "使用我的位置" button, in Chromium with its geolocation
overridden: the browser's position fills the hidden lat/long fields and the
report is placed in the community whose registered centre is nearest, whatever
community the form had selected. Without scripts the button stays hidden and the
form still works, by the community chosen."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import PHONE, Server, shot
from tests.browser.helpers import post

XINGFU = "lishu/chaoyang/xingfu"
EAST = {"code": "lishu/chaoyang/dongshan", "name": "东山社区", "centre": [43.300, 124.400]}
WEST = {"code": "lishu/chaoyang/xishan", "name": "西山社区", "centre": [43.300, 124.300]}
NEAR_WEST = {"latitude": 43.301, "longitude": 124.31}


@pytest.fixture
def centres(server: Server) -> None:
    """Two communities of 朝阳派出所 with their centres, 8 km apart."""
    units = [{**unit, "kind": "community", "parent": "lishu/chaoyang"} for unit in (EAST, WEST)]
    post(server, "admin", "/api/organisation/units", {"units": units})


@pytest.fixture
def resident(browser: Any) -> Iterator[Any]:
    """``resident(scripts=True)``: a phone's page, at a point near 西山社区's centre,
    geolocation allowed."""
    contexts: list[Any] = []

    def opened(*, scripts: bool = True) -> Any:
        context = browser.new_context(
            viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
            locale="zh-CN", geolocation=NEAR_WEST, permissions=["geolocation"],
            java_script_enabled=scripts,
        )  # fmt: skip
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield opened
    for context in contexts:
        context.close()


def fill_and_send(page: Any, what: str) -> None:
    page.select_option("select[name=community]", XINGFU)
    page.fill("textarea[name=what]", what)
    page.fill("input[name=where]", "西山路口")
    page.fill("input[name=phone]", "13904439912")
    with page.expect_navigation():
        page.click("form[data-locate] button[type=submit]")
    assert "/public/status/" in page.url


def community_holding(server: Server, what: str, timeout: float = 20) -> list[str]:
    """The communities whose case lists (the county officer's view) hold ``what``,
    once the read models have it."""
    api = server.api("k-ls-gao")
    deadline = time.monotonic() + timeout
    try:
        while True:
            found = []
            for unit in (XINGFU, EAST["code"], WEST["code"]):
                answer = api.get("/api/incidents", params={"unit": unit})
                assert answer.status_code == 200, answer.text
                if what in answer.text:
                    found.append(unit)
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.3)
    finally:
        api.close()


@pytest.mark.usefixtures("centres")
def test_my_location_places_the_report_in_the_nearest_community(
    resident: Any, server: Server
) -> None:
    page = resident()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    page.goto(f"{server.url}/public/report")
    button = page.locator("[data-locate-button]")
    assert button.is_visible()
    assert button.inner_text() == "使用我的位置"
    assert page.input_value("input[name=lat]") == ""
    button.click()
    page.wait_for_selector("[data-locate-status=located]")
    assert page.input_value("input[name=lat]") == "43.301000"
    assert page.input_value("input[name=long]") == "124.310000"
    shot(page, "public-report-my-location")
    fill_and_send(page, "西山路口井盖缺失，夜里很危险")
    assert community_holding(server, "西山路口井盖缺失") == [WEST["code"]]
    assert refused == []


@pytest.mark.usefixtures("centres")
def test_without_scripts_the_form_reports_in_the_community_chosen(
    resident: Any, server: Server
) -> None:
    page = resident(scripts=False)
    page.goto(f"{server.url}/public/report")
    assert not page.locator("[data-locate-button]").is_visible()
    fill_and_send(page, "幸福小区北门台阶破损")
    assert community_holding(server, "幸福小区北门台阶破损") == [XINGFU]
