"""Notices and the inbox over HTTP: publish once with a key, acknowledge once,
the publisher's list of who has and has not, mark read, revoke, refusals with
their codes, and the auditor's read of who was told what."""

from __future__ import annotations

import time
from typing import Any

from tests.api.conftest import Api

STATION = "s-cy-wang"
NOTICE = {
    "title": "防汛值守通知",
    "body": "汛期来临，请义警加强巡逻，发现积水及时反馈。",
    "audience": {"units": ["lishu/chaoyang/xingfu"], "roles": ["volunteer"]},
    "priority": "important",
    "requires_ack": True,
}


def publish(api: Api, **changes: Any) -> dict[str, Any]:
    answer = api.post(STATION, "/api/notices", NOTICE | changes)
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def inbox(api: Api, who: str, position: int | None = None) -> list[dict[str, Any]]:
    params = {} if position is None else {"wait_for": position}
    answer = api.get(who, "/api/inbox", **params)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def test_a_notice_is_published_once_acknowledged_once_and_the_publisher_sees_who(
    api: Api,
) -> None:
    first = api.post(STATION, "/api/notices", NOTICE, **{"Idempotency-Key": "flood-2026"})
    again = api.post(STATION, "/api/notices", NOTICE, **{"Idempotency-Key": "flood-2026"})
    assert first.status_code == again.status_code == 201
    assert again.json()["notice_id"] == first.json()["notice_id"]
    assert again.json()["replayed"] is True
    notice_id, position = first.json()["notice_id"], first.json()["position"]

    entry = next(e for e in inbox(api, "v-xf-liu", position) if e["kind"] == "notice")
    assert (entry["title_zh"], entry["requires_ack"], entry["acknowledged"]) == (
        "防汛值守通知", True, False,
    )  # fmt: skip
    assert entry["link"] == f"/notices/{notice_id}"
    assert not any(e["kind"] == "notice" for e in inbox(api, "v-hp-wu", position))

    done = api.post("v-xf-liu", f"/api/notices/{notice_id}/acknowledgement")
    assert done.status_code == 200, done.text
    twice = api.post("v-xf-liu", f"/api/notices/{notice_id}/acknowledgement")
    assert (twice.status_code, twice.json()["code"]) == (409, "already_acknowledged")
    assert twice.json()["message_zh"]
    hidden = api.post("v-hp-wu", f"/api/notices/{notice_id}/acknowledgement")
    assert (hidden.status_code, hidden.json()["code"]) == (404, "notice_not_found")

    seen = api.get(STATION, f"/api/notices/{notice_id}", wait_for=done.json()["position"])
    assert seen.status_code == 200, seen.text
    shown = seen.json()
    assert [a["person_id"] for a in shown["acknowledgements"]] == ["v-xf-liu"]
    assert {"v-xf-chen", "v-xf-zhou"} <= set(shown["not_yet"])
    assert "v-xf-liu" not in shown["not_yet"]
    assert not any(p.startswith("v-hp-") for p in shown["not_yet"])
    own = api.get("v-xf-chen", f"/api/notices/{notice_id}").json()
    assert own["acknowledgements"] == []  # a volunteer sees only his own
    assert "not_yet" not in own
    listed = api.get(STATION, "/api/notices").json()["items"]
    assert [(n["notice_id"], n["acknowledged"]) for n in listed] == [(notice_id, 1)]


def test_the_inbox_badge_counts_unread_and_marks_read(api: Api) -> None:
    position = publish(api)["position"]
    before = api.get("v-xf-chen", "/api/inbox/unread", wait_for=position).json()["unread"]
    assert before >= 1
    newest = inbox(api, "v-xf-chen")[0]["message_id"]
    marked = api.post("v-xf-chen", "/api/inbox/read", {"message_ids": [newest]})
    assert marked.json() == {"marked": 1, "replayed": False}
    assert api.get("v-xf-chen", "/api/inbox/unread").json()["unread"] == before - 1
    again = api.post("v-xf-chen", "/api/inbox/read", {"message_ids": [newest]})
    assert again.json() == {"marked": 0, "replayed": False}
    keyed = {"Idempotency-Key": "read-all-once"}
    first = api.post("v-xf-chen", "/api/inbox/read", {}, **keyed)
    retried = api.post("v-xf-chen", "/api/inbox/read", {}, **keyed)
    assert first.json() == {"marked": before - 1, "replayed": False}
    assert retried.json() == {"marked": before - 1, "replayed": True}  # the first answer
    elsewhere = api.post("v-hp-wu", "/api/inbox/read", {"message_ids": [newest]})
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (404, "message_not_found")
    assert api.get("v-xf-chen", "/api/inbox/unread").json()["unread"] == 0
    assert api.get("v-xf-chen", "/api/inbox", unread_only=True).json()["items"] == []


def test_a_revoked_notice_leaves_the_inbox(api: Api) -> None:
    notice_id = publish(api)["notice_id"]
    revoked = api.post(STATION, f"/api/notices/{notice_id}/revocation", {"reason": "内容有误"})
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked"] is True
    position = revoked.json()["position"]
    assert not any(e["kind"] == "notice" for e in inbox(api, "v-xf-liu", position))
    again = api.post(STATION, f"/api/notices/{notice_id}/revocation", {"reason": "再撤"})
    assert (again.status_code, again.json()["code"]) == (409, "notice_refused")


def test_refusals_carry_a_code_and_write_nothing(api: Api) -> None:
    head = api.services.loop.app.recorder.max_notification_id()
    cases = [
        ("o-xf-li", NOTICE, 403, "not_permitted"),  # a community does not publish
        (STATION, NOTICE | {"priority": "highest"}, 422, "invalid_input"),
        (STATION, NOTICE | {"audience": {"teams": ["astronauts"]}}, 422, "invalid_input"),
        (STATION, NOTICE | {"audience": {"units": ["lishu/shuangyang"]}}, 422, "invalid_input"),
        (STATION, NOTICE | {"requires_ack": "maybe"}, 422, "invalid_input"),
        (STATION, NOTICE | {"valid_until": "2026-13-01"}, 422, "invalid_input"),
        (STATION, {"title": "无内容"}, 422, "invalid_input"),
    ]
    for who, body, status, code in cases:
        answer = api.post(who, "/api/notices", body)
        assert (answer.status_code, answer.json()["code"]) == (status, code), (body, answer.text)
        assert answer.json()["message_zh"]
        assert answer.json()["message_en"]
    assert api.services.loop.app.recorder.max_notification_id() == head


def test_the_auditor_reads_who_was_told_what_and_when(api: Api) -> None:
    notice_id = publish(api)["notice_id"]
    denied = api.get(STATION, "/api/notifications/told")
    assert (denied.status_code, denied.json()["code"]) == (403, "not_permitted")
    told = api.get("au-ls-ma", "/api/notifications/told", subject_id=notice_id)
    assert told.status_code == 200, told.text
    (message,) = told.json()["items"]
    assert (message["kind"], message["to"]["audience"]) == ("notice", notice_id)
    assert {d["channel"] for d in message["deliveries"]} == {"sms"}
    recipients = {d["recipient"] for d in message["deliveries"]}
    assert {"v-xf-liu", "v-xf-chen", "v-xf-zhou"} <= recipients
    assert not any(r.startswith("v-hp-") for r in recipients)
    rewarded = api.get("au-ls-ma", "/api/notifications/told", person="v-xf-liu").json()["items"]
    assert "report_rewarded" in {m["kind"] for m in rewarded}


def test_the_service_runs_the_clock_and_the_dispatcher_in_process(api: Api) -> None:
    """``lishu serve``'s own dispatcher sends the text messages (the development log
    adapter here) within seconds, unless the quiet hours hold them: urgent ones go."""
    notice_id = publish(api, priority="urgent")["notice_id"]
    deadline = time.monotonic() + 20
    while True:
        told = api.get("au-ls-ma", "/api/notifications/told", subject_id=notice_id).json()
        statuses = {d["status"] for m in told["items"] for d in m["deliveries"]}
        if statuses == {"sent"}:
            break
        assert time.monotonic() < deadline, statuses
        time.sleep(0.2)
    assert all(d["log"][-1]["outcome"] == "sent" for d in told["items"][0]["deliveries"])
