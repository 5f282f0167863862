"""The Happiness Bank in the volunteer's hands, and refusals in the API's words."""

from __future__ import annotations

from tests.browser.conftest import Login, Server, shot
from tests.browser.helpers import (
    offered_steps,
    post,
    reported_via_api,
    rewarded_via_api,
    take_step,
)


def test_a_volunteer_redeems_donated_goods_for_his_points(login: Login, server: Server) -> None:
    rewarded_via_api(server, points=40)
    volunteer = login("v-xf-liu", phone=True)
    assert volunteer.locator("[data-balance]").get_attribute("data-balance") == "40"
    bath = volunteer.locator("form[data-item=洗澡卡]")
    stock = int(bath.inner_text().split("库存 ")[1].split()[0])
    assert "积分不足" in volunteer.locator("form[data-item=旅行包]").inner_text()  # 60 points
    shot(volunteer, "volunteer-bank-phone")
    with volunteer.expect_navigation():
        bath.locator("button[type=submit]").click()
    assert volunteer.locator(".alert-ok").inner_text() == "兑换成功：洗澡卡"
    assert volunteer.locator("[data-balance]").get_attribute("data-balance") == "10"
    assert f"库存 {stock - 1}" in volunteer.locator("form[data-item=洗澡卡]").inner_text()
    ledger = volunteer.locator(".events").first.inner_text()
    assert "兑换「洗澡卡」1件，支出30积分" in ledger
    # what the API would refuse is not offered: 10 points buy nothing here
    assert volunteer.locator(".good button[type=submit]").count() == 0
    shot(volunteer, "volunteer-redeemed-phone")


def test_a_step_someone_else_took_first_is_refused_in_the_apis_words(
    login: Login, server: Server
) -> None:
    incident = reported_via_api(server)
    officer = login("o-xf-li")
    officer.goto(f"{server.url}/incidents/{incident}")
    assert "accept" in offered_steps(officer)
    post(server, "o-xf-li", f"/api/incidents/{incident}/accept")  # another tab, same officer
    take_step(officer, "accept")
    api = server.api("o-xf-li")
    try:
        stale = api.post(f"/api/incidents/{incident}/accept", json={"expected_version": 2})
    finally:
        api.close()
    assert stale.status_code == 409
    alert = officer.locator(".alert-error")
    assert alert.inner_text() == stale.json()["message_zh"] == "警情已被他人更新，请刷新后重试"
    assert alert.get_attribute("data-code") == "concurrency_conflict"
    # the page shows the incident as it is now, with the steps open now
    assert "accept" not in offered_steps(officer)
    assert "record_outcome" in offered_steps(officer)
    shot(officer, "officer-refused-stale")


def test_a_refused_form_keeps_what_was_typed_and_says_why_in_english(
    login: Login, server: Server
) -> None:
    incident = reported_via_api(server)
    post(server, "o-xf-li", f"/api/incidents/{incident}/accept")
    post(server, "o-xf-li", f"/api/incidents/{incident}/outcome", {"summary": "已处置"})
    cadre = login("c-xf-sun", lang="en")
    cadre.goto(f"{server.url}/incidents/{incident}")
    assert cadre.locator("form[data-step=propose_score] h3").inner_text() == "Propose score"
    take_step(cadre, "propose_score", item="安全隐患排查", points="200", basis="超出上限")
    form = cadre.locator("form[data-step=propose_score]")
    assert form.locator(".alert-error").inner_text() == "score total 200 exceeds the maximum of 150"
    assert form.locator("[name=points]").input_value() == "200"
    assert form.locator("[name=basis]").input_value() == "超出上限"
    shot(cadre, "cadre-refused-english")
