"""The public self-registration form over HTTP: an applicant with no log-in
applies from his phone and waits for the joint review; a wrong, expired or
reused answer, a bad ID number or an unknown community is refused on the form,
coded, storing nothing; the form is rate limited per address and per phone, and
off in production unless the county switches it on."""

from __future__ import annotations

import re
from typing import Any

from api.config import ApiSettings
from loop import demo
from loop.services.joining import Challenges
from loop.services.volunteers import id_check_digit
from tests.api.conftest import Api, in_process

FORM = "/public/join"


def question(page: str) -> tuple[str, str]:
    """The form's token and the answer to its question, as a person works it out."""
    token = re.search(r'name="token" value="([^"]+)"', page)
    asked = re.search(r"data-question>(\d+) (加|减) (\d+) 等于几？<", page)
    assert token is not None, page
    assert asked is not None, page
    a, b = int(asked[1]), int(asked[3])
    return token[1], str(a + b if asked[2] == "加" else a - b)


def id_number(n: int, *, wrong: bool = False) -> str:
    first = f"22032219850101{n:03d}"
    digit = id_check_digit(first)
    return first + (("0" if digit != "0" else "1") if wrong else digit)


def filled(api: Api, **changes: str) -> dict[str, str]:
    token, answer = question(api.client.get(FORM).text)
    return {
        "token": token,
        "answer": answer,
        "name": "报名人甲",
        "phone": "13904431234",
        "id_number": id_number(1),
        "address": "幸福小区5栋",
        "community": demo.XINGFU,
        "employer": "梨树县顺丰速运",
        "occupation": "courier",
    } | changes


def send(api: Api, form: dict[str, str]) -> Any:
    return api.client.post(FORM, data=form, follow_redirects=False)


def head(api: Api) -> int | None:
    position: int | None = api.services.loop.app.recorder.max_notification_id()
    return position


def refused_code(answered: Any) -> str:
    found = re.search(r'data-refused="([a-z_]+)"', answered.text)
    assert found is not None, answered.text
    return found[1]


def test_an_applicant_applies_from_the_form_and_awaits_the_joint_review(api: Api) -> None:
    page = api.client.get(FORM)
    assert page.status_code == 200
    assert "幸福社区" in page.text
    assert ">快递员<" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "<script" not in page.text  # a plain form: any phone's browser sends it
    assert 'name="viewport"' in page.text
    sent = send(api, filled(api, party_member="yes"))
    assert (sent.status_code, sent.headers["location"]) == (303, "/public/join/done")
    assert "报名已收到" in api.client.get("/public/join/done").text
    roll = api.get("c-xf-sun", "/api/volunteers", status="applied", wait_for=head(api)).json()
    [applicant] = [r for r in roll["items"] if r["volunteer_id"].startswith("join-")]
    vid = applicant["volunteer_id"]
    record = api.get("c-xf-sun", f"/api/volunteers/{vid}").json()
    assert record["personal"]["fields"]["phone"] == "13904431234"
    assert (record["occupation"], record["party_member"], record["status"]) == (
        "courier", True, "applied"
    )  # fmt: skip
    stored = api.services.loop.app.recorder.select_notifications(1, 100_000)
    assert all(b"13904431234" not in n.state and "报名人甲".encode() not in n.state for n in stored)
    for who, reviewer in (("c-xf-sun", "employer"), ("d-xf-zhao", "community")):
        body = {"reviewer": reviewer, "approved": True, "note": "表现良好"}
        assert api.post(who, f"/api/volunteers/{vid}/reviews", body).status_code == 200
    body = {"reviewer": "station", "approved": True, "note": "无前科"}
    assert api.post("s-cy-wang", f"/api/volunteers/{vid}/reviews", body).status_code == 200
    admitted = api.post("o-xf-li", f"/api/volunteers/{vid}/admission")
    assert admitted.status_code == 200, admitted.text
    assert admitted.json()["squad"] == "courier"


def test_every_refusal_is_coded_on_the_form_and_stores_nothing(api: Api) -> None:
    before = head(api)
    cases = {
        "invalid_input": filled(api, id_number=id_number(2, wrong=True)),
        "unknown_community": filled(api, community="lishu/chaoyang/nowhere"),
        "unknown_occupation": filled(api, occupation="gc_security"),
    }
    for code, form in cases.items():
        answered = send(api, form)
        assert answered.status_code == 422, (code, answered.text)
        assert refused_code(answered) == code
    wrong = filled(api)
    wrong["answer"] = str(int(wrong["answer"]) + 1)
    answered = send(api, wrong)
    assert (answered.status_code, refused_code(answered)) == (422, "challenge_refused")
    assert "答案不对" in answered.text
    wrong["answer"] = str(int(wrong["answer"]) - 1)  # the right answer, once it was spent
    assert "已经作答过" in send(api, wrong).text
    assert head(api) == before
    assert "校验位" in send(api, filled(api, id_number=id_number(3, wrong=True))).text
    assert head(api) == before


def test_an_expired_question_is_refused(api: Api) -> None:
    form = filled(api)
    challenges = api.client.app.state.join_challenges  # made by the form's first showing
    assert isinstance(challenges, Challenges)
    nonce, _, _ = form["token"].split(".")
    stamp = int(api.services.loop.app.clock().timestamp()) - 1
    form["token"] = f"{nonce}.{stamp}.{challenges._sign(nonce, stamp, int(form['answer']))}"
    before = head(api)
    answered = send(api, form)
    assert (answered.status_code, refused_code(answered)) == (422, "challenge_refused")
    assert "已过期" in answered.text
    assert head(api) == before


def test_a_phone_applies_three_times_a_day_and_an_address_ten_times_an_hour(api: Api) -> None:
    for n in range(3):
        sent = send(api, filled(api, id_number=id_number(10 + n)))
        assert sent.status_code == 303, sent.text
    before = head(api)
    fourth = send(api, filled(api, id_number=id_number(13)))
    assert (fourth.status_code, refused_code(fourth)) == (429, "rate_limited")
    assert head(api) == before
    for n in range(6):  # ten forms from this address within the hour, the four above included
        wrong = filled(api, phone=f"1390443{n:04d}")
        wrong["answer"] = "999"
        assert send(api, wrong).status_code == 422
    eleventh = send(api, filled(api, phone="13904439999", id_number=id_number(20)))
    assert (eleventh.status_code, refused_code(eleventh)) == (429, "rate_limited")
    assert head(api) == before


def test_in_production_the_form_is_on_only_when_the_county_switches_it_on(database: str) -> None:
    assert ApiSettings(environment="production").serves_public_join is False
    assert ApiSettings(environment="production", public_join=True).serves_public_join is True
    assert ApiSettings().serves_public_join is True
    with in_process(database, public_join=False) as api:
        assert api.client.get(FORM).status_code == 404
        before = head(api)
        assert api.client.post(FORM, data={"answer": "1"}).status_code == 404
        assert api.client.get("/public/join/done").status_code == 404
        assert head(api) == before


def test_gucheng_recruits_by_its_duty_roles(database: str) -> None:
    with in_process(database, policy="gucheng") as api:
        page = api.client.get(FORM).text
        assert "故城义警招募队员" in page
        assert ">治安防范员<" in page
        assert ">外卖员<" not in page
        before = head(api)
        refused = send(api, filled(api, occupation="delivery_rider"))
        assert refused_code(refused) == "unknown_occupation"
        assert "治安防范员" in refused.text
        assert head(api) == before
        sent = send(api, filled(api, occupation="gc_mediator"))
        assert sent.status_code == 303, sent.text
