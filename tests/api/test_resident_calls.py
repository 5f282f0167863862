"""A resident's phone call, logged by the office as a resident's report: the
officer who took the call is the events' actor, the resident its reporter. It is
never scored, closes once its outcome is recorded, and his phone reaches only the
police in scope and the audit. Bad input is a coded zh/en 422 that stores nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.api.conftest import Api
from tests.api.test_console_pages import csrf_of, log_in

NAME, PHONE = "赵大娘", "13904435566"
OFFICER = "o-xf-li"


def call(**given: Any) -> dict[str, Any]:
    return {
        "module": "hazard_screening",
        "sense": "seen",
        "what": "楼道里堆满纸箱，有电动车在充电",
        "where": "幸福小区5栋2单元",
        "channel": "phone",
        "resident": {"name": NAME, "phone": PHONE},
        **given,
    }


def head(api: Api) -> int | None:
    position: int | None = api.services.loop.app.recorder.max_notification_id()
    return position


def test_a_residents_call_becomes_his_report_and_closes_after_its_outcome_unrewarded(
    api: Api,
) -> None:
    made = api.post(OFFICER, "/api/incidents", call(), **{"Idempotency-Key": "call-1"})
    assert made.status_code == 201, made.text
    incident = made.json()["incident_id"]
    assert made.json()["stage"] == "reported"
    view = api.get(OFFICER, f"/api/incidents/{incident}").json()["incident"]
    assert view["reporter_kind"] == "resident"
    assert view["channel"] == "phone"
    assert view["resident"]["fields"] == {"name": NAME, "phone": PHONE}
    history = api.get(OFFICER, f"/api/incidents/{incident}/history").json()["entries"]
    assert [e["event"] for e in history] == ["Discovered", "Reported"]
    assert {e["actor"]["id"] for e in history} == {OFFICER}  # he took the call

    assert api.post(OFFICER, f"/api/incidents/{incident}/accept", {}).status_code == 200
    outcome = {"summary": "已清理纸箱，提醒住户不在楼道充电"}
    assert api.post(OFFICER, f"/api/incidents/{incident}/outcome", outcome).status_code == 200
    closed = api.post(OFFICER, f"/api/incidents/{incident}/close", {})
    assert closed.status_code == 200, closed.text
    assert closed.json()["stage"] == "closed"
    proposal = {"items": [{"item": "隐患排查", "points": 10}]}
    scored = api.post("d-xf-zhao", f"/api/incidents/{incident}/propose_score", proposal)
    assert scored.status_code in (404, 409, 422), scored.text  # never scored
    assert api.get(OFFICER, f"/api/incidents/{incident}").json()["incident"]["stage"] == "closed"
    listed = api.get(OFFICER, "/api/incidents", wait_for=closed.json()["position"]).json()
    (row,) = [r for r in listed["items"] if r["incident_id"] == incident]
    assert row["stage"] == "closed"

    # his phone reaches no one outside the police in scope and the audit
    for reader, path in (
        ("c-xf-sun", f"/api/incidents/{incident}"),
        ("c-xf-sun", f"/api/incidents/{incident}/history"),
        ("c-xf-sun", "/api/incidents"),
        ("p-ls-qian", "/api/publicity"),
        ("v-xf-liu", "/api/publicity"),
    ):
        answer = api.get(reader, path)
        assert answer.status_code in (200, 404), (reader, path, answer.text)
        assert PHONE not in answer.text, (reader, path)
        assert NAME not in answer.text, (reader, path)


def test_a_retried_call_makes_one_incident(api: Api) -> None:
    key = {"Idempotency-Key": "call-twice"}
    first = api.post(OFFICER, "/api/incidents", call(), **key)
    assert first.status_code == 201, first.text
    after_first = head(api)
    again = api.post(OFFICER, "/api/incidents", call(), **key)
    assert again.status_code == 201, again.text
    assert again.json()["incident_id"] == first.json()["incident_id"]
    assert again.json()["replayed"] is True
    assert head(api) == after_first


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"resident": {"name": NAME}}, "resident.phone"),
        ({"resident": {"name": NAME, "phone": ""}}, "resident.phone"),
        ({"resident": {"name": NAME, "phone": "call me back"}}, "resident.phone"),
        ({"reporter_id": "v-xf-liu"}, "reporter_id"),
        ({"channel": "app"}, "channel"),
    ],
)
def test_a_bad_call_is_a_coded_refusal_that_stores_nothing(
    api: Api, given: dict[str, Any], field: str
) -> None:
    before = head(api)
    refused = api.post(OFFICER, "/api/incidents", call(**given), **{"Idempotency-Key": "bad"})
    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert body["code"] == "invalid_input"
    assert body["message_zh"]
    assert body["message_en"]
    assert field in refused.text
    assert head(api) == before


def test_the_console_office_form_logs_a_residents_call(api: Api) -> None:
    log_in(api.client, "a-xf-yang")
    form = api.client.get("/report").text
    assert "群众来电" in form
    key = re.search(r'name="key" value="([^"]+)"', form)
    assert key is not None
    data = {
        "csrf_token": csrf_of(form),
        "key": key.group(1),
        "module": "hazard_screening",
        "sense": "seen",
        "what": "楼道里堆满纸箱，有电动车在充电",
        "where": "幸福小区5栋2单元",
        "channel": "phone",
        "urgency": "general",
        "caller": "resident",
        "resident_name": NAME,
        "resident_phone": "",
    }
    before = head(api)
    refused = api.client.post("/report", data=data, follow_redirects=False)
    assert refused.status_code == 422
    assert "请填写来电群众的电话" in refused.text
    assert head(api) == before
    sent = api.client.post(
        "/report", data={**data, "resident_phone": PHONE}, follow_redirects=False
    )
    assert sent.status_code == 303, sent.text
    incident = sent.headers["location"].split("/")[2].split("?")[0]
    view = api.get(OFFICER, f"/api/incidents/{incident}").json()["incident"]
    assert (view["reporter_kind"], view["channel"]) == ("resident", "phone")
    assert view["resident"]["fields"] == {"name": NAME, "phone": PHONE}


def test_a_phone_typed_into_a_calls_description_is_replaced_and_stored_nowhere_in_clear(
    api: Api,
) -> None:
    typed = call(
        what=f"{NAME}来电：楼道里堆满纸箱，回电 139 0443-5566",
        where=f"幸福小区5栋2单元（{PHONE}）",
    )
    made = api.post(OFFICER, "/api/incidents", typed, **{"Idempotency-Key": "typed"})
    assert made.status_code == 201, made.text
    incident = made.json()["incident_id"]
    view = api.get(OFFICER, f"/api/incidents/{incident}").json()["incident"]
    assert view["what"] == "〔联系人〕来电：楼道里堆满纸箱，回电 〔联系电话〕"
    assert view["where"] == "幸福小区5栋2单元（〔联系电话〕）"
    assert view["resident"]["fields"] == {"name": NAME, "phone": PHONE}  # kept apart
    stored = api.services.loop.app.recorder.select_notifications(1, 10_000)
    states = [n.state for n in stored if str(n.originator_id) == incident]
    assert any("楼道里堆满纸箱".encode() in s for s in states)  # the events are in clear
    for state in states:
        assert PHONE.encode() not in state
        assert b"5566" not in state
        assert NAME.encode() not in state


def test_a_retried_call_after_its_key_record_expired_is_compared_with_the_caller(
    api: Api,
) -> None:
    typed = call(what=f"井盖丢失，回电{PHONE}")
    first = api.post(OFFICER, "/api/incidents", typed, **{"Idempotency-Key": "call-late"})
    assert first.status_code == 201, first.text
    expired = api.services.loop.app.recorder.delete_expired_keys(2**40)
    assert expired >= 1  # the key's record is gone; the key still fixes the id
    before = head(api)
    again = api.post(OFFICER, "/api/incidents", typed, **{"Idempotency-Key": "call-late"})
    assert again.status_code == 201, again.text
    assert again.json()["incident_id"] == first.json()["incident_id"]
    assert again.json()["replayed"] is True
    for changed in (
        call(what=f"井盖丢失，回电{PHONE}", resident={"name": NAME, "phone": "13904430000"}),
        call(what=f"井盖丢失，回电{PHONE}", resident={"name": "李大爷", "phone": PHONE}),
        call(what="路灯不亮"),
    ):
        refused = api.post(OFFICER, "/api/incidents", changed, **{"Idempotency-Key": "call-late"})
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == "idempotency_key_reused"
    assert head(api) == before
