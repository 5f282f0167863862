"""Strict input everywhere: nothing coerced into another type, no control
characters, moments within the county's records and now, filters from their
known values, malformed JSON a 400; the console refusing exactly what the API
refuses, as a page and never a server error. Every refusal stores nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from loop.rules.stages import STAGES
from tests.api.conftest import Api, in_process
from tests.api.served import copy_database
from tests.api.test_console_pages import csrf_of, log_in

XINGFU = "lishu/chaoyang/xingfu"
REPORT = {
    "module": "hazard_screening",
    "sense": "seen",
    "what": "井盖丢失",
    "where": "幸福路口",
    "channel": "app",
}


@pytest.fixture(scope="module")
def strict(seeded: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    database = copy_database(seeded, tmp_path_factory.mktemp("strict"))
    with in_process(f"sqlite:///{database}") as api:
        yield api


def head(api: Api) -> int | None:
    return api.services.flow.app.recorder.max_notification_id()


def reported(api: Api) -> str:
    answer = api.post("v-xf-liu", "/api/incidents", REPORT)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["incident_id"])


def refused(answer: Any, status: int = 422, code: str = "invalid_input") -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body: dict[str, Any] = answer.json()
    assert body["code"] == code, body
    return body


def moment(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat()


# -- no coercion ----------------------------------------------------------------------


def test_no_value_is_taken_for_another_type(strict: Api) -> None:
    incident = reported(strict)
    strict.post("o-xf-li", f"/api/incidents/{incident}/accept")
    strict.post("o-xf-li", f"/api/incidents/{incident}/outcome", {"summary": "已处置"})
    before = head(strict)
    score = f"/api/incidents/{incident}/score"
    for points in ("5", True, 5.0):  # a string or a boolean is not a number
        body = {"items": [{"item": "隐患", "points": points}], "basis": "考评办法"}
        refused(strict.post("c-xf-sun", score, body))
    for version in ("4", True):
        refused(
            strict.post(
                "c-xf-sun", f"/api/incidents/{incident}/sign", {"expected_version": version}
            )
        )
    for when in (1783728000, "1783728000", "2026-07-11", "2026-07-11T10:00:00", True):
        refused(strict.post("v-xf-liu", "/api/incidents", {**REPORT, "occurred_at": when}))
    refused(strict.post("v-xf-liu", "/api/incidents", {**REPORT, "module": 1}))
    refused(
        strict.post(
            "v-xf-liu", "/api/accounts/v-xf-liu/redemptions", {"item_id": "x", "quantity": "1"}
        )
    )
    refused(
        strict.post(
            "c-xf-sun", "/api/catalogue", {"name": "伞", "donor": "店", "stock": "5", "price": 1}
        )
    )
    review = {"reviewer": "community", "approved": 1, "note": "好"}
    refused(strict.post("c-xf-sun", "/api/volunteers/v-hp-feng/reviews", review))
    assert head(strict) == before


def test_query_numbers_and_moments_are_written_plainly(strict: Api) -> None:
    incident = reported(strict)
    for limit in ("5.0", "1_000", " 5", "+5", "true", "٥"):
        refused(strict.get("o-xf-li", "/api/backlog", limit=limit))
    assert strict.get("o-xf-li", "/api/backlog", limit="5").status_code == 200
    refused(strict.get("o-xf-li", "/api/backlog", wait_for="1e3"))
    refused(strict.get("o-xf-li", f"/api/incidents/{incident}/state", version="1.0"))
    for when in ("1783728000", "2026-07-11", "2026-07-11T10:00:00"):
        refused(strict.get("o-xf-li", f"/api/incidents/{incident}/state", as_of=when))
        refused(strict.get("o-xf-li", "/api/backlog/as-of", moment=when))
    state = strict.get("o-xf-li", f"/api/incidents/{incident}/state", as_of=moment(timedelta()))
    assert state.status_code == 200, state.text


# -- text -------------------------------------------------------------------------------


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x07", "\x7f", "\u202e", "\x85"])
def test_control_characters_are_refused_in_text(strict: Api, char: str) -> None:
    incident = reported(strict)
    before = head(strict)
    body = refused(strict.post("v-xf-liu", "/api/incidents", {**REPORT, "what": f"井盖{char}丢失"}))
    assert body["details"]["field"] == "what"
    assert body["details"]["character"] == f"U+{ord(char):04X}"
    refused(
        strict.post("o-xf-li", f"/api/incidents/{incident}/escalate", {"reason": f"复杂{char}"})
    )
    application = {
        "volunteer_id": "v-xf-ctl",
        "name": f"王{char}某",
        "phone": "13900000000",
        "id_number": "220322199001011233",
        "address": "幸福社区",
        "employer": "某公司",
        "occupation": "courier",
    }
    refused(strict.post("c-xf-sun", "/api/volunteers", application))
    assert head(strict) == before


def test_line_breaks_only_where_several_lines_are_expected(strict: Api) -> None:
    incident = reported(strict)
    several = strict.post("v-xf-liu", "/api/incidents", {**REPORT, "what": "井盖丢失\r\n路口北侧"})
    assert several.status_code == 201, several.text
    for one_line in ({"where": "幸福\n路口"}, {"where": "幸福\u2028路口"}):
        body = refused(strict.post("v-xf-liu", "/api/incidents", {**REPORT, **one_line}))
        assert body["details"]["field"] == "where"
    escalated = strict.post("o-xf-li", f"/api/incidents/{incident}/escalate", {"reason": "一\n二"})
    assert escalated.status_code == 200, escalated.text


# -- moments ---------------------------------------------------------------------------


def test_moments_lie_between_the_countys_first_records_and_now(strict: Api) -> None:
    before = head(strict)
    for when in (
        "1901-01-01T00:00:00+08:00",
        "2019-12-31T23:59:59+08:00",
        moment(timedelta(hours=1)),
    ):
        body = refused(strict.post("v-xf-liu", "/api/incidents", {**REPORT, "occurred_at": when}))
        assert body["details"]["field"] == "occurred_at"
    assert head(strict) == before
    earlier = strict.post(
        "v-xf-liu", "/api/incidents", {**REPORT, "occurred_at": moment(-timedelta(hours=2))}
    )
    assert earlier.status_code == 201, earlier.text
    incident = reported(strict)
    strict.post("o-xf-li", f"/api/incidents/{incident}/divert", {"reason": "属物业"})
    handover = {
        "department": "县住建局",
        "received_by": "刘科长",
        "received_at": moment(timedelta(days=3)),
    }
    refused(strict.post("c-xf-sun", f"/api/incidents/{incident}/hand-over", handover))


# -- filters -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "allowed"),
    [
        ("/api/incidents", {"stage": "reportd"}, list(STAGES)),
        ("/api/backlog", {"stage": "reportd"}, list(STAGES)),
        ("/api/incidents", {"module": "fraud"}, None),
        ("/api/statistics", {"module": "fraud"}, None),
        ("/api/volunteers", {"status": "sleeping"}, None),
    ],
)
def test_an_unknown_filter_value_is_refused_naming_the_known_ones(
    strict: Api, path: str, params: dict[str, str], allowed: list[str] | None
) -> None:
    body = refused(strict.get("o-xf-li", path, **params))
    (error,) = body["details"]["errors"]
    assert error["field"] == f"query.{next(iter(params))}"
    assert error["allowed"], error
    if allowed is not None:
        assert error["allowed"] == allowed
    empty = {name: "" for name in params}  # an empty filter is no filter
    now = head(strict) or 0  # both read after everything stored so far
    assert timeless(strict.get("o-xf-li", path, **empty, wait_for=now).json()) == timeless(
        strict.get("o-xf-li", path, wait_for=now).json()
    )


def timeless(body: Any) -> Any:
    """The body without the figures counted from the clock (an age in seconds
    ticks over between two reads a moment apart)."""
    if isinstance(body, dict):
        return {key: timeless(value) for key, value in body.items() if key != "age_seconds"}
    if isinstance(body, list):
        return [timeless(value) for value in body]
    return body


def test_malformed_units_and_months_are_refused(strict: Api) -> None:
    for unit in ("lishu//xingfu", "lishu/chaoyang/xingfu/1/2", "lishu\x00", " lishu"):
        refused(strict.get("k-ls-gao", "/api/backlog", unit=unit))
    for period in ("2026-13", "2026-00", "26-07", "2026-7"):
        refused(strict.get("k-ls-gao", "/api/statistics", period=period))
    assert strict.get("k-ls-gao", "/api/statistics", period="2026-07").status_code == 200


# -- malformed JSON ----------------------------------------------------------------------


def test_a_body_that_is_not_json_is_a_400(strict: Api) -> None:
    incident = reported(strict)
    before = head(strict)
    for path, user in (
        ("/api/incidents", "v-xf-liu"),
        (f"/api/incidents/{incident}/escalate", "o-xf-li"),
        ("/api/volunteers/v-xf-chen/status", "o-xf-li"),
    ):
        answer = strict.client.post(
            path,
            content=b'{"reason": "x",',
            headers={**strict.headers(user), "Content-Type": "application/json"},
        )
        body = refused(answer, 400, "malformed_json")
        assert body["message_zh"]
        assert body["message_en"]
    assert head(strict) == before


# -- the console -------------------------------------------------------------------------


def test_the_console_refuses_what_the_api_refuses_in_the_same_words(strict: Api) -> None:
    incident = reported(strict)
    strict.post("o-xf-li", f"/api/incidents/{incident}/accept")
    strict.post("o-xf-li", f"/api/incidents/{incident}/outcome", {"summary": "已处置"})
    log_in(strict.client, "c-xf-sun")
    page = strict.client.get(f"/incidents/{incident}").text
    before = head(strict)
    for points in ("5.0", "五", "-1", "99999"):
        form = {"csrf_token": csrf_of(page), "item": "隐患", "points": points, "basis": "考评办法"}
        shown = strict.client.post(f"/incidents/{incident}/steps/propose_score", data=form)
        number: Any = int(points) if points.lstrip("-").isdigit() else points
        body = {"items": [{"item": "隐患", "points": number}], "basis": "考评办法"}
        api = strict.post("c-xf-sun", f"/api/incidents/{incident}/score", body)
        assert shown.status_code == api.status_code == 422, (points, api.text)
        assert api.json()["message_zh"] in shown.text, points
    assert head(strict) == before


@pytest.mark.parametrize(
    "path",
    [
        "/board?module=fraud",
        "/board?age=2d",
        "/board?unit=lishu//x",
        "/board?wait_for=1e3",
        "/incidents?stage=reportd",
        "/stats?period=2026-13",
        "/audit/backlog?moment=0001-01-01T00:00:00%2B14:00",
        "/audit/backlog?moment=9999-12-31T23:59:59-14:00",
        "/audit/backlog?moment=1783728000",
        "/audit/backlog?moment=not-a-time",
        "/audit/incidents/{incident}?version=1180591620717411303424",
        "/audit/incidents/{incident}?version=1.0",
        "/me?wait_for=x",
    ],
)
def test_bad_input_to_a_console_page_is_a_page_not_a_server_error(strict: Api, path: str) -> None:
    incident = reported(strict)
    user = (
        "au-ls-ma"
        if path.startswith("/audit")
        else "v-xf-liu"
        if path.startswith("/me")
        else "k-ls-gao"
    )
    log_in(strict.client, user)
    answer = strict.client.get(path.format(incident=incident))
    assert answer.status_code == 422, (path, answer.status_code)
    assert answer.headers["content-type"].startswith("text/html")
