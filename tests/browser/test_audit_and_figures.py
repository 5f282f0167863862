"""The auditor's replay and past backlog, and the county's figures."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from tests.browser.conftest import Login, Server, shot
from tests.browser.helpers import open_board_showing, post, reported_via_api, rewarded_via_api

CHINA = timezone(timedelta(hours=8))


def test_the_auditors_slider_shows_the_incident_as_it_stood_at_each_version(
    login: Login, server: Server
) -> None:
    incident = rewarded_via_api(server, points=12)
    auditor = login("au-ls-ma")
    assert auditor.url.endswith("/audit")
    auditor.click(f"[data-replay='{incident}']")
    state = auditor.locator("#replay-state")
    assert state.get_attribute("data-version") == "8"
    assert state.locator("[data-state-stage]").get_attribute("data-state-stage") == "rewarded"
    shot(auditor, "auditor-replay-latest")

    auditor.locator("#version").fill("2")  # drag the slider back to the report
    auditor.wait_for_selector("#replay-state[data-version='2']")
    api = server.api("au-ls-ma")
    try:
        then = api.get(f"/api/incidents/{incident}/state", params={"version": 2}).json()
    finally:
        api.close()
    shown = auditor.locator("#replay-state [data-state-stage]").get_attribute("data-state-stage")
    assert shown == then["stage"] == "reported"
    replay = auditor.locator("#replay-state").inner_text()
    assert "第2版（共8版）" in replay
    assert "以APP录入方式反馈一般警情" in replay
    assert auditor.url.endswith("?version=2")
    shot(auditor, "auditor-replay-version-2")


def test_the_auditor_sees_a_backlog_as_it_stood_before_a_step(login: Login, server: Server) -> None:
    incident = reported_via_api(server)
    time.sleep(1.1)  # the form's moment has whole seconds: one after the report
    moment = datetime.now(CHINA)
    time.sleep(1.1)
    post(
        server,
        "o-xf-li",
        f"/api/incidents/{incident}/reject",
        {"kind": "unfounded", "reason": "查无此事"},
    )
    auditor = login("au-ls-ma")
    auditor.fill("input[name=moment]", moment.strftime("%Y-%m-%dT%H:%M:%S"))
    with auditor.expect_navigation():
        auditor.click("form[action='/audit/backlog'] button")
    row = auditor.locator(f"tr[data-incident='{incident}']")
    assert "已反馈待研判" in row.inner_text()
    shot(auditor, "auditor-backlog-as-of")
    officer = login("o-xf-li")
    open_board_showing(officer, server, incident, shown=False)  # rejected since


def test_the_county_sees_figures_and_charts_from_the_projections(
    login: Login, server: Server
) -> None:
    county = login("k-ls-gao")
    county.goto(f"{server.url}/stats")
    api = server.api("k-ls-gao")
    try:
        totals = api.get("/api/statistics").json()["totals"]
        board = api.get("/api/leaderboard").json()["items"]
    finally:
        api.close()
    for metric in ("reported", "rewarded", "points"):
        assert county.locator(f"[data-metric={metric}]").inner_text() == str(totals[metric])
    assert county.locator("svg.chart").count() == 3
    assert "巡逻防范" in county.locator("svg.chart").first.inner_html()
    first = county.locator(".leaderboard tbody tr").first.inner_text()
    assert str(board[0]["score"]) in first
    shot(county, "county-statistics")
    county.click("a.lang")
    assert county.locator("h1").inner_text().startswith("Statistics")
    county.goto(f"{server.url}/board")  # the language is remembered
    assert county.locator("h1").inner_text() == "Backlog board"
    shot(county, "county-board-english")
