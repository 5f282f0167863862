"""Duty tasks over HTTP, in process on a copy of the seeded demo: a task a caller
may not know of answers 404; every refusal is a coded zh/en body and stores
nothing; a volunteer finds the tasks he may take, and after completion sees his
hours and points."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from api.seed import DEMO_PASSWORD
from loop import demo
from tests.api.conftest import Api, head, refused
from tests.api.served import register_shuangyang
from tests.support import CHINA, FakeClock

START = datetime(2026, 9, 1, 19, 0, tzinfo=CHINA)
HEPING = "lishu/chaoyang/heping"


def task_body(**changes: Any) -> dict[str, Any]:
    body = {
        "kind": "patrol",
        "topic": "幸福路夜间巡逻",
        "place": "幸福路",
        "community": "lishu/chaoyang/xingfu",
        "starts_at": START.isoformat(),
        "ends_at": (START + timedelta(hours=2)).isoformat(),
        "needed": 2,
        "points": 10,
    }
    return {**body, **changes}


def clocked(api: Api) -> FakeClock:
    """The loop's clock, set to the day before the task (the API runs on it)."""
    clock = FakeClock(START - timedelta(days=1))
    api.services.loop.app.clock = clock
    return clock


def test_refusals_over_http_are_coded_and_store_nothing(api: Api) -> None:
    clocked(api)
    task = api.post("s-cy-wang", "/api/tasks", task_body(needed=1)).json()["task_id"]
    path, nobody = f"/api/tasks/{task}", "/api/tasks/00000000-0000-0000-0000-000000000000"
    liu = {"volunteer_id": "v-xf-liu", "code": "x"}
    assert api.post("v-xf-liu", f"{path}/sign-ups", {}).json()["state"] == "booked"
    before = head(api)
    cases = [
        ("s-cy-wang", "/api/tasks", task_body(needed="2"), 422, "invalid_input"),
        ("s-cy-wang", "/api/tasks", task_body(kind="parade"), 422, "invalid_input"),
        ("o-xf-li", "/api/tasks", task_body(community=HEPING), 422, "invalid_input"),
        ("v-xf-liu", "/api/tasks", task_body(), 403, "not_permitted"),
        ("v-xf-liu", f"{path}/sign-ups", {}, 409, "already_signed_up"),
        ("v-xf-chen", f"{path}/sign-ups", {"volunteer_id": "v-xf-zhou"}, 403, "not_permitted"),
        ("v-xf-chen", f"{nobody}/sign-ups", {}, 404, "task_not_found"),
        ("v-xf-chen", "/api/tasks/not-a-task/sign-ups", {}, 404, "task_not_found"),
        ("v-xf-chen", f"{path}/withdrawal", {}, 409, "not_signed_up"),
        ("v-xf-liu", f"{path}/check-ins", liu, 422, "invalid_input"),
        ("s-cy-wang", f"{path}/completion", {"reach": -1}, 422, "invalid_input"),
        ("s-cy-wang", f"{path}/completion", {}, 409, "task_refused"),
        ("d-xf-zhao", f"{path}/signatures", None, 409, "task_refused"),
    ]  # fmt: skip
    for user, where, body, status, code in cases:
        refused(api, status, code, api.post(user, where, body), before)


def test_a_task_of_another_station_is_not_found_by_those_outside_it(api: Api) -> None:
    clocked(api)
    register_shuangyang(api.services.loop.registry)
    api.services.accounts.create(
        "s-sy-feng",
        DEMO_PASSWORD,
        role="station_officer",
        unit="lishu/shuangyang",
        operator=demo.ADMIN,
        must_change_password=False,
    )
    answer = api.post("s-sy-feng", "/api/tasks", task_body(community="lishu/shuangyang/nanguan"))
    assert answer.status_code == 201, answer.text
    task = answer.json()["task_id"]
    before = head(api)
    for user in ("v-xf-liu", "o-xf-li", "s-cy-wang"):
        refused(api, 404, "task_not_found", api.get(user, f"/api/tasks/{task}"), before)
    refused(api, 404, "task_not_found", api.post("v-xf-liu", f"/api/tasks/{task}/sign-ups"), before)
    shown = api.get("v-xf-liu", "/api/tasks", wait_for=before).json()["items"]
    assert task not in [t["task_id"] for t in shown]
    assert api.get("s-sy-feng", f"/api/tasks/{task}", wait_for=before).status_code == 200


def test_a_volunteer_finds_his_task_and_sees_hours_and_points_after_completion(api: Api) -> None:
    clock = clocked(api)
    heavy = api.post("s-cy-wang", "/api/tasks", task_body(intensity="heavy", topic="河堤加固"))
    task = api.post(
        "s-cy-wang", "/api/tasks", task_body(leader_id="v-xf-zhou", intensity="light")
    ).json()["task_id"]
    api.post(
        "o-xf-li", "/api/volunteers/v-xf-chen/status", {"status": "flexible", "reason": "年老"}
    )
    shown = {
        t["topic"]: t
        for t in api.get("v-xf-chen", "/api/tasks", wait_for=head(api)).json()["items"]
    }
    assert shown["河堤加固"]["why_not"]["reason"] == "flexible_duty"
    assert heavy.json()["task_id"] == shown["河堤加固"]["task_id"]
    assert shown["幸福路夜间巡逻"]["why_not"] is None
    assert shown["幸福路夜间巡逻"]["free"] == 2

    signed = api.post("v-xf-liu", f"/api/tasks/{task}/sign-ups", {}).json()
    assert signed["state"] == "booked"
    listed = api.get("v-xf-liu", "/api/tasks", wait_for=signed["position"]).json()["items"]
    (busy,) = [t for t in listed if t["topic"] == "河堤加固"]  # the same evening: not free
    assert busy["why_not"]["reason"] == "booking_overlaps"
    code = api.get("v-xf-zhou", f"/api/tasks/{task}/check-in-code").json()
    assert code["path"] == f"/tasks/{task}/check-in?code={code['code']}"
    clock.now = START - timedelta(minutes=10)
    checked = api.post(
        "v-xf-liu",
        f"/api/tasks/{task}/check-ins",
        {"volunteer_id": "v-xf-liu", "code": code["code"]},
    )
    assert checked.json()["method"] == "qr", checked.text
    clock.now = START + timedelta(hours=3)
    done = api.post("s-cy-wang", f"/api/tasks/{task}/completion", {"reach": 60}).json()
    assert (done["minutes"], done["awaiting_signatures"]) == (120, True)  # Lishu co-signs
    api.post("d-xf-zhao", f"/api/tasks/{task}/signatures")
    signed_off = api.post("o-xf-li", f"/api/tasks/{task}/signatures").json()
    assert signed_off["points_credited"] == 10

    mine = api.get("v-xf-liu", "/api/volunteers/v-xf-liu/tasks", wait_for=signed_off["position"])
    hours = mine.json()["hours"]
    assert (hours["hours"], hours["points"], hours["tasks"]) == (2.0, 10, 1)
    (entry,) = [t for t in mine.json()["tasks"] if t["task_id"] == task]
    assert (entry["state"], entry["points"], entry["missing_checkout"]) == ("attended", 10, True)
    figures = api.get("s-cy-wang", "/api/tasks/statistics").json()
    assert (figures["hours"], figures["totals"]["points"], figures["totals"]["reach"]) == (
        2.0,
        10,
        60,
    )
    assert api.get("v-xf-chen", "/api/volunteers/v-xf-liu/tasks").status_code == 404
