"""The public report form and the status page reached by its private link: no
log-in, one report however often the form is sent, limited per phone, plain
zh-CN, nothing the officers wrote and no phone number on the page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from api.routes.public_report import incident_of
from tests.api.conftest import Api, in_process
from tests.api.test_console_pages import log_in

XINGFU = "lishu/chaoyang/xingfu"


@pytest.fixture
def api(database: str) -> Iterator[Api]:
    with in_process(database) as client:
        yield client


def token_of(page: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def send(api: Api, token: str, **given: str) -> Any:
    form = {
        "token": token,
        "community": XINGFU,
        "module": "hazard_screening",
        "what": "小区东门路灯不亮，晚上很黑",
        "where": "幸福小区东门",
        "phone": "13904439911",
        "name": "李大爷",
        **given,
    }
    return api.client.post("/public/report", data=form, follow_redirects=False)


def head(api: Api) -> int | None:
    position: int | None = api.services.loop.app.recorder.max_notification_id()
    return position


def test_the_form_needs_no_log_in_and_says_to_call_110_when_urgent(api: Api) -> None:
    page = api.client.get("/public/report")
    assert page.status_code == 200
    assert "紧急情况请直接拨打110" in page.text
    assert 'name="phone"' in page.text
    assert token_of(page.text) != token_of(api.client.get("/public/report").text)


def test_a_report_from_the_form_is_followed_by_its_private_link_to_its_result(
    api: Api,
) -> None:
    token = token_of(api.client.get("/public/report").text)
    sent = send(api, token)
    assert sent.status_code == 303
    link = sent.headers["location"].split("?")[0]
    assert link == f"/public/status/{token}"
    page = api.client.get(link)
    assert page.status_code == 200
    assert 'data-phase="received"' in page.text
    assert "小区东门路灯不亮" in page.text
    assert "13904439911" not in page.text
    assert "李大爷" not in page.text
    assert page.headers["cache-control"] == "no-store"

    incident = str(incident_of(api.services, token))
    assert token not in incident  # the id an officer sees does not lead to the link
    officer_view = api.get("o-xf-li", f"/api/incidents/{incident}").json()
    resident = officer_view["incident"]["resident"]
    assert resident["fields"] == {"name": "李大爷", "phone": "13904439911"}
    assert api.post("o-xf-li", f"/api/incidents/{incident}/accept", {}).status_code == 200
    assert 'data-phase="handling"' in api.client.get(link).text
    outcome = {"summary": "内部：联系供电所更换灯泡，费用由物业承担"}
    assert api.post("o-xf-li", f"/api/incidents/{incident}/outcome", outcome).status_code == 200
    done = api.client.get(link).text
    assert 'data-phase="done"' in done
    assert "已处理完毕" in done
    assert "供电所" not in done
    assert api.post("o-xf-li", f"/api/incidents/{incident}/close", {}).status_code == 200
    assert 'data-phase="done"' in api.client.get(link).text


def test_a_form_sent_twice_makes_one_report(api: Api) -> None:
    token = token_of(api.client.get("/public/report").text)
    first = send(api, token)
    after_first = head(api)
    again = send(api, token)
    assert first.headers["location"] == again.headers["location"]
    assert head(api) == after_first


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ({"phone": ""}, "请填写手机号"),
        ({"phone": "call me"}, "电话号码格式不正确"),
        ({"module": "fireworks"}, "module"),
        ({"community": "lishu/chaoyang"}, "社区"),
        ({"token": "short"}, "表单已过期"),
        ({"what": ""}, "what"),
    ],
)
def test_a_bad_form_is_shown_again_with_the_reason_and_stores_nothing(
    api: Api, given: dict[str, str], shown: str
) -> None:
    token = given.pop("token", None) or token_of(api.client.get("/public/report").text)
    before = head(api)
    answered = send(api, token, **given)
    assert answered.status_code == 400
    assert "data-refused" in answered.text
    assert shown in answered.text
    assert head(api) == before


def test_reports_are_limited_per_phone(api: Api) -> None:
    for _ in range(5):
        token = token_of(api.client.get("/public/report").text)
        assert send(api, token, phone="13904430000").status_code == 303
    before = head(api)
    token = token_of(api.client.get("/public/report").text)
    refused = send(api, token, phone="13904430000")
    assert refused.status_code == 400
    assert "提交过于频繁" in refused.text
    assert head(api) == before


def test_a_status_link_that_was_never_given_finds_nothing(api: Api) -> None:
    token = token_of(api.client.get("/public/report").text)
    assert api.client.get(f"/public/status/{token}").status_code == 404
    assert api.client.get("/public/status/x").status_code == 404


def test_the_console_shows_a_residents_report_to_the_officer_and_hides_the_phone_from_the_cadre(
    api: Api,
) -> None:
    token = token_of(api.client.get("/public/report").text)
    send(api, token)
    incident = incident_of(api.services, token)
    log_in(api.client, "o-xf-li")
    page = api.client.get(f"/incidents/{incident}")
    assert page.status_code == 200, page.text
    assert "小区东门路灯不亮" in page.text
    api.client.cookies.clear()
    log_in(api.client, "c-xf-sun")
    cadre = api.client.get(f"/incidents/{incident}")
    assert cadre.status_code == 200, cadre.text
    assert "13904439911" not in cadre.text
    assert "李大爷" not in cadre.text


def test_a_form_sent_again_with_other_details_is_refused_and_stores_nothing(api: Api) -> None:
    token = token_of(api.client.get("/public/report").text)
    assert send(api, token).status_code == 303
    before = head(api)
    for changed in ({"what": "另一件事"}, {"phone": "13904430000"}, {"name": "王大妈"}):
        refused = send(api, token, **changed)
        assert refused.status_code == 400
        assert 'data-refused="report_id_reused"' in refused.text
    assert head(api) == before
    assert send(api, token).status_code == 303  # the same again still finds it
