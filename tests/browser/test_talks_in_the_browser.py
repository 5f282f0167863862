"""A talk ordered, answered, given and rated in the browser (群众点单、民警接单): a
school orders on the public form on a phone and keeps its private link; the
station accepts (and only then sees the place and the phone), schedules a
speaker, records the talk given; the rating link it is shown opens a one-click
rating page on the orderer's phone, which works once.

The service runs in this process on a copy of the seeded demo, on a clock the
test moves (the loop's clock; log-ins keep real time)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from api.routes.talks import talks
from tests.browser.conftest import shot
from tests.browser.test_tasks_in_the_browser import DESKTOP, PHONE, Served, open_as, served
from tests.support import CHINA

__all__ = ["served"]  # the fixture, shared with the tasks' browser test


def wait_for_text(page: Any, selector: str, text: str) -> None:
    for _ in range(50):  # the orders are a read model: it follows at once
        if page.locator(selector).count() and text in page.locator(selector).first.inner_text():
            return
        page.reload()
    raise AssertionError(f"{text!r} never shown in {selector}")


def test_an_order_on_a_phone_is_accepted_scheduled_delivered_and_rated(
    browser: Any, served: Served
) -> None:
    assert PHONE != DESKTOP
    today = datetime.now(CHINA).date()
    served.clock.now = datetime.now(CHINA)
    served.post(
        "s-cy-wang",
        "/api/talks/menu",
        {
            "theme": "campus",
            "title": "校园安全与防欺凌",
            "format": "school_lecture",
            "minutes": 45,
            "audience": "小学生",
            "speakers": ["v-xf-liu", "v-xf-chen"],
        },
    )

    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    context.set_default_timeout(15_000)
    orderer = context.new_page()
    orderer.goto(f"{served.url}/public/talks")
    for _ in range(50):
        if orderer.locator("select[name=item] option").count():
            break
        orderer.reload()
    orderer.select_option("select[name=community]", "lishu/chaoyang/xingfu")
    orderer.select_option("select[name=orderer_kind]", "school")
    orderer.fill("input[name=window_from]", (today + timedelta(days=2)).isoformat())
    orderer.fill("input[name=window_to]", (today + timedelta(days=5)).isoformat())
    orderer.fill("input[name=place]", "幸福小学礼堂")
    orderer.fill("input[name=name]", "张校长")
    orderer.fill("input[name=phone]", "13900004444")
    shot(orderer, "talk-order-form-phone")
    with orderer.expect_navigation():
        orderer.locator("form[action='/public/talks'] button[type=submit]").click()
    assert "/public/talks/o/" in orderer.url
    assert orderer.locator("[data-status]").get_attribute("data-status") == "ordered"
    assert orderer.locator("[data-sent]").count() == 1

    station = open_as(browser, served, "s-cy-wang", phone=False)
    station.goto(f"{served.url}/talks")
    wait_for_text(station, "[data-order]", "校园安全与防欺凌")
    row = station.locator("[data-order]").first
    order_id = row.get_attribute("data-order")
    assert "幸福小学礼堂" not in row.inner_text()  # not before it is accepted
    with station.expect_navigation():
        row.locator("form[data-accept] button").click()
    wait_for_text(station, f"[data-order='{order_id}']", "幸福小学礼堂")

    start = datetime(today.year, today.month, today.day, 9, 0, tzinfo=CHINA) + timedelta(days=3)
    row = station.locator(f"[data-order='{order_id}']")
    row.locator("input[name=starts_at]").fill(start.strftime("%Y-%m-%dT%H:%M"))
    row.locator("form[data-schedule] input[name=speakers]").fill("v-xf-liu")
    with station.expect_navigation():
        row.locator("form[data-schedule] button").click()
    wait_for_text(station, f"[data-order='{order_id}'] .stage", "已排期")
    task = talks(served.services).get(order_id).task_id  # type: ignore[arg-type]
    assert task is not None

    served.clock.now = start
    served.post("s-cy-wang", f"/api/tasks/{task}/check-ins", {"volunteer_id": "v-xf-liu"})
    served.clock.now = start + timedelta(minutes=45)
    served.post("s-cy-wang", f"/api/tasks/{task}/check-outs", {"volunteer_id": "v-xf-liu"})
    station.reload()
    row = station.locator(f"[data-order='{order_id}']")
    row.locator("input[name=reach]").fill("320")
    row.locator("input[name=questions]").fill("21")
    row.locator("input[name=topics]").fill("网络欺凌:7，防拐骗:4")
    with station.expect_navigation():
        row.locator("form[data-deliver] button").click()
    link = station.locator("[data-rating-link]").get_attribute("href")
    assert link is not None
    assert "/public/talks/r/" in link
    shot(station, "talk-orders-station")

    orderer.goto(link)
    with orderer.expect_navigation():
        orderer.locator("[data-stars='4']").click()
    assert "谢谢您的评价" in orderer.content()
    again = orderer.goto(link)
    assert again is not None
    assert again.status == 404  # the link works once
    wait_for_text(station, f"[data-order='{order_id}']", "4星")
    assert "320人次" in station.locator(f"[data-order='{order_id}']").inner_text()
    context.close()
