"""Every branch of the loop driven through HTTP only, as the logged-in users, on the
embedded SQLite file and on PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from loop.services.volunteers import id_check_digit
from tests.api.conftest import Api


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> str:
    """The service's one database: a copy of the seeded demo on either store."""
    name = "database" if request.param == "sqlite" else "postgres_database"
    url: str = request.getfixturevalue(name)
    return url


HAZARD = {
    "module": "hazard_screening",
    "sense": "seen",
    "what": "配电箱门敞开，电线裸露",
    "where": "幸福小区5栋",
    "channel": "app",
}


def report(api: Api, username: str = "v-xf-liu", **changes: Any) -> str:
    answer = api.post(username, "/api/incidents", {**HAZARD, **changes})
    assert answer.status_code == 201, answer.text
    assert answer.json()["stage"] == "reported"
    return str(answer.json()["incident_id"])


def step(api: Api, username: str, incident: str, path: str, body: Any = None) -> dict[str, Any]:
    answer = api.post(username, f"/api/incidents/{incident}/{path}", body)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def score_and_reward(api: Api, incident: str, points: int = 10) -> None:
    step(
        api,
        "c-xf-sun",
        incident,
        "score",
        {"items": [{"item": "隐患排查", "points": points}], "basis": "发现及时"},
    )
    step(api, "d-xf-zhao", incident, "sign")
    assert step(api, "o-xf-li", incident, "sign")["stage"] == "scored"
    assert step(api, "o-xf-li", incident, "reward")["stage"] == "rewarded"


def actors(api: Api, incident: str) -> list[tuple[str, str]]:
    entries = api.get("au-ls-ma", f"/api/incidents/{incident}/history").json()["entries"]
    return [(e["actor"]["id"], e["event"]) for e in entries]


def test_handled_locally_scored_rewarded_publicized_and_closed(api: Api) -> None:
    before = api.get("v-xf-liu", "/api/accounts/v-xf-liu").json()["balance"]
    incident = report(api)
    assert step(api, "o-xf-li", incident, "accept")["stage"] == "handling_community"
    step(api, "o-xf-li", incident, "outcome", {"summary": "已断电并通知物业更换箱门"})
    score_and_reward(api, incident, points=12)
    title = {"title": "义警发现配电箱隐患", "redaction_note": "已核对，不含个人信息"}
    assert step(api, "p-ls-qian", incident, "publicize", title)["stage"] == "publicized"
    closed = step(api, "o-xf-li", incident, "close", {"note": "已宣传"})
    assert closed["stage"] == "closed"

    account = api.get("v-xf-liu", "/api/accounts/v-xf-liu", wait_for=closed["position"]).json()
    assert account["balance"] == before + 12
    board = api.get("o-xf-li", "/api/publicity").json()["items"]
    assert any(row["incident_id"] == incident for row in board)
    # the actor of every event is the logged-in user, role and unit from the account
    assert actors(api, incident) == [
        ("v-xf-liu", "Discovered"),
        ("v-xf-liu", "Reported"),
        ("o-xf-li", "AcceptedForHandling"),
        ("o-xf-li", "OutcomeRecorded"),
        ("c-xf-sun", "ScoreProposed"),
        ("d-xf-zhao", "ScoreSigned"),
        ("o-xf-li", "ScoreSigned"),
        ("o-xf-li", "Rewarded"),
        ("p-ls-qian", "Publicized"),
        ("o-xf-li", "Closed"),
    ]


def test_escalated_to_station_then_county_and_returned(api: Api) -> None:
    incident = report(api)
    step(api, "o-xf-li", incident, "escalate", {"reason": "需派出所调查"})
    assert step(api, "s-cy-wang", incident, "accept")["stage"] == "handling_station"
    step(api, "s-cy-wang", incident, "escalate", {"reason": "需县局统一派警"})
    step(api, "o-xf-li", incident, "chase", {"asked": "县局", "answer": "已派警"})
    returned = step(api, "k-ls-gao", incident, "return", {"reason": "派出所可处置"})
    assert returned["stage"] == "handling_station"
    done = step(api, "s-cy-wang", incident, "outcome", {"summary": "派出所处置完毕"})
    backlog = api.get("s-cy-wang", "/api/backlog", wait_for=done["position"]).json()["items"]
    (row,) = [r for r in backlog if r["incident_id"] == incident]
    # the outcome is back with the community, which the station's backlog includes
    assert (row["stage"], row["owner_unit"]) == ("outcome_recorded", "lishu/chaoyang/xingfu")
    assert row["escalations"] == 2


def test_diverted_with_a_handover_then_chased_to_an_outcome(api: Api) -> None:
    incident = report(api)
    step(api, "o-xf-li", incident, "divert", {"reason": "属物业管理事项"})
    handed = step(
        api, "c-xf-sun", incident, "hand-over", {"department": "县住建局", "received_by": "刘科长"}
    )
    assert handed["stage"] == "handed_over"
    step(api, "c-xf-sun", incident, "chase", {"asked": "县住建局", "answer": "三日内修复"})
    assert step(api, "c-xf-sun", incident, "outcome", {"summary": "已修复"})["stage"] == (
        "outcome_recorded"
    )
    state = api.get("o-xf-li", f"/api/incidents/{incident}").json()["incident"]
    assert state["handover"]["department"] == "县住建局"
    assert state["handover"]["received_by"] == "刘科长"


def test_self_handled_on_site_confirmed_by_the_officer(api: Api) -> None:
    incident = report(api, self_handled_note="当场劝离")
    done = step(api, "o-xf-li", incident, "confirm-self-handled", {"summary": "核实属实"})
    assert done["stage"] == "outcome_recorded"


def test_urgent_phone_report_logged_by_the_office_for_a_volunteer(api: Api) -> None:
    incident = report(api, "a-xf-yang", channel="phone", urgency="urgent", reporter_id="v-xf-zhou")
    view = api.get("o-xf-li", f"/api/incidents/{incident}").json()
    assert view["incident"]["reporter_id"] == "v-xf-zhou"
    assert view["incident"]["urgency"] == "urgent"
    assert "accept" in view["allowed_steps"]
    backlog = api.get("o-xf-li", "/api/backlog", wait_for=10**9).json()["items"]
    (row,) = [r for r in backlog if r["incident_id"] == incident]
    assert row["urgency"] == "urgent"


def test_an_urgent_report_by_app_is_refused_with_a_reason_and_stores_nothing(api: Api) -> None:
    head = api.services.flow.app.recorder.max_notification_id()
    answer = api.post("v-xf-liu", "/api/incidents", {**HAZARD, "urgency": "urgent"})
    assert answer.status_code == 422
    body = answer.json()
    assert body["code"] == "invalid_input"
    assert "电话" in body["message_zh"]
    assert "phone" in body["message_en"]
    assert api.services.flow.app.recorder.max_notification_id() == head


def test_a_duplicate_is_rejected_naming_the_incident_it_repeats(api: Api) -> None:
    first = report(api)
    second = report(api, "v-xf-chen")
    body = {"kind": "duplicate", "reason": "同一配电箱", "related_id": first}
    assert step(api, "o-xf-li", second, "reject", body)["stage"] == "rejected"
    state = api.get("au-ls-ma", f"/api/incidents/{second}").json()["incident"]
    assert state["rejection"]["related_id"] == first


def test_an_illegal_step_names_the_legal_next_steps_and_writes_nothing(api: Api) -> None:
    incident = report(api)
    head = api.services.flow.app.recorder.max_notification_id()
    answer = api.post("o-xf-li", f"/api/incidents/{incident}/reward")
    assert answer.status_code == 409
    body = answer.json()
    assert body["code"] == "illegal_step"
    assert body["details"]["legal_steps"] == ["accept", "escalate", "divert", "reject"]
    assert api.services.flow.app.recorder.max_notification_id() == head


def test_a_stale_expected_version_is_a_conflict_with_the_current_version(api: Api) -> None:
    incident = report(api)
    step(api, "o-xf-li", incident, "accept", {"expected_version": 2})
    answer = api.post(
        "o-xf-li", f"/api/incidents/{incident}/escalate", {"reason": "x", "expected_version": 2}
    )
    assert answer.status_code == 409
    assert answer.json()["code"] == "concurrency_conflict"
    assert answer.json()["details"]["current_version"] == 3


def test_state_at_a_version_and_as_of_a_moment(api: Api) -> None:
    incident = report(api)
    step(api, "o-xf-li", incident, "accept")
    at_two = api.get("au-ls-ma", f"/api/incidents/{incident}/state", version=2).json()
    assert at_two["stage"] == "reported"
    entries = api.get("au-ls-ma", f"/api/incidents/{incident}/history").json()["entries"]
    moment = entries[1]["at"]
    as_of = api.get("au-ls-ma", f"/api/incidents/{incident}/state", as_of=moment).json()
    assert as_of["version"] == 2
    both = api.get("au-ls-ma", f"/api/incidents/{incident}/state")
    assert both.status_code == 422


def test_a_volunteer_lists_his_own_reports_and_the_station_lists_its_communities(api: Api) -> None:
    mine = report(api)
    theirs = report(api, "v-hp-wu", where="和平小区1栋")
    own = api.get("v-xf-liu", "/api/incidents", wait_for=10**9).json()["items"]
    assert mine in {r["incident_id"] for r in own}
    assert theirs not in {r["incident_id"] for r in own}
    station = {r["incident_id"] for r in api.get("s-cy-wang", "/api/incidents").json()["items"]}
    assert {mine, theirs} <= station
    heping = {r["incident_id"] for r in api.get("o-hp-zhang", "/api/incidents").json()["items"]}
    assert theirs in heping
    assert mine not in heping
    refused = api.get("o-hp-zhang", "/api/incidents", unit="lishu/chaoyang/xingfu")
    assert refused.status_code == 403


def test_a_volunteer_redeems_goods_from_his_community_catalogue(api: Api) -> None:
    goods = api.get("v-xf-liu", "/api/catalogue").json()["items"]
    assert {g["bank"] for g in goods} <= {"lishu/chaoyang/xingfu", "lishu/chaoyang"}
    incident = report(api)  # earn the points first
    step(api, "o-xf-li", incident, "accept")
    step(api, "o-xf-li", incident, "outcome", {"summary": "已处置"})
    score_and_reward(api, incident, points=100)
    balance = api.get("v-xf-liu", "/api/accounts/v-xf-liu").json()["balance"]
    assert balance >= 100
    item = next(
        g
        for g in goods
        if 2 * g["price"] <= balance and g["stock"] > 2 and g["limit_per_volunteer"] is None
    )
    done = api.post("v-xf-liu", "/api/accounts/v-xf-liu/redemptions", {"item_id": item["item_id"]})
    assert done.status_code == 200, done.text
    assert done.json()["balance"] == balance - item["price"]
    after = api.get("v-xf-liu", "/api/catalogue", wait_for=done.json()["position"]).json()
    (now,) = [g for g in after["items"] if g["item_id"] == item["item_id"]]
    assert now["stock"] == item["stock"] - 1
    # a phone that retries the redemption with its key redeems once
    retry = {"Idempotency-Key": "redeem-once"}
    path, body = "/api/accounts/v-xf-liu/redemptions", {"item_id": item["item_id"]}
    first = api.post("v-xf-liu", path, body, **retry)
    again = api.post("v-xf-liu", path, body, **retry)
    assert first.status_code == again.status_code == 200
    assert again.json() == {**first.json(), "replayed": True}
    account = api.get("v-xf-liu", "/api/accounts/v-xf-liu").json()
    assert account["balance"] == balance - 2 * item["price"]
    other = api.post("v-xf-liu", path, {**body, "quantity": 2}, **retry)
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    too_much = api.post(
        "v-xf-liu",
        "/api/accounts/v-xf-liu/redemptions",
        {"item_id": item["item_id"], "quantity": 10_000},
    )
    assert too_much.status_code == 409


def test_a_community_keeps_its_roll_of_volunteers_and_applicants(api: Api) -> None:
    first17 = "22032219900101123"
    application = {
        "volunteer_id": "v-xf-new",
        "name": "新义警",
        "phone": "13904340999",
        "id_number": first17 + id_check_digit(first17),
        "address": "幸福小区1栋",
        "employer": "梨树县快递网点",
        "occupation": "courier",
    }
    applied = api.post("c-xf-sun", "/api/volunteers", application)
    assert applied.status_code == 201, applied.text
    roll = api.get(
        "c-xf-sun", "/api/volunteers", status="applied", wait_for=applied.json()["position"]
    ).json()["items"]
    assert [r["volunteer_id"] for r in roll] == ["v-xf-new"]
    everyone = api.get("s-cy-wang", "/api/volunteers").json()["items"]
    assert {r["community"] for r in everyone} == {"lishu/chaoyang/xingfu", "lishu/chaoyang/heping"}
    # the demo's five and the seed's two dozen were admitted; one applicant was declined
    assert len([r for r in everyone if r["status"] == "active"]) == 29
    assert [r["volunteer_id"] for r in everyone if r["status"] == "rejected"] == ["v-hp-feng"]
    assert api.get("c-hp-he", "/api/volunteers", unit="lishu/chaoyang/xingfu").status_code == 403
