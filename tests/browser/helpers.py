"""Filling the console's forms as a person would."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Server


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
