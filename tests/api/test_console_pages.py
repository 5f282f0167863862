"""The console's pages over HTTP, without a browser: the session cookie, CSRF,
languages, and refusals shown as pages in the API's words."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from api.seed import DEMO_PASSWORD
from tests.api.conftest import Api


def log_in(client: TestClient, username: str) -> None:
    answer = client.post(
        "/login", data={"username": username, "password": DEMO_PASSWORD}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page)
    assert found is not None
    return found.group(1)


def test_the_session_cookie_holds_the_apis_token_out_of_scripts_reach(api: Api) -> None:
    answer = api.client.post(
        "/login", data={"username": "o-xf-li", "password": DEMO_PASSWORD}, follow_redirects=False
    )
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("lishu_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    token = cookie.split("=", 1)[1].split(";")[0]
    me = api.client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["username"] == "o-xf-li"
    assert answer.headers["location"] == "/"
    assert api.client.get("/", follow_redirects=False).headers["location"] == "/board"


def test_a_wrong_password_is_refused_in_the_apis_words(api: Api) -> None:
    answer = api.client.post("/login", data={"username": "o-xf-li", "password": "x" * 9})
    assert answer.status_code == 401
    assert "用户名或密码错误，或账号已停用" in answer.text


def test_pages_need_a_log_in_and_come_back_after_it(api: Api) -> None:
    answer = api.client.get("/board?module=anti_fraud", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/board%3Fmodule%3Danti_fraud"


def test_a_form_without_the_sessions_csrf_token_is_refused(api: Api) -> None:
    log_in(api.client, "o-xf-li")
    incident = api.services.views.queries.backlog("lishu/chaoyang/xingfu")[0]["incident_id"]
    path = f"/incidents/{incident}/steps/accept"
    head = api.services.flow.app.recorder.max_notification_id()
    for token in (None, "0" * 64):
        data = {"csrf_token": token} if token else {}
        answer = api.client.post(path, data=data)
        assert answer.status_code == 403
        assert "表单已过期或来源不明" in answer.text
    assert api.services.flow.app.recorder.max_notification_id() == head
    page = api.client.get(f"/incidents/{incident}").text
    assert csrf_of(page) != "0" * 64


def test_a_log_in_posted_from_another_site_is_refused(api: Api) -> None:
    answer = api.client.post(
        "/login",
        data={"username": "o-xf-li", "password": DEMO_PASSWORD},
        headers={"Origin": "http://elsewhere.example"},
    )
    assert answer.status_code == 403
    assert "lishu_session" not in answer.headers.get("set-cookie", "")


def test_a_page_the_api_refuses_says_why_in_the_chosen_language(api: Api) -> None:
    log_in(api.client, "v-xf-liu")
    answer = api.client.get("/board")
    assert answer.status_code == 403
    assert "无权查看单位 lishu/chaoyang/xingfu 的数据" in answer.text
    english = api.client.get("/board?lang=en")
    assert "may not read the data of unit lishu/chaoyang/xingfu" in english.text
    assert "lishu_lang=en" in english.headers["set-cookie"]
    assert '<html lang="en">' in api.client.get("/me").text  # remembered


def test_unknown_console_paths_are_pages_and_api_paths_stay_json(api: Api) -> None:
    page = api.client.get("/nowhere")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "没有这个地址" in page.text
    assert api.client.get("/api/nowhere").json()["code"] == "not_found"


def test_the_steps_offered_are_the_apis_allowed_steps(api: Api) -> None:
    log_in(api.client, "o-xf-li")
    for row in api.services.views.queries.backlog("lishu/chaoyang/xingfu"):
        incident = row["incident_id"]
        offered = re.findall(
            r'data-step="([a-z_]+)"', api.client.get(f"/incidents/{incident}").text
        )
        allowed = api.get("o-xf-li", f"/api/incidents/{incident}").json()["allowed_steps"]
        assert offered == allowed


def test_the_office_logs_an_urgent_phone_report_for_a_volunteer(api: Api) -> None:
    log_in(api.client, "a-xf-yang")
    form = api.client.get("/report").text
    assert 'name="urgency"' in form
    key = re.search(r'name="key" value="([^"]+)"', form)
    assert key is not None
    data = {
        "csrf_token": csrf_of(form),
        "key": key.group(1),
        "module": "dispute_screening",
        "sense": "heard",
        "what": "两户邻居争吵升级，有人持械",
        "where": "幸福小区8栋",
        "channel": "phone",
        "urgency": "urgent",
        "reporter_id": "v-xf-zhou",
    }
    first = api.client.post("/report", data=data, follow_redirects=False)
    assert first.status_code == 303
    again = api.client.post("/report", data=data, follow_redirects=False)  # resubmitted
    assert again.headers["location"] == first.headers["location"]
    incident = first.headers["location"].split("/")[2].split("?")[0]
    view = api.get("o-xf-li", f"/api/incidents/{incident}").json()["incident"]
    assert (view["urgency"], view["channel"], view["reporter_id"]) == (
        "urgent",
        "phone",
        "v-xf-zhou",
    )


def test_a_volunteers_report_form_offers_no_urgency_the_api_would_refuse(api: Api) -> None:
    log_in(api.client, "v-xf-liu")
    form = api.client.get("/report").text
    assert 'name="urgency"' not in form
    assert 'name="channel"' not in form
