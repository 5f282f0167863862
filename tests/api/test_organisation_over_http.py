"""The organisation over HTTP: the administrator registers a station, its
communities and a department at once, renames one, and the board names it anew
while its history keeps the old name; refusals are coded and store nothing;
units outside the caller's county answer 404."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api
from tests.api.served import DEMO_USERS
from tests.api.test_console_pages import log_in
from tests.api.test_loop_over_http import HAZARD

ADMIN = "admin"
NEW_UNITS = {
    "units": [
        {"code": "lishu/dongfeng", "kind": "station", "parent": "lishu", "name": "东风派出所"},
        {
            "code": "lishu/dongfeng/jiacun",
            "kind": "village",
            "parent": "lishu/dongfeng",
            "name": "甲村",
            "centre": [43.3, 124.3],
        },
        {
            "code": "lishu/dongfeng/yicun",
            "kind": "village",
            "parent": "lishu/dongfeng",
            "name": "乙村",
        },
        {"code": "lishu-minzheng", "kind": "department", "parent": "lishu", "name": "县民政局"},
    ]
}


def units(api: Api, who: str, position: int | None = None) -> dict[str, dict[str, Any]]:
    answer = api.get(who, "/api/organisation/units", wait_for=position or 0)
    assert answer.status_code == 200, answer.text
    return {u["code"]: u for u in answer.json()["items"]}


def head(api: Api) -> int | None:
    position: int | None = api.services.loop.app.recorder.max_notification_id()
    return position


def test_the_administrator_builds_part_of_the_county_in_one_step(api: Api) -> None:
    answer = api.post(ADMIN, "/api/organisation/units", NEW_UNITS, **{"Idempotency-Key": "k1"})
    assert answer.status_code == 201, answer.text
    again = api.post(ADMIN, "/api/organisation/units", NEW_UNITS, **{"Idempotency-Key": "k1"})
    assert again.json()["replayed"] is True
    shown = units(api, ADMIN, answer.json()["position"])
    assert shown["lishu/dongfeng/jiacun"]["name"] == "甲村"
    assert shown["lishu/dongfeng/jiacun"]["centre"] == [43.3, 124.3]
    assert shown["lishu-minzheng"]["kind"] == "department"
    assert shown["lishu/chaoyang/xingfu"]["parent"] == "lishu/chaoyang"  # the demo's own
    history = api.get(ADMIN, "/api/organisation/history", code="lishu/dongfeng/jiacun").json()
    assert [e["event"] for e in history] == ["UnitRegistered"]
    assert history[0]["actor"] == {"id": "admin", "role": "admin", "unit": "lishu"}


def test_a_unit_renamed_after_a_step_keeps_its_old_name_in_history(api: Api) -> None:
    report = api.post(
        "v-xf-liu",
        "/api/incidents",
        {**HAZARD, "what": "幸福路井盖缺失"},
    )
    assert report.status_code == 201, report.text
    renamed = api.post(
        ADMIN,
        "/api/organisation/rename",
        {"code": "lishu/chaoyang/xingfu", "name": "幸福街道社区", "reason": "区划调整"},
    )
    assert renamed.status_code == 200, renamed.text
    me = api.get("o-xf-li", "/api/me")
    assert me.json()["unit_label"] == "幸福街道社区", me.text
    history = api.get(ADMIN, "/api/organisation/history", code="lishu/chaoyang/xingfu").json()
    assert history[0]["sentence_zh"].startswith("登记社区「幸福社区」")
    assert "由「幸福社区」更名为「幸福街道社区」" in history[-1]["sentence_zh"]
    log_in(api.client, "s-cy-wang")
    page = api.client.get("/board")
    assert page.status_code == 200
    assert "幸福街道社区" in page.text


def refused(api: Api, who: str, path: str, body: Any, status: int, code: str) -> None:
    before = head(api)
    answer = api.post(who, path, body)
    assert (answer.status_code, answer.json()["code"]) == (status, code), answer.text
    assert answer.json()["message_zh"]
    assert answer.json()["message_en"]
    assert head(api) == before


def test_refusals_are_coded_and_store_nothing(api: Api) -> None:
    units_path = "/api/organisation/units"
    refused(api, "s-cy-wang", units_path, NEW_UNITS, 403, "not_permitted")
    again = {**NEW_UNITS["units"][1], "code": "lishu/chaoyang/xingfu", "parent": "lishu/chaoyang"}
    taken = {"units": [NEW_UNITS["units"][0], again]}
    refused(api, ADMIN, units_path, taken, 422, "organisation_refused")
    wrong_kind = {
        "units": [{"code": "lishu/x", "kind": "community", "parent": "lishu", "name": "x"}]
    }
    refused(api, ADMIN, units_path, wrong_kind, 422, "invalid_input")
    cycle = {"code": "lishu", "parent": "lishu/chaoyang", "reason": "x"}
    refused(api, ADMIN, "/api/organisation/move", cycle, 422, "invalid_input")
    busy = {"code": "lishu/chaoyang/xingfu", "reason": "撤并"}
    refused(api, ADMIN, "/api/organisation/retire", busy, 422, "invalid_input")
    elsewhere = {"code": "zhenlai/x", "name": "某地", "reason": "x"}
    refused(api, ADMIN, "/api/organisation/rename", elsewhere, 404, "unit_not_found")
    not_json = api.client.post(
        units_path,
        content=b"\xff\xfe",
        headers={**api.headers(ADMIN), "Content-Type": "application/json"},
    )
    assert (not_json.status_code, not_json.json()["code"]) == (400, "malformed_json")


ORGANISATION_READS = {"/api/organisation/units", "/api/organisation/history"}
"""Any logged-in user reads his county's units and their history."""
ORGANISATION_COMMANDS = {
    "/api/organisation/units": NEW_UNITS,
    "/api/organisation/rename": {"code": "lishu/chaoyang/heping", "name": "和平村", "reason": "x"},
    "/api/organisation/move": {"code": "lishu-ranqi", "parent": "lishu", "reason": "x"},
    "/api/organisation/merge": {"code": "lishu-ranqi", "into": "lishu-zhujian", "reason": "x"},
    "/api/organisation/retire": {"code": "lishu-ranqi", "reason": "x"},
}
"""Only an administrator changes the organisation."""


def test_only_the_administrator_changes_the_organisation_and_everyone_reads_it(api: Api) -> None:
    for user in DEMO_USERS:
        if user.role == "admin":
            continue
        for path, body in ORGANISATION_COMMANDS.items():
            refused(api, user.id, path, body, 403, "not_permitted")
        assert "lishu/chaoyang/xingfu" in units(api, user.id)
        history = api.get(user.id, "/api/organisation/history", code="lishu")
        assert history.status_code == 200, history.text
    done = api.post(
        ADMIN, "/api/organisation/merge", ORGANISATION_COMMANDS["/api/organisation/merge"]
    )
    assert done.status_code == 200, done.text
    merged = units(api, ADMIN, done.json()["position"])["lishu-ranqi"]
    assert (merged["merged_into"], merged["retired_at"] is not None) == ("lishu-zhujian", True)


def test_the_hand_over_form_offers_the_countys_departments(api: Api) -> None:
    report = api.post("v-xf-liu", "/api/incidents", {**HAZARD, "what": "物业消防通道堵塞"})
    incident = report.json()["incident_id"]
    diverted = api.post("o-xf-li", f"/api/incidents/{incident}/divert", {"reason": "属物业"})
    assert diverted.status_code == 200, diverted.text
    log_in(api.client, "c-xf-sun")
    page = api.client.get(
        f"/incidents/{incident}", params={"wait_for": diverted.json()["position"]}
    )
    assert '<datalist id="departments">' in page.text
    assert '<option value="县消防救援大队">' in page.text
