"""Every branch of the loop driven through HTTP only, as the logged-in users."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api

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
    head = api.services.flow.recorder.max_notification_id()
    answer = api.post("v-xf-liu", "/api/incidents", {**HAZARD, "urgency": "urgent"})
    assert answer.status_code == 422
    body = answer.json()
    assert body["code"] == "invalid_input"
    assert "电话" in body["message_zh"]
    assert "phone" in body["message_en"]
    assert api.services.flow.recorder.max_notification_id() == head


def test_a_duplicate_is_rejected_naming_the_incident_it_repeats(api: Api) -> None:
    first = report(api)
    second = report(api, "v-xf-chen")
    body = {"kind": "duplicate", "reason": "同一配电箱", "related_id": first}
    assert step(api, "o-xf-li", second, "reject", body)["stage"] == "rejected"
    state = api.get("au-ls-ma", f"/api/incidents/{second}").json()["incident"]
    assert state["rejection"]["related_id"] == first


def test_an_illegal_step_names_the_legal_next_steps_and_writes_nothing(api: Api) -> None:
    incident = report(api)
    head = api.services.flow.recorder.max_notification_id()
    answer = api.post("o-xf-li", f"/api/incidents/{incident}/reward")
    assert answer.status_code == 409
    body = answer.json()
    assert body["code"] == "illegal_step"
    assert body["details"]["legal_steps"] == ["accept", "escalate", "divert", "reject"]
    assert api.services.flow.recorder.max_notification_id() == head


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
