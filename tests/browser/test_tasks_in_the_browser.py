"""A duty task in the browser, on a phone: a volunteer finds a task near him,
signs up, is checked in by the task's leader, and sees his hours and points once
the task is completed and its points co-signed.

The service runs in this process on a copy of the seeded demo, on a clock the
test moves (the loop's clock; log-ins keep real time), so the day of the task
comes without waiting for it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from api.app import create_app
from api.seed import DEMO_PASSWORD
from api.services import Services, build_services
from tests.api.conftest import service_settings
from tests.api.served import copy_database
from tests.browser.conftest import DESKTOP, PHONE, free_port, shot
from tests.support import CHINA, FakeClock

START = (datetime.now(CHINA) + timedelta(days=2)).replace(hour=7, minute=0, second=0, microsecond=0)


class Served:
    def __init__(self, url: str, services: Services, clock: FakeClock) -> None:
        self.url = url
        self.services = services
        self.clock = clock

    def post(self, username: str, path: str, body: Any = None) -> dict[str, Any]:
        with httpx.Client(base_url=self.url, timeout=30) as client:
            token = client.post(
                "/api/auth/login", json={"username": username, "password": DEMO_PASSWORD}
            ).json()["access_token"]
            answer = client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code in (200, 201), answer.text
        return dict(answer.json())

    def head(self) -> int:
        """The log's last position: a page read with ``?wait_for=`` it shows every write so far."""
        return int(self.services.loop.app.recorder.max_notification_id() or 0)


@pytest.fixture
def served(seeded: Path, tmp_path: Path) -> Iterator[Served]:
    database = copy_database(seeded, tmp_path)
    clock = FakeClock(datetime.now(CHINA))
    services = build_services(
        service_settings(f"sqlite:///{database}", allowed_hosts=["127.0.0.1", "localhost"])
    )
    services.loop.app.clock = clock
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(services=services), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield Served(url, services, clock)
    finally:
        server.should_exit = True
        thread.join(15)
        services.close()


def open_as(browser: Any, served: Served, username: str, *, phone: bool) -> Any:
    context = browser.new_context(
        viewport=PHONE if phone else DESKTOP,
        device_scale_factor=2 if phone else 1,
        is_mobile=phone,
        has_touch=phone,
        locale="zh-CN",
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{served.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def publish(served: Served, topic: str, community: str) -> str:
    body = {
        "kind": "school_guard",
        "topic": topic,
        "place": topic,
        "community": community,
        "starts_at": START.isoformat(),
        "ends_at": (START + timedelta(hours=1)).isoformat(),
        "needed": 2,
        "intensity": "light",
        "points": 5,
        "leader_id": "v-xf-zhou",
    }
    return str(served.post("s-cy-wang", "/api/tasks", body)["task_id"])


def test_a_volunteer_on_a_phone_signs_up_is_checked_in_and_sees_hours_and_points(
    browser: Any, served: Served
) -> None:
    elsewhere = publish(served, "和平小学护校岗", "lishu/chaoyang/heping")
    near = publish(served, "幸福小学护校岗", "lishu/chaoyang/xingfu")

    volunteer = open_as(browser, served, "v-xf-liu", phone=True)
    volunteer.goto(f"{served.url}/tasks?wait_for={served.head()}")  # both tasks listed
    cards = volunteer.locator(".task-card")
    cards.first.wait_for()
    assert cards.first.get_attribute("data-task") == near  # his community's first
    assert volunteer.locator(f".task-card[data-task='{elsewhere}']").count() == 1
    assert volunteer.locator("[data-hours]").get_attribute("data-hours") == "0.0"
    shot(volunteer, "volunteer-tasks-phone")
    with volunteer.expect_navigation():
        volunteer.locator(f".task-card[data-task='{near}'] button[type=submit]").click()
    assert volunteer.locator(".alert-ok").inner_text() == "报名成功"
    assert volunteer.locator(f"[data-mine='{near}']").get_attribute("data-state") == "booked"

    served.clock.now = START - timedelta(minutes=10)  # the morning of the task
    leader = open_as(browser, served, "v-xf-zhou", phone=True)
    leader.goto(f"{served.url}/tasks/{near}")
    row = leader.locator("[data-roster='v-xf-liu']")
    assert row.get_attribute("data-state") == "booked"
    qr = leader.locator("img[data-qr]")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")  # the QR code shows
    with leader.expect_navigation():
        row.locator("[data-step=check-in]").click()
    for _ in range(50):  # the roster is a read model: it follows the check-in at once
        if leader.locator("[data-roster='v-xf-liu'] [data-in]").inner_text().strip():
            break
        leader.reload()
    assert "hand" in leader.locator("[data-roster='v-xf-liu'] [data-in]").inner_text()
    shot(leader, "leader-roster-phone")

    served.clock.now = START + timedelta(hours=2)  # over: the officer completes it
    officer = open_as(browser, served, "o-xf-li", phone=False)
    officer.goto(f"{served.url}/tasks/{near}")
    officer.fill("form[data-complete] input[name=reach]", "300")
    with officer.expect_navigation():
        officer.locator("form[data-complete] button[type=submit]").click()
    assert "1人到岗" in officer.locator("[data-completed]").inner_text()
    served.post("d-xf-zhao", f"/api/tasks/{near}/signatures")  # Lishu: co-signed
    with officer.expect_navigation():
        officer.locator("[data-sign]").click()

    volunteer.goto(f"{served.url}/tasks")
    for _ in range(50):
        if volunteer.locator("[data-task-points]").get_attribute("data-task-points") == "5":
            break
        volunteer.reload()
    assert volunteer.locator("[data-hours]").get_attribute("data-hours") == "1.0"
    assert volunteer.locator("[data-task-points]").get_attribute("data-task-points") == "5"
    mine = volunteer.locator(f"[data-mine='{near}']")
    assert mine.get_attribute("data-state") == "attended"
    assert "1.0小时" in mine.inner_text()
    shot(volunteer, "volunteer-task-hours-phone")
    volunteer.goto(f"{served.url}/me")
    assert "任务" in volunteer.locator(".events").first.inner_text()  # the deposit names it
