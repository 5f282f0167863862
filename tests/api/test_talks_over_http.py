"""Talk orders over HTTP, in process on a copy of the seeded demo: a resident
orders on the public form, the station accepts (and only then sees place and
contact), schedules, delivers; the orderer confirms and rates by private links
that work once. Refusals are coded zh/en bodies that store nothing; an order the
caller may not know of answers 404."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from tests.api.conftest import Api, head, refused
from tests.support import CHINA, FakeClock

NOW = datetime(2026, 9, 1, 9, 0, tzinfo=CHINA)
START = NOW + timedelta(days=6)
STATION = "s-cy-wang"


def caught_up(api: Api) -> None:
    assert api.services.views.runner.wait_for(head(api), 30)


def order_by_form(api: Api, item: str) -> str:
    """The public form sent as a resident would; the private link it leads to."""
    caught_up(api)
    form = api.client.get("/public/talks")
    assert form.status_code == 200
    assert "防范电信网络诈骗" in form.text
    token = re.search(r'name="token" value="([^"]+)"', form.text)
    assert token is not None
    sent = api.client.post(
        "/public/talks",
        data={
            "token": token.group(1),
            "item": f"lishu/chaoyang|{item}",
            "community": "lishu/chaoyang/xingfu",
            "orderer_kind": "school",
            "window_from": "2026-09-05",
            "window_to": "2026-09-10",
            "place": "幸福小学操场",
            "name": "李老师",
            "phone": "13900002222",
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    location = sent.headers["location"]
    assert location.startswith("/public/talks/o/")
    return location.removeprefix("/public/talks/o/").split("?")[0]


def test_an_order_from_the_public_form_to_its_rating(api: Api) -> None:
    clock = FakeClock(NOW)
    api.services.loop.app.clock = clock
    item = api.post(
        STATION,
        "/api/talks/menu",
        {
            "theme": "anti_fraud",
            "title": "防范电信网络诈骗",
            "format": "market_talk",
            "minutes": 60,
            "audience": "师生家长",
            "speakers": ["v-xf-liu", "v-xf-chen"],
        },
    )
    assert item.status_code == 201, item.text
    link = order_by_form(api, item.json()["item_id"])
    page = api.client.get(f"/public/talks/o/{link}")
    assert page.status_code == 200
    assert "待接单" in page.text

    listed = api.get(STATION, "/api/talks/orders", wait_for=head(api)).json()["items"]
    assert len(listed) == 1
    order_id = listed[0]["order_id"]
    assert "幸福小学操场" not in str(listed)
    path = f"/api/talks/orders/{order_id}"
    assert api.get(STATION, path).json()["place"] is None
    assert api.get("v-xf-liu", path).status_code == 404
    before = head(api)
    refused(
        api, 422, "invalid_input", api.post(STATION, f"{path}/decline", {"reason": " "}), before
    )
    refused(api, 404, "talk_order_not_found", api.post("v-xf-liu", f"{path}/acceptance"), before)

    key = {"Idempotency-Key": "accept-talk-1"}
    first = api.post(STATION, f"{path}/acceptance", None, **key)
    assert first.status_code == 200, first.text
    after = head(api)
    again = api.post(STATION, f"{path}/acceptance", None, **key)
    assert again.json() == {**first.json(), "replayed": True}
    assert head(api) == after
    seen = api.get(STATION, path).json()
    assert (seen["place"], seen["contact"]["phone"]) == ("幸福小学操场", "13900002222")

    scheduled = api.post(
        STATION, f"{path}/schedule", {"starts_at": START.isoformat(), "speakers": ["v-xf-liu"]}
    )
    assert scheduled.status_code == 200, scheduled.text
    task = scheduled.json()["task_id"]
    confirmed = api.client.post(f"/public/talks/o/{link}/confirm", follow_redirects=False)
    assert confirmed.status_code == 303
    assert api.client.get(f"/public/talks/o/{link}").status_code == 404  # used
    fresh = confirmed.headers["location"]
    assert "已确认" in api.client.get(fresh).text

    clock.now = START
    checked = api.post(STATION, f"/api/tasks/{task}/check-ins", {"volunteer_id": "v-xf-liu"})
    assert checked.status_code == 200, checked.text
    clock.now = START + timedelta(minutes=60)
    api.post(STATION, f"/api/tasks/{task}/check-outs", {"volunteer_id": "v-xf-liu"})
    delivered = api.post(
        STATION,
        f"{path}/delivery",
        {"reach": 260, "questions": 18, "topics_on_site": {"刷单返利": 6}},
    )
    assert delivered.status_code == 200, delivered.text
    assert "link" not in delivered.json()  # a kept answer never holds a private link
    assert api.get("v-xf-liu", f"{path}/link").status_code == 404
    rating = api.get(STATION, f"{path}/link", purpose="rate").json()["path"]
    assert rating.startswith("/public/talks/r/")
    assert api.client.get(rating).status_code == 200
    assert api.client.post(rating, data={"stars": "5"}).status_code == 200
    assert api.client.post(rating, data={"stars": "1"}).status_code == 404
    assert api.get(STATION, f"{path}/link", purpose="rate").json()["path"] is None  # used
    reach = api.get(STATION, "/api/talks/reach", wait_for=head(api)).json()
    assert reach["by_theme"] == [{"theme": "anti_fraud", "talks": 1, "reach": 260, "questions": 18}]
    assert reach["site_topics"] == {"刷单返利": 6}
    assert api.get(STATION, path).json()["rating"] == 5


def test_a_bad_public_order_is_shown_again_with_its_reason_and_stores_nothing(api: Api) -> None:
    api.services.loop.app.clock = FakeClock(NOW)
    caught_up(api)
    form = api.client.get("/public/talks")
    token = re.search(r'name="token" value="([^"]+)"', form.text)
    assert token is not None
    before = head(api)
    sent = api.client.post(
        "/public/talks",
        data={"token": token.group(1), "item": "lishu/chaoyang|nothing", "community": "x",
              "orderer_kind": "school", "window_from": "2026-09-05", "window_to": "2026-09-10",
              "place": "操场", "phone": "13900002222"},
    )  # fmt: skip
    assert sent.status_code == 400
    assert "data-refused" in sent.text
    assert head(api) == before
    assert api.client.get("/public/talks/o/" + "0" * 32 + ".forged").status_code == 404


def test_the_menu_suggests_the_themes_whose_reports_rose_in_the_place(api: Api) -> None:
    clock = FakeClock(datetime(2027, 2, 10, 9, 0, tzinfo=CHINA))
    api.services.loop.app.clock = clock
    report = {"sense": "heard", "where": "幸福小区", "channel": "app"}
    made = api.post("v-xf-liu", "/api/incidents", {**report, "module": "traffic_safety",
                                                   "what": "路口红绿灯坏了"})  # fmt: skip
    assert made.status_code == 201, made.text
    clock.now = datetime(2027, 3, 15, 9, 0, tzinfo=CHINA)
    for what in ("冒充客服退款电话", "刷单返利短信"):
        clock.tick()
        api.post("v-xf-liu", "/api/incidents", {**report, "module": "anti_fraud", "what": what})
    shown = api.get(
        STATION, "/api/talks/suggestions", unit="lishu/chaoyang/xingfu", wait_for=head(api)
    )
    assert shown.status_code == 200, shown.text
    assert shown.json()["items"] == [
        {
            "theme": "anti_fraud",
            "theme_zh": "防范电信网络诈骗",
            "module": "anti_fraud",
            "this_month": 2,
            "last_month": 0,
        }
    ]  # fmt: skip  (traffic reports fell: not suggested)
    assert api.get("v-xf-liu", "/api/talks/suggestions").status_code == 403
