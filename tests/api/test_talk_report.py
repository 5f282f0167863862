"""Reach by theme in the period report: the talks given in the period are its
宣讲 drill-down sheet, and the summary counts them, their 人次 and questions, in
all and by theme, each equal to its drill-down."""

from __future__ import annotations

from datetime import timedelta

from tests.api.conftest import Api, head
from tests.api.test_period_report import drill_rows, recount, report, sheets_of, summary_of
from tests.api.test_talks_over_http import NOW, START, STATION, order_by_form
from tests.support import FakeClock


def test_the_period_report_counts_the_talks_given_by_theme(api: Api) -> None:
    clock = FakeClock(NOW)
    api.services.loop.app.clock = clock
    item = api.post(
        STATION,
        "/api/talks/menu",
        {"theme": "anti_fraud", "title": "防范电信网络诈骗", "format": "market_talk",
         "minutes": 60, "audience": "赶集群众", "speakers": ["v-xf-liu"]},
    ).json()["item_id"]  # fmt: skip
    order_by_form(api, item)
    order_id = api.get(STATION, "/api/talks/orders", wait_for=head(api)).json()["items"][0][
        "order_id"
    ]
    path = f"/api/talks/orders/{order_id}"
    api.post(STATION, f"{path}/acceptance")
    task = api.post(
        STATION, f"{path}/schedule", {"starts_at": START.isoformat(), "speakers": ["v-xf-liu"]}
    ).json()["task_id"]
    clock.now = START
    api.post(STATION, f"/api/tasks/{task}/check-ins", {"volunteer_id": "v-xf-liu"})
    clock.now = START + timedelta(minutes=60)
    api.post(STATION, f"/api/tasks/{task}/check-outs", {"volunteer_id": "v-xf-liu"})
    delivered = api.post(STATION, f"{path}/delivery", {"reach": 1320, "questions": 42})
    assert delivered.status_code == 200, delivered.text
    assert api.services.views.runner.wait_for(head(api), 30)

    sheets = sheets_of(report(api, START.strftime("%Y-%m"), unit="lishu/chaoyang").content)
    figures = {f["figure"]: f for f in summary_of(sheets)}
    assert figures["开展宣讲"]["value"] == 1
    assert figures["宣讲覆盖"]["value"] == 1320
    assert figures["宣讲覆盖"]["about"] == "1320人次"
    assert figures["宣讲覆盖（防范电信网络诈骗）"]["value"] == 1320
    assert figures["现场答疑"]["value"] == 42
    for figure in figures.values():
        assert recount(figure, drill_rows(sheets[figure["sheet"]])) == figure["value"], figure
    earlier = sheets_of(report(api, "2026-08", unit="lishu/chaoyang").content)
    assert {f["figure"]: f["value"] for f in summary_of(earlier)}["开展宣讲"] == 0
