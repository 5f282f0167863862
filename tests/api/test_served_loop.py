"""Every branch of the loop through HTTP only, against ``lishu serve`` running as a
process of its own on a copy of the demo database: one server for the module."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx

from tests.api.served import Http, Server

HAZARD = {
    "module": "hazard_screening",
    "sense": "seen",
    "what": "配电箱门敞开，电线裸露",
    "where": "幸福小区5栋",
    "channel": "app",
}
XINGFU = "lishu/chaoyang/xingfu"


def ok(answer: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body: dict[str, Any] = answer.json()
    return body


def report(http: Http, username: str = "v-xf-liu", **changes: Any) -> str:
    ack = ok(http.post(username, "/api/incidents", {**HAZARD, **changes}), 201)
    assert ack["stage"] == "reported"
    assert ack["version"] == 2
    return str(ack["incident_id"])


def step(http: Http, username: str, incident: str, path: str, body: Any = None) -> dict[str, Any]:
    return ok(http.post(username, f"/api/incidents/{incident}/{path}", body))


def state(http: Http, incident: str, username: str = "au-ls-ma") -> dict[str, Any]:
    incident_state: dict[str, Any] = ok(http.get(username, f"/api/incidents/{incident}"))[
        "incident"
    ]
    return incident_state


def events(http: Http, incident: str) -> list[tuple[str, str, str]]:
    """(actor, event, stage) of every stored event, as the auditor reads them."""
    entries = ok(http.get("au-ls-ma", f"/api/incidents/{incident}/history"))["entries"]
    return [(e["actor"]["id"], e["event"], e["stage"]) for e in entries]


def listed(http: Http, username: str, path: str, position: int, **params: Any) -> list[Any]:
    rows: list[Any] = ok(http.get(username, path, wait_for=position, **params))["items"]
    return rows


def score(http: Http, incident: str, points: int) -> dict[str, Any]:
    items = {"items": [{"item": "隐患排查", "points": points}], "basis": "发现及时"}
    step(http, "c-xf-sun", incident, "score", items)
    half = step(http, "d-xf-zhao", incident, "sign")
    assert half["stage"] == "score_proposed"  # the director alone does not make it effective
    return step(http, "o-xf-li", incident, "sign")


def test_the_server_is_lishu_serve_on_the_copied_database(server: Server, http: Http) -> None:
    assert ok(httpx.get(f"{server.url}/healthz")) == {"status": "ok"}
    me = ok(http.get("o-xf-li", "/api/me"))
    assert (me["role"], me["unit"], me["unit_label"]) == ("community_officer", XINGFU, "幸福社区")
    assert f"sqlite:///{server.database}" in server.tail(100_000)
    assert ok(httpx.get(f"{server.url}/openapi.json"))["info"]["title"].startswith("梨城义警")


def test_handled_locally_scored_rewarded_publicized_and_closed(http: Http) -> None:
    before = ok(http.get("v-xf-liu", "/api/accounts/v-xf-liu"))["balance"]
    incident = report(http)
    assert step(http, "o-xf-li", incident, "accept")["stage"] == "handling_community"
    step(http, "o-xf-li", incident, "outcome", {"summary": "已断电并通知物业更换箱门"})
    assert score(http, incident, 12)["stage"] == "scored"
    assert step(http, "o-xf-li", incident, "reward")["stage"] == "rewarded"
    title = {"title": "义警发现配电箱隐患", "redaction_note": "已核对，不含个人信息"}
    assert step(http, "p-ls-qian", incident, "publicize", title)["stage"] == "publicized"
    closed = step(http, "o-xf-li", incident, "close", {"note": "已宣传"})
    assert (closed["stage"], closed["version"]) == ("closed", 10)

    account = ok(http.get("v-xf-liu", "/api/accounts/v-xf-liu", wait_for=closed["position"]))
    assert account["balance"] == before + 12
    board = listed(http, "v-xf-chen", "/api/publicity", closed["position"])
    (row,) = [r for r in board if r["incident_id"] == incident]
    assert row["title"] == "义警发现配电箱隐患"
    assert row["reporter_id"] == "已隐藏"  # another volunteer reads the board
    mine = listed(http, "v-xf-liu", "/api/incidents", closed["position"])
    assert [r["stage"] for r in mine if r["incident_id"] == incident] == ["closed"]
    unit = listed(http, "o-xf-li", "/api/incidents", closed["position"], stage="closed")
    assert incident in [r["incident_id"] for r in unit]
    assert events(http, incident) == [
        ("v-xf-liu", "Discovered", "discovered"),
        ("v-xf-liu", "Reported", "reported"),
        ("o-xf-li", "AcceptedForHandling", "handling_community"),
        ("o-xf-li", "OutcomeRecorded", "outcome_recorded"),
        ("c-xf-sun", "ScoreProposed", "score_proposed"),
        ("d-xf-zhao", "ScoreSigned", "score_proposed"),
        ("o-xf-li", "ScoreSigned", "scored"),
        ("o-xf-li", "Rewarded", "rewarded"),
        ("p-ls-qian", "Publicized", "publicized"),
        ("o-xf-li", "Closed", "closed"),
    ]


def test_escalated_to_the_station_then_the_county_which_handles_it(http: Http) -> None:
    incident = report(http)
    up = step(http, "o-xf-li", incident, "escalate", {"reason": "需派出所调查"})
    assert up["stage"] == "escalated_to_station"
    backlog = listed(http, "s-cy-wang", "/api/backlog", up["position"])
    (row,) = [r for r in backlog if r["incident_id"] == incident]
    assert (row["owner_unit"], row["owner_role"]) == ("lishu/chaoyang", "station_officer")
    assert step(http, "s-cy-wang", incident, "accept")["stage"] == "handling_station"
    up = step(http, "s-cy-wang", incident, "escalate", {"reason": "需县局统一派警"})
    assert up["stage"] == "escalated_to_county"
    county = listed(http, "k-ls-gao", "/api/backlog", up["position"], stage="escalated_to_county")
    assert incident in [r["incident_id"] for r in county]
    assert step(http, "k-ls-gao", incident, "accept")["stage"] == "handling_county"
    step(http, "k-ls-gao", incident, "outcome", {"summary": "县局统一派警处置完毕"})
    now = state(http, incident)
    assert (now["stage"], now["owner_unit"]) == ("outcome_recorded", XINGFU)
    assert [(e["from"], e["to"]) for e in now["escalations"]] == [
        ("community", "station"),
        ("station", "county"),
    ]
    assert now["outcome"]["source"] == "county"
    assert now["outcome"]["obtained_from"] == "lishu"


def test_returned_by_the_county_and_then_by_the_station(http: Http) -> None:
    incident = report(http)
    step(http, "o-xf-li", incident, "escalate", {"reason": "需派出所调查"})
    step(http, "s-cy-wang", incident, "accept")
    step(http, "s-cy-wang", incident, "escalate", {"reason": "需县局统一派警"})
    back = step(http, "k-ls-gao", incident, "return", {"reason": "派出所可处置"})
    assert back["stage"] == "handling_station"
    back = step(http, "s-cy-wang", incident, "return", {"reason": "社区民警可调解"})
    assert back["stage"] == "handling_community"
    step(http, "o-xf-li", incident, "outcome", {"summary": "社区民警调解完毕"})
    now = state(http, incident, "o-xf-li")
    assert [(r["from"], r["to"], r["reason"]) for r in now["returns"]] == [
        ("county", "station", "派出所可处置"),
        ("station", "community", "社区民警可调解"),
    ]
    assert now["outcome"]["source"] == "handled_locally"
    # a tier refusing an escalation it was never sent is an illegal step, not a return
    refused = http.post("k-ls-gao", f"/api/incidents/{incident}/return", {"reason": "再退"})
    assert refused.status_code in (403, 409), refused.text


def test_diverted_with_a_recorded_handover_then_chased_to_an_outcome(http: Http) -> None:
    incident = report(http)
    step(http, "o-xf-li", incident, "divert", {"reason": "属物业管理事项"})
    received = "2026-07-11T10:30:00+08:00"
    handover = {"department": "县住建局", "received_by": "刘科长", "received_at": received}
    assert step(http, "c-xf-sun", incident, "hand-over", handover)["stage"] == "handed_over"
    chased = step(http, "d-xf-zhao", incident, "chase", {"asked": "县住建局", "answer": "三日内修"})
    assert (chased["stage"], chased["version"]) == ("handed_over", 5)  # chasing keeps the stage
    step(http, "c-xf-sun", incident, "outcome", {"summary": "已修复"})
    now = state(http, incident, "o-xf-li")
    assert now["stage"] == "outcome_recorded"
    assert now["diversion"] == {"reason": "属物业管理事项", "after_arrival": False}
    assert now["handover"]["from"] == "c-xf-sun"
    assert now["handover"]["department"] == "县住建局"
    assert now["handover"]["received_by"] == "刘科长"
    assert datetime.fromisoformat(now["handover"]["received_at"]) == datetime.fromisoformat(
        received
    )
    assert now["follow_ups"] == [{"by": "d-xf-zhao", "asked": "县住建局", "answer": "三日内修"}]
    assert now["outcome"] == {
        "source": "department",
        "obtained_from": "县住建局",
        "summary": "已修复",
    }


def test_diverted_after_the_police_arrived(http: Http) -> None:
    incident = report(http)
    step(http, "o-xf-li", incident, "accept")
    diverted = step(http, "o-xf-li", incident, "divert", {"reason": "到场后发现属城管事项"})
    assert diverted["stage"] == "diverted"
    now = state(http, incident)
    assert now["diversion"]["after_arrival"] is True
    assert (now["owner_unit"], now["owner_role"]) == (XINGFU, "community_cadre")


def test_followed_up_while_the_station_handles_it_then_the_outcome(http: Http) -> None:
    incident = report(http)
    step(http, "o-xf-li", incident, "escalate", {"reason": "需派出所调查"})
    step(http, "s-cy-wang", incident, "accept")
    for answer in ("正在调查", "已查明"):
        chased = step(http, "o-xf-li", incident, "chase", {"asked": "朝阳派出所", "answer": answer})
        assert chased["stage"] == "handling_station"
    # the community officer obtains the station's outcome and records it
    done = step(http, "o-xf-li", incident, "outcome", {"summary": "派出所已查处"})
    assert done["stage"] == "outcome_recorded"
    now = state(http, incident)
    assert [f["answer"] for f in now["follow_ups"]] == ["正在调查", "已查明"]
    assert now["outcome"]["source"] == "station"
    assert now["outcome"]["obtained_from"] == "lishu/chaoyang"


def test_self_handled_on_site_confirmed_by_the_officer_then_rewarded(http: Http) -> None:
    incident = report(http, self_handled_note="当场劝离并拍照留存")
    view = ok(http.get("o-xf-li", f"/api/incidents/{incident}"))
    assert "confirm_self_handled" in view["allowed_steps"]
    done = step(http, "o-xf-li", incident, "confirm-self-handled", {"summary": "核实属实"})
    assert done["stage"] == "outcome_recorded"
    assert score(http, incident, 5)["stage"] == "scored"
    assert step(http, "o-xf-li", incident, "reward")["stage"] == "rewarded"
    assert state(http, incident)["outcome"]["source"] == "self_handled"
    # without the volunteer's note, there is nothing to confirm
    other = report(http)
    refused = http.post("o-xf-li", f"/api/incidents/{other}/confirm-self-handled", {"summary": "x"})
    assert refused.status_code == 409, refused.text
    assert refused.json()["details"]["unmet"] == ["claims_self_handled"]


def test_an_urgent_phone_report_runs_on_the_one_minute_clock(http: Http) -> None:
    incident = report(http, "a-xf-yang", channel="phone", urgency="urgent", reporter_id="v-xf-zhou")
    view = ok(http.get("o-xf-li", f"/api/incidents/{incident}"))
    now = view["incident"]
    assert (now["reporter_id"], now["urgency"], now["channel"]) == ("v-xf-zhou", "urgent", "phone")
    assert "accept" in view["allowed_steps"]
    due = datetime.fromisoformat(now["due_at"]) - datetime.fromisoformat(now["created_on"])
    assert due <= timedelta(minutes=1)
    accepted = step(http, "o-xf-li", incident, "accept")
    backlog = listed(http, "o-xf-li", "/api/backlog", accepted["position"])
    (row,) = [r for r in backlog if r["incident_id"] == incident]
    assert row["urgency"] == "urgent"
    handling = datetime.fromisoformat(row["due_at"]) - datetime.fromisoformat(row["stage_since"])
    assert handling <= timedelta(hours=2)
    # the volunteer it was logged for sees it among his own reports
    mine = listed(http, "v-xf-zhou", "/api/incidents", accepted["position"])
    assert incident in [r["incident_id"] for r in mine]
    assert events(http, incident)[:2] == [
        ("a-xf-yang", "Discovered", "discovered"),
        ("a-xf-yang", "Reported", "reported"),
    ]


def test_a_duplicate_is_rejected_naming_the_incident_it_repeats(http: Http) -> None:
    first = report(http)
    second = report(http, "v-xf-chen")
    body = {"kind": "duplicate", "reason": "同一配电箱", "related_id": first}
    rejected = step(http, "o-xf-li", second, "reject", body)
    assert rejected["stage"] == "rejected"
    now = state(http, second)
    assert now["rejection"] == {"kind": "duplicate", "reason": "同一配电箱", "related_id": first}
    assert now["is_closed"] is True
    assert now["owner_unit"] is None  # closed: nobody owns it any more
    backlog = listed(http, "o-xf-li", "/api/backlog", rejected["position"])
    assert second not in [r["incident_id"] for r in backlog]
    assert first in [r["incident_id"] for r in backlog]
    cases = listed(http, "o-xf-li", "/api/incidents", rejected["position"], stage="rejected")
    (row,) = [r for r in cases if r["incident_id"] == second]
    assert row["rejection_kind"] == "duplicate"
    # a closed end: nothing more can be done with it
    assert ok(http.get("o-xf-li", f"/api/incidents/{second}"))["allowed_steps"] == []


def test_the_server_logged_no_error(server: Server) -> None:
    assert server.errors() == []
