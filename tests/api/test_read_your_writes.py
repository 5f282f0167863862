"""Read your own writes: every read that lists or sums from the read models takes
``?wait_for=`` (and the OpenAPI document says so), and the console waits for its
own write before it redirects.

The read models' runner is stopped in these tests, so only a wait brings them up
to date: a read without ``wait_for`` shows the old state, one with it the new."""

from __future__ import annotations

import inspect
import re
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from fastapi.routing import iter_route_contexts

from loop import demo
from tests import builders
from tests.api.conftest import Api
from tests.api.test_console_pages import csrf_of, log_in
from tests.builders import scored

XINGFU = demo.XINGFU
READ_MODEL_ROUTES = {
    "/api/backlog",
    "/api/backlog/summary",
    "/api/backlog/as-of",
    "/api/publicity",
    "/api/statistics",
    "/api/leaderboard",
    "/api/incidents",
    "/api/catalogue",
    "/api/volunteers",
    "/api/accounts/{volunteer_id}",
    "/api/talks/suggestions",
}
READER = {"/api/accounts/{volunteer_id}": "v-xf-liu"}
PARAMS = {"/api/backlog/as-of": {"moment": "2026-07-11T10:00:00+08:00"}}


def reading_routes(api: Api) -> set[str]:
    """The GET routes whose function reads the read models (found in its source)."""
    return {
        str(route.path)
        for route in iter_route_contexts(api.client.app.routes)  # type: ignore[attr-defined]
        if "GET" in (route.methods or ())
        and route.endpoint is not None
        and "views.queries" in inspect.getsource(route.endpoint)
    }


@pytest.fixture
def stopped(api: Api) -> Api:
    """The service with its read models' runner stopped: nothing catches them up
    unless a read waits."""
    api.services.views.runner.stop()
    return api


def rewarded(api: Api, incident: str, points: int) -> None:
    """The incident, in handling, taken to its reward through the writer."""
    flow, call, uid = api.services.flow, api.services.committer.call, UUID(incident)
    call(flow.take, "record_outcome", demo.OFFICER_XF, uid, summary="已处置")
    call(scored, flow, uid, points)
    call(builders.rewarded, flow, uid)


def caught_up(api: Api) -> bool:
    head = api.services.loop.app.recorder.max_notification_id()
    return all(p == head for p in api.services.views.projector.positions().values())


def test_every_read_of_the_read_models_takes_wait_for_and_the_document_says_so(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    routes = reading_routes(api)
    assert routes == READ_MODEL_ROUTES
    document = api.client.get("/openapi.json").json()
    waited: list[int | None] = []

    async def spy(position: int | None) -> bool:
        waited.append(position)
        return True

    monkeypatch.setattr(api.services, "wait_for", spy)
    for path in sorted(routes):
        names = {p["name"] for p in document["paths"][path]["get"]["parameters"]}
        assert "wait_for" in names, path
        reader = READER.get(path, "o-xf-li")
        answer = api.get(
            reader, path.format(volunteer_id=reader), wait_for=4321, **PARAMS.get(path, {})
        )
        assert answer.status_code == 200, (path, answer.text)
        assert waited[-1:] == [4321], path


def test_the_publicity_board_shows_a_case_just_publicized_to_who_waits(stopped: Api) -> None:
    (case, *_) = stopped.services.views.queries.cases(XINGFU, stage="rewarded")
    done = stopped.post(
        "p-ls-qian",
        f"/api/incidents/{case['incident_id']}/publicize",
        {"title": "义警及时发现隐患", "redaction_note": "已核对，无个人信息"},
    )
    assert done.status_code == 200, done.text

    def board(**wait: Any) -> list[str]:
        answer = stopped.get("o-xf-li", "/api/publicity", **wait)
        return [row["incident_id"] for row in answer.json()["items"]]

    assert case["incident_id"] not in board()
    assert case["incident_id"] in board(wait_for=done.json()["position"])


def test_the_leaderboard_shows_a_deduction_just_made_to_who_waits(stopped: Api) -> None:
    def score(**wait: Any) -> int:
        rows = stopped.get("o-xf-li", "/api/leaderboard", **wait).json()["items"]
        return int(next(r["score"] for r in rows if r["volunteer_id"] == "v-xf-liu"))

    before = score()
    done = stopped.post(
        "d-xf-zhao", "/api/accounts/v-xf-liu/deductions", {"reason": "未完成巡逻任务", "points": 3}
    )
    assert done.status_code == 200, done.text
    assert score() == before
    assert score(wait_for=done.json()["position"]) == before - 3


def test_the_backlog_as_it_stood_includes_a_report_just_made_to_who_waits(stopped: Api) -> None:
    done = stopped.post(
        "v-xf-liu",
        "/api/incidents",
        {"channel": "app", "module": "anti_fraud", "sense": "heard",
         "what": "有人冒充客服要验证码", "where": "幸福小区"},
    )  # fmt: skip
    assert done.status_code == 201, done.text
    moment = datetime.now(UTC).isoformat()

    def then(**wait: Any) -> list[str]:
        answer = stopped.get("o-xf-li", "/api/backlog/as-of", moment=moment, **wait)
        return [row["incident_id"] for row in answer.json()["items"]]

    assert done.json()["incident_id"] not in then()
    assert done.json()["incident_id"] in then(wait_for=done.json()["position"])


def test_the_console_waits_for_its_own_report_step_and_redemption_before_it_redirects(
    stopped: Api,
) -> None:
    client = stopped.client
    log_in(client, "v-xf-liu")
    form = client.get("/report").text
    report = {
        "csrf_token": csrf_of(form),
        "key": re.findall(r'name="key" value="([^"]+)"', form)[0],
        "module": "hazard_screening", "sense": "seen", "what": "井盖缺失", "where": "幸福路",
    }  # fmt: skip
    answer = client.post("/report", data=report, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    assert caught_up(stopped), "the report is in his list when the page comes"

    incident = answer.headers["location"].split("/")[2].split("?")[0]
    log_in(client, "o-xf-li")
    page = client.get(f"/incidents/{incident}").text
    answer = client.post(
        f"/incidents/{incident}/steps/accept",
        data={"csrf_token": csrf_of(page)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    assert caught_up(stopped), "the step is in every read model when the page comes"

    rewarded(stopped, incident, 60)  # enough for anything his community's bank holds
    log_in(client, "v-xf-liu")
    me = client.get("/me").text
    item = re.findall(r'name="item_id" value="([^"]+)"', me)[0]
    answer = client.post(
        "/me/redemptions", data={"csrf_token": csrf_of(me), "item_id": item},
        follow_redirects=False,
    )  # fmt: skip
    assert answer.status_code == 303, answer.text
    assert caught_up(stopped), "the balance he is shown next is the new one"
