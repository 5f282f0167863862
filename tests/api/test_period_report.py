"""The period report: each figure of its summary equals the row count, sum or
median of its drill-down sheet (read back with openpyxl), the figures count what
the API lists, and a closed period's report is the same file when made twice."""

from __future__ import annotations

import hashlib
import io
import re
import statistics
from datetime import datetime, timedelta
from typing import Any

import openpyxl

from api.export_columns import ATTENDANCE, BACKLOG, INCIDENTS, LEDGER
from api.period_report import HOURS, STANDINGS, TALKS, about
from loop import demo
from tests.api.conftest import Api
from tests.support import CHINA, FakeClock

STATION_OFFICER = demo.STATION_OFFICER.id
KEYS = {
    c.header: c.key for c in (*INCIDENTS, *BACKLOG, *LEDGER, *ATTENDANCE, *STANDINGS, HOURS, *TALKS)
}
HAZARD = {"module": "hazard_screening", "sense": "seen", "where": "幸福小区", "channel": "app"}


def sheets_of(body: bytes) -> dict[str, Any]:
    return {sheet.title: sheet for sheet in openpyxl.load_workbook(io.BytesIO(body)).worksheets}


def drill_rows(sheet: Any) -> list[dict[str, Any]]:
    header, *lines = list(sheet.iter_rows(values_only=True))
    return [dict(zip([KEYS[h] for h in header], line, strict=True)) for line in lines]


def summary_of(sheets: dict[str, Any]) -> list[dict[str, Any]]:
    lines = list(sheets["汇总"].iter_rows(values_only=True))
    keys = ["figure", "value", "about", "unit", "definition", "sheet", "filter", "count"]
    return [dict(zip(keys, line, strict=True)) for line in lines[2:]]


def recount(figure: dict[str, Any], rows: list[dict[str, Any]]) -> int:
    """The figure again, from its drill-down sheet as the summary says to count it."""
    if figure["filter"] != "全部":
        key, _, value = figure["filter"].partition(" = ")
        rows = [r for r in rows if str(r[key]) == value]
    how = figure["count"]
    if how == "rows":
        return len(rows)
    sign, _, column = how.partition(":")
    if sign == "distinct":
        return len({r[column] for r in rows})
    column, _, divisor = column.partition("/")
    values = [r[column] for r in rows if r[column] is not None]
    if divisor:
        return sum(values) // int(divisor)
    if sign == "median":
        return int(statistics.median_low(values))
    return sum(values) if sign == "sum" else -sum(values)


def report(api: Api, period: str, **params: Any) -> Any:
    answer = api.get(STATION_OFFICER, "/api/exports/report", period=period, **params)
    assert answer.status_code == 200, answer.text
    return answer


def test_every_figure_equals_its_drill_down_and_counts_what_the_api_lists(api: Api) -> None:
    listed = api.get(STATION_OFFICER, "/api/incidents", unit=demo.STATION, limit=500).json()
    opened = max(datetime.fromisoformat(i["opened_at"]) for i in listed["items"])
    month = opened.astimezone(CHINA).strftime("%Y-%m")  # the demo's, seeded as the tests began
    sheets = sheets_of(report(api, month, unit=demo.STATION).content)
    figures = summary_of(sheets)
    assert len(figures) >= 10
    for figure in figures:
        rows = drill_rows(sheets[figure["sheet"]])
        assert recount(figure, rows) == figure["value"], figure
        assert figure["about"] == f"{about(figure['value'])}{figure['unit']}"
    by_name = {f["figure"]: f for f in figures}
    reported = [i for i in listed["items"] if i["stage"] != "discovered"]
    assert by_name["收到警情反馈"]["value"] == len(reported) > 0
    hazards = [i for i in reported if i["module"] == "hazard_screening"]
    assert by_name["排查安全隐患"]["value"] == len(hazards)
    assert by_name["排查安全隐患"]["unit"] == "处"
    assert by_name["发放积分"]["value"] > 0
    assert by_name["参与任务"]["unit"] == "人次"
    board = api.get(STATION_OFFICER, "/api/leaderboard", period=month, limit=500).json()["items"]
    standings = drill_rows(sheets["积分排行"])
    assert [(r["rank"], r["volunteer_id"], r["score"], r["star_level"]) for r in standings] == [
        (b["rank"], b["volunteer_id"], b["score"], b["star_level"]) for b in board
    ]
    assert by_name["积分上榜义警"]["value"] == len(board) > 0


def test_the_reports_task_figures_equal_the_task_statistics(api: Api) -> None:
    from tests.api.test_exports import completed_task

    position = completed_task(api)
    sheets = sheets_of(report(api, "2026-09", unit=demo.STATION, wait_for=position).content)
    figures = summary_of(sheets)
    for figure in figures:
        assert recount(figure, drill_rows(sheets[figure["sheet"]])) == figure["value"], figure
    tasks = api.get(STATION_OFFICER, "/api/tasks/statistics", unit=demo.STATION, period="2026-09")
    minutes = tasks.json()["totals"]["minutes"]
    assert minutes == 120
    assert [f["value"] for f in figures if f["figure"] == "服务时长"] == [minutes, minutes // 60]
    by_name = {f["figure"]: f for f in figures}
    assert (by_name["开展任务"]["value"], by_name["参与任务"]["value"]) == (1, 1)


def test_a_closed_periods_report_is_the_same_file_when_made_twice(api: Api) -> None:
    app = api.services.loop.app
    real = app.clock
    app.clock = FakeClock(datetime(2026, 1, 20, 9, 0, tzinfo=CHINA))
    try:
        for n in range(3):
            made = api.post(demo.RIDER.id, "/api/incidents", {**HAZARD, "what": f"井盖缺失{n}"})
            assert made.status_code == 201, made.text
            app.clock.now += timedelta(hours=1)
    finally:
        app.clock = real
    first = report(api, "2026-01", unit=demo.XINGFU, wait_for=made.json()["position"])
    later = api.post(demo.RIDER.id, "/api/incidents", {**HAZARD, "what": "路灯不亮"}).json()
    second = report(api, "2026-01", unit=demo.XINGFU, wait_for=later["position"])
    assert first.content == second.content
    assert first.headers["x-export-digest"] == hashlib.sha256(second.content).hexdigest()
    assert first.headers["x-export-id"] != second.headers["x-export-id"]  # each recorded
    figures = {f["figure"]: f["value"] for f in summary_of(sheets_of(first.content))}
    assert figures["收到警情反馈"] == figures["排查安全隐患"] == 3
    quarter = summary_of(sheets_of(report(api, "2026-Q1", unit=demo.XINGFU).content))
    assert {f["figure"]: f["value"] for f in quarter}["收到警情反馈"] == 3


def test_the_seeds_about_form() -> None:
    assert [about(n) for n in (80, 280, 285, 1834, 132000, 132456, 36008)] == [
        "80",
        "280",
        "280余",
        "1830余",
        "132000",
        "132000余",
        "36000余",
    ]


def test_a_community_officer_gets_no_report_of_the_station(api: Api) -> None:
    answer = api.get(demo.OFFICER_XF.id, "/api/exports/report", period="2026", unit=demo.STATION)
    assert answer.status_code in (403, 404)
    bad = api.get(STATION_OFFICER, "/api/exports/report", period="2026-Q5")
    assert bad.status_code in (400, 422)


def test_the_printable_page_shows_the_workbooks_figures_and_links_it(api: Api) -> None:
    from tests.api.test_console_pages import log_in

    month = datetime.now(CHINA).strftime("%Y-%m")
    figures = summary_of(sheets_of(report(api, month, unit=demo.STATION).content))
    log_in(api.client, STATION_OFFICER)
    stats = api.client.get("/stats", params={"unit": demo.STATION, "period": month})
    assert f'href="/stats/report?unit=lishu%2Fchaoyang&amp;period={month}"' in stats.text
    page = api.client.get("/stats/report", params={"unit": demo.STATION, "period": month})
    assert page.status_code == 200
    shown = dict(re.findall(r'<td data-figure="([^"]+)">([^<]+)</td>', page.text))
    assert shown == {f["figure"]: f["about"] for f in figures}
    link = re.search(r'href="(/exports/report\?[^"]+)"', page.text)
    assert link is not None
    workbook = api.client.get(link.group(1).replace("&amp;", "&"))
    assert workbook.status_code == 200
    assert summary_of(sheets_of(workbook.content)) == figures


def closing_position_by_fold(api: Api, end: datetime) -> int:
    """The last notification dated before ``end``, by reading the whole log forwards."""
    app = api.services.loop.app
    head = app.recorder.max_notification_id() or 0
    dated = [
        (n.id, app.mapper.to_domain_event(n).timestamp)
        for n in app.recorder.select_notifications(1, head + 1)
    ]
    return max((i for i, at in dated if at < end), default=0)


def stated_position(body: bytes) -> tuple[str, int]:
    book = openpyxl.load_workbook(io.BytesIO(body))
    title = book.worksheets[0].cell(row=1, column=1).value
    found = re.search(r"(读数时)?日志位置(\d+)", title)
    assert found is not None, title
    custom = {p.name: p.value for p in book.custom_doc_props.props}
    assert custom["log_position"] == int(found.group(2))
    return ("read" if found.group(1) else "closing"), int(found.group(2))


def test_a_closed_periods_report_states_its_closing_log_position_and_keeps_it(api: Api) -> None:
    app = api.services.loop.app
    real = app.clock
    app.clock = FakeClock(datetime(2026, 1, 31, 23, 0, tzinfo=CHINA))
    try:
        made = api.post(demo.RIDER.id, "/api/incidents", {**HAZARD, "what": "月末井盖缺失"}).json()
    finally:
        app.clock = real
    first = report(api, "2026-01", unit=demo.XINGFU, wait_for=made["position"])
    end = datetime(2026, 2, 1, tzinfo=CHINA)
    closing = closing_position_by_fold(api, end)
    assert closing >= made["position"]
    assert stated_position(first.content) == ("closing", closing)
    later = api.post(demo.RIDER.id, "/api/incidents", {**HAZARD, "what": "路灯不亮"}).json()
    assert later["position"] > closing
    second = report(api, "2026-01", unit=demo.XINGFU, wait_for=later["position"])
    assert second.content == first.content
    assert stated_position(second.content) == ("closing", closing_position_by_fold(api, end))

    from tests.api.test_console_pages import log_in

    log_in(api.client, STATION_OFFICER)
    page = api.client.get("/stats/report", params={"unit": demo.XINGFU, "period": "2026-01"})
    assert f'data-log-position="{closing}" data-closing="yes"' in page.text


def test_an_open_periods_report_states_the_position_its_figures_were_read_at(api: Api) -> None:
    made = api.post(demo.RIDER.id, "/api/incidents", {**HAZARD, "what": "井盖松动"}).json()
    month = datetime.now(CHINA).strftime("%Y-%m")
    answer = report(api, month, unit=demo.XINGFU, wait_for=made["position"])
    kind, position = stated_position(answer.content)
    assert kind == "read"
    assert made["position"] <= position < int(answer.headers["x-log-position"])
