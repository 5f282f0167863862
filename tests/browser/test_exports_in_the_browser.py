"""The station chief takes the month's report to the meeting: from the statistics
page to the printable report, and the workbook downloaded by the browser."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import openpyxl

from tests.browser.conftest import Login, Server, shot

CHINA = timezone(timedelta(hours=8))


def test_the_station_chief_downloads_the_months_report(login: Login, server: Server) -> None:
    month = datetime.now(CHINA).strftime("%Y-%m")
    chief = login("s-cy-wang")
    chief.goto(f"{server.url}/stats?unit=lishu/chaoyang&period={month}")
    chief.click("a.report-link")
    chief.wait_for_url(lambda url: "/stats/report" in url)
    shown = {
        cell.get_attribute("data-figure"): cell.inner_text()
        for cell in chief.locator("td[data-figure]").all()
    }
    assert shown["收到警情反馈"].endswith("起")
    shot(chief, "period-report")
    with chief.expect_download() as downloading:
        chief.click("a[href^='/exports/report']")
    download = downloading.value
    assert download.suggested_filename.endswith(f"lishu-chaoyang_period-{month}.xlsx")
    with open(download.path(), "rb") as saved:  # the saved file has no extension
        book = openpyxl.load_workbook(io.BytesIO(saved.read()))
    lines = list(book["汇总"].iter_rows(values_only=True))[2:]
    assert {line[0]: line[2] for line in lines} == shown
