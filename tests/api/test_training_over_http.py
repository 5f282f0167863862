"""Training and the exam gate over HTTP, in process on a copy of the seeded demo
under Fuping's preset: sessions, attendance and corrections, exams, the gate
switched on with the serving as legacy, a newcomer's sign-up refused with a coded
zh/en body that stores nothing, a volunteer's record and the station's shortfall;
a session the caller may not know of answers 404."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from loop import demo
from loop.services.training_gate import record_of as training_record
from loop.services.training_gate import yearly_norm
from tests.api.conftest import Api, head, in_process, refused
from tests.support import CHINA, FakeClock

YEAR = datetime.now(CHINA).year
"""The year the demo is seeded in (it is seeded when the tests run): the tests'
days fall in it, so its volunteers are admitted in the year they are read."""
DAY = date(YEAR, 9, 1)
NEWCOMER = "v-xf-wang"


@pytest.fixture
def fuping(database: str) -> Iterator[Api]:
    with in_process(database, scoring="fuping") as client:
        client.services.loop.app.clock = FakeClock(datetime(YEAR, 9, 1, 8, 0, tzinfo=CHINA))
        yield client


def norm_days(api: Api, volunteer_id: str, year: int = YEAR) -> float:
    """His norm of the year's days as the loop's gate computes it: the demo is seeded
    when the tests run, so its volunteers' admission (and the pro-rating) follows
    the day they were seeded."""
    loop = api.services.loop
    record = training_record(loop.app, volunteer_id)
    return yearly_norm(loop.app, loop.training.policy, volunteer_id, record, year) / 2


def session_body(**changes: Any) -> dict[str, Any]:
    body = {
        "kind": "regular",
        "topic": "防汛抢险救援",
        "instructor": "蓝天救援队",
        "day": DAY.isoformat(),
        "credit": "whole",
        "mode": "in_person",
        "place": "朝阳派出所",
    }
    return {**body, **changes}


def admit_newcomer(api: Api) -> None:
    v = api.services.loop.volunteers
    v.apply(
        demo.CADRE_XF, volunteer_id=NEWCOMER, name="王某", phone="13904349999",
        id_number=demo.sample_id_number(9), address="幸福小区9栋", employer="幸福超市",
        occupation="courier", party_member=False,
    )  # fmt: skip
    for reviewer in ("employer", "community"):
        v.review(demo.CADRE_XF, NEWCOMER, reviewer=reviewer, approved=True, note="良好")
    v.review(demo.STATION_OFFICER, NEWCOMER, reviewer="station", approved=True, note="无前科")
    v.admit(demo.OFFICER_XF, NEWCOMER)


def test_sessions_attendance_and_a_volunteers_record(fuping: Api) -> None:
    api = fuping
    made = api.post("s-cy-wang", "/api/training/sessions", session_body())
    assert made.status_code == 201, made.text
    session = made.json()["session_id"]
    path = f"/api/training/sessions/{session}"
    done = api.post("o-xf-li", f"{path}/attendance", {"volunteer_id": "v-xf-liu"}).json()
    assert (done["present"], done["credited_days"]) == (True, 1.0)
    again = api.post(
        "o-xf-li", f"{path}/corrections",
        {"volunteer_id": "v-xf-chen", "present": True, "reason": "补登"},
    ).json()  # fmt: skip
    shown = api.get("v-xf-liu", "/api/volunteers/v-xf-liu/training", wait_for=again["position"])
    record = shown.json()["record"]
    norm = norm_days(api, "v-xf-liu")
    assert (record["days"], record["norm_days"], record["short_days"]) == (1, norm, norm - 1)
    assert record["full_norm_days"] == 10
    assert record["sessions"][0]["topic"] == "防汛抢险救援"
    short = api.get("s-cy-wang", "/api/training/shortfall", wait_for=again["position"]).json()
    by_id = {r["volunteer_id"]: r["short_days"] for r in short["items"]}
    assert by_id.get("v-xf-liu", 0) == max(0, norm_days(api, "v-xf-liu") - 1)
    assert by_id["v-xf-zhou"] == norm_days(api, "v-xf-zhou")
    listed = api.get("v-xf-liu", "/api/training/sessions", wait_for=again["position"]).json()
    assert [r["session_id"] for r in listed["items"]] == [session]


def test_refusals_over_http_are_coded_and_store_nothing(fuping: Api) -> None:
    api = fuping
    session = api.post("s-cy-wang", "/api/training/sessions", session_body()).json()["session_id"]
    path = f"/api/training/sessions/{session}"
    nobody = "/api/training/sessions/00000000-0000-0000-0000-000000000000"
    api.post("o-xf-li", f"{path}/attendance", {"volunteer_id": "v-xf-liu"})
    api.post("o-xf-li", "/api/volunteers/v-xf-chen/exams", {"score": 50})
    before = head(api)
    sessions, exams = "/api/training/sessions", "/api/volunteers/v-xf-{}/exams"
    liu, wrong = {"volunteer_id": "v-xf-liu"}, {"volunteer_id": "v-xf-liu", "present": "no"}
    cases = [
        ("s-cy-wang", sessions, session_body(credit="quarter"), 422, "invalid_input"),
        ("s-cy-wang", sessions, session_body(day="tomorrow"), 422, "invalid_input"),
        ("o-xf-li", sessions, session_body(), 422, "invalid_input"),
        ("v-xf-liu", f"{path}/attendance", liu, 403, "not_permitted"),
        ("o-xf-li", f"{path}/attendance", liu, 409, "attendance_refused"),
        ("o-xf-li", f"{nobody}/attendance", liu, 404, "training_session_not_found"),
        ("o-xf-li", f"{path}/corrections", {**wrong, "reason": "x"}, 422, "invalid_input"),
        ("o-xf-li", exams.format("chen"), {"score": 90}, 409, "retake_too_soon"),
        ("o-xf-li", exams.format("liu"), {"score": "90"}, 422, "invalid_input"),
        ("s-cy-wang", "/api/volunteers/v-xf-liu/certification", None, 409, "certification_refused"),
        ("s-cy-wang", "/api/training/gate", None, 403, "not_permitted"),
    ]  # fmt: skip
    for user, where, body, status, code in cases:
        refused(api, status, code, api.post(user, where, body), before)
    answer = api.post("s-cy-wang", "/api/volunteers/v-xf-liu/certification")
    assert "还差5天岗前培训、考试未通过" in answer.json()["message_zh"]


def test_a_session_of_another_station_is_not_found_outside_it(fuping: Api) -> None:
    api = fuping
    sy = api.services.loop.training.schedule(
        demo.COUNTY_OFFICER, unit="lishu/shuangyang", **{
            k: v for k, v in session_body(day=DAY).items() if k != "unit"
        },
    ).session_id  # fmt: skip
    before = head(api)
    answer = api.post(
        "o-xf-li", f"/api/training/sessions/{sy}/attendance", {"volunteer_id": "v-xf-liu"}
    )
    refused(api, 404, "training_session_not_found", answer, before)


def test_the_gate_certifies_the_serving_as_legacy_and_holds_a_newcomer(fuping: Api) -> None:
    api = fuping
    switched = api.post("k-ls-gao", "/api/training/gate")
    assert switched.status_code == 200, switched.text
    assert {"v-xf-liu", "v-xf-chen", "v-hp-wu"} <= set(switched.json()["legacy"])
    admit_newcomer(api)
    start = datetime(YEAR, 9, 3, 19, 0, tzinfo=CHINA)
    task = api.post(
        "s-cy-wang", "/api/tasks",
        {"kind": "patrol", "topic": "夜巡", "place": "幸福路", "community": demo.XINGFU,
         "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat(),
         "needed": 3, "points": 10},
    ).json()["task_id"]  # fmt: skip
    assert api.post("v-xf-liu", f"/api/tasks/{task}/sign-ups", {}).json()["state"] == "booked"
    before = head(api)
    answer = api.post("c-xf-sun", f"/api/tasks/{task}/sign-ups", {"volunteer_id": NEWCOMER})
    body = refused(api, 409, "not_certified", answer, before)
    assert "待岗培训" in body["message_zh"]
    assert body["details"]["missing_days"] == 5.0
    record = api.get("o-xf-li", f"/api/volunteers/{NEWCOMER}/training", wait_for=head(api))
    shown = record.json()["record"]
    assert (shown["duty"], shown["pre_duty_missing_days"], shown["exam_missing"]) == (
        "awaiting_training", 5.0, True,
    )  # fmt: skip
    waiting = api.get("s-cy-wang", "/api/training/awaiting").json()["items"]
    assert waiting == [
        {
            "volunteer_id": NEWCOMER, "community": demo.XINGFU, "pre_duty_days": 0,
            "pre_duty_missing_days": 5, "exam_missing": True,
        }
    ]  # fmt: skip
    legacy = api.get("v-xf-liu", "/api/volunteers/v-xf-liu/training").json()["record"]
    assert (legacy["certified"], legacy["duty"]) == ("legacy", "active")


def test_a_retry_with_the_same_key_gets_the_first_answer_and_records_once(fuping: Api) -> None:
    api = fuping
    key = {"Idempotency-Key": "training-retry-0001"}
    session = api.post("s-cy-wang", "/api/training/sessions", session_body(), **key).json()
    again = api.post("s-cy-wang", "/api/training/sessions", session_body(), **key)
    assert again.status_code == 201, again.text
    assert (again.json()["session_id"], again.json()["replayed"]) == (session["session_id"], True)
    path = f"/api/training/sessions/{session['session_id']}/attendance"
    attend = {"Idempotency-Key": "training-retry-0002"}
    first = api.post("o-xf-li", path, {"volunteer_id": "v-xf-liu"}, **attend).json()
    before = head(api)
    retried = api.post("o-xf-li", path, {"volunteer_id": "v-xf-liu"}, **attend).json()
    assert (retried["position"], retried["replayed"]) == (first["position"], True)
    assert head(api) == before
    other = api.post("o-xf-li", path, {"volunteer_id": "v-xf-chen"}, **attend)
    refused(api, 422, "idempotency_key_reused", other, before)


def test_a_newcomer_short_of_his_pro_rated_days_is_refused_sign_ups_in_december(
    fuping: Api,
) -> None:
    """Admitted on September 1: 4 months left, 10 days x 4/12 = 3.33, his norm 3.5 days."""
    api = fuping
    admit_newcomer(api)
    api.services.loop.app.clock = FakeClock(datetime(YEAR, 12, 1, 8, 0, tzinfo=CHINA))
    held = api.post("s-cy-wang", "/api/training/sessions", session_body(day=f"{YEAR}-12-01"))
    done = api.post(
        "o-xf-li", f"/api/training/sessions/{held.json()['session_id']}/attendance",
        {"volunteer_id": NEWCOMER},
    ).json()  # fmt: skip
    start = datetime(YEAR, 12, 3, 19, 0, tzinfo=CHINA)
    task = api.post(
        "s-cy-wang", "/api/tasks",
        {"kind": "patrol", "topic": "夜巡", "place": "幸福路", "community": demo.XINGFU,
         "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat(),
         "needed": 3, "points": 10},
    ).json()["task_id"]  # fmt: skip
    before = head(api)
    answer = api.post("c-xf-sun", f"/api/tasks/{task}/sign-ups", {"volunteer_id": NEWCOMER})
    body = refused(api, 409, "training_short", answer, before)
    assert body["message_zh"].startswith("今年常态化培训还差2.5天")
    assert body["details"] == {"reason": "training_short", "short_days": 2.5, "norm_days": 3.5}
    shown = api.get("o-xf-li", f"/api/volunteers/{NEWCOMER}/training", wait_for=done["position"])
    record = shown.json()["record"]
    assert (record["norm_days"], record["short_days"], record["sign_up"]) == (3.5, 2.5, "short")
    assert record["restricted_from"] == f"{YEAR}-12-01"
    short = api.get("s-cy-wang", "/api/training/shortfall").json()["items"]
    mine = next(r for r in short if r["volunteer_id"] == NEWCOMER)
    assert (mine["norm_days"], mine["short_days"], mine["suspended"]) == (3.5, 2.5, False)


def test_a_suspension_over_http_is_refused_under_fuping_and_by_a_volunteer(fuping: Api) -> None:
    api = fuping
    before = head(api)
    path = "/api/volunteers/v-xf-liu/training-suspension"
    reason = {"reason": "常态化日常培训不足10天"}
    refused(api, 422, "invalid_input", api.post("s-cy-wang", path, reason), before)
    refused(api, 403, "not_permitted", api.post("v-xf-liu", path, reason), before)
    refused(api, 422, "invalid_input", api.post("s-cy-wang", path, {"reason": 5}), before)
    lifted = api.post("s-cy-wang", f"{path}/lifting", reason)
    refused(api, 409, "suspension_refused", lifted, before)
