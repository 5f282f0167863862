"""Filling the console's forms as a person would."""

from __future__ import annotations

from functools import partial
from typing import Any

from tests.browser.conftest import Server
from tests.builders import rewarded_over_http


def take_step(page: Any, step: str, **fields: str) -> None:
    """Fill the form of ``step`` on an incident page and submit it."""
    form = page.locator(f"form[data-step={step}]")
    for name, value in fields.items():
        control = form.locator(f"[name={name}]")
        if control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def offered_steps(page: Any) -> list[str]:
    steps: list[str] = page.eval_on_selector_all(
        "form[data-step]", "forms => forms.map(f => f.dataset.step)"
    )
    return steps


def allowed_by_api(server: Server, username: str, incident: str) -> list[str]:
    api = server.api(username)
    try:
        steps: list[str] = api.get(f"/api/incidents/{incident}").json()["allowed_steps"]
    finally:
        api.close()
    return steps


def stage_shown(page: Any) -> str:
    stage: str = page.locator(".facts [data-stage]").get_attribute("data-stage")
    return stage


def incident_of(page: Any) -> str:
    return str(page.url.split("/incidents/")[1].split("?")[0])


HAZARD = {
    "module": "hazard_screening",
    "sense": "seen",
    "what": "楼道灭火器过期，压力表指针在红区",
    "where": "幸福小区7栋2单元",
    "channel": "app",
}


def post(server: Server, username: str, path: str, body: Any = None) -> dict[str, Any]:
    api = server.api(username)
    try:
        answer = api.post(path, json=body)
    finally:
        api.close()
    assert answer.status_code in (200, 201), answer.text
    return dict(answer.json())


def reported_via_api(server: Server, reporter: str = "v-xf-liu") -> str:
    return str(post(server, reporter, "/api/incidents", HAZARD)["incident_id"])


def rewarded_via_api(server: Server, points: int, reporter: str = "v-xf-liu") -> str:
    """An incident of ``reporter`` driven through the API to a reward of ``points``."""
    incident = reported_via_api(server, reporter)
    rewarded_over_http(partial(post, server), incident, points, summary="已更换灭火器")
    return incident


def open_board_showing(page: Any, server: Server, incident: str, *, shown: bool = True) -> None:
    """Open the board, reloading while the read model has yet to catch up with
    ``incident`` (shown, or gone)."""
    for _ in range(50):
        page.goto(f"{server.url}/board")
        if (page.locator(f"[data-incident='{incident}']").count() > 0) == shown:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"the board never {'showed' if shown else 'dropped'} {incident}")
