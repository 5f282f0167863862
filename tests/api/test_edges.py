"""Requests at the edges of what the API accepts: refused with a coded answer
(never a server error), and read positions that were never handed out."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.errors import RESPONSES
from tests.api.conftest import Api, in_process
from tests.api.served import copy_database

NO_UTC_TIME = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]
"""Moments with a zone that have no time in UTC: no store can hold them."""
REPORT = {
    "module": "traffic_safety",
    "sense": "seen",
    "what": "路口信号灯不亮",
    "where": "幸福路口",
    "channel": "app",
}


@pytest.fixture(scope="module")
def edges(seeded: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    database = copy_database(seeded, tmp_path_factory.mktemp("edges"))
    # a long wait for the read models: a request that waits shows as a slow answer
    with in_process(f"sqlite:///{database}", wait_timeout=30) as api:
        yield api


def reported(api: Api) -> str:
    answer = api.post("v-xf-liu", "/api/incidents", REPORT)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["incident_id"])


def test_a_version_no_incident_can_reach_is_refused(edges: Api) -> None:
    incident = reported(edges)
    for version in (2**63, 2**70):
        answer = edges.get("o-xf-li", f"/api/incidents/{incident}/state", version=version)
        assert answer.status_code == 422, answer.text
        assert answer.json()["code"] == "invalid_input"
    answer = edges.get("o-xf-li", f"/api/incidents/{incident}/state", version=2**31 - 1)
    assert answer.status_code == 404, answer.text
    assert answer.json()["details"]["latest_version"] == 2


@pytest.mark.parametrize("moment", NO_UTC_TIME)
def test_a_moment_without_a_utc_time_is_refused(edges: Api, moment: str) -> None:
    incident = reported(edges)
    head = edges.services.flow.app.recorder.max_notification_id()
    answers = [
        edges.get("o-xf-li", "/api/backlog/as-of", moment=moment),
        edges.get("o-xf-li", f"/api/incidents/{incident}/state", as_of=moment),
        edges.post("v-xf-liu", "/api/incidents", {**REPORT, "occurred_at": moment}),
        edges.post("o-xf-li", f"/api/incidents/{incident}/divert", {"reason": "属物业"}),
        edges.post(
            "c-xf-sun",
            f"/api/incidents/{incident}/hand-over",
            {"department": "县住建局", "received_by": "刘科长", "received_at": moment},
        ),
    ]
    divert = answers.pop(3)
    assert divert.status_code == 200, divert.text
    for answer in answers:
        assert answer.status_code == 422, answer.text
        assert answer.json()["code"] == "invalid_input"
    assert edges.services.flow.app.recorder.max_notification_id() == head + 1  # the diversion


def test_waiting_for_a_position_beyond_the_log_waits_only_for_the_log(edges: Api) -> None:
    incident = reported(edges)
    started = time.monotonic()
    answer = edges.get("o-xf-li", "/api/backlog", wait_for=10**12)
    waited = time.monotonic() - started
    assert answer.status_code == 200, answer.text
    assert waited < 15, f"waited {waited:.1f} s for a position that was never handed out"
    # and it did wait for everything stored so far: the new report is there
    assert incident in [row["incident_id"] for row in answer.json()["items"]]


def test_an_account_never_opened_is_not_found(edges: Api) -> None:
    for path in ("/api/accounts/v-hp-feng", "/api/accounts/v-hp-feng/history"):
        answer = edges.get("s-cy-wang", path)
        assert answer.status_code == 404, answer.text
        assert answer.json()["code"] == "account_not_found"


def test_the_document_shows_every_refusal_in_the_error_shape(edges: Api) -> None:
    document = edges.client.get("/openapi.json").json()
    error = {"$ref": "#/components/schemas/ErrorBody"}
    operations = [
        (method, path, operation)
        for path, item in document["paths"].items()
        if path.startswith("/api/")
        for method, operation in item.items()
    ]
    assert len(operations) > 40
    for method, path, operation in operations:
        for status in RESPONSES:
            shown = operation["responses"][str(status)]["content"]["application/json"]
            assert shown["schema"] == error, (method, path, status)
    assert "HTTPValidationError" not in document["components"]["schemas"]
