"""Training in the browser, on a phone, under Fuping's preset with the county's
duty gate on: a newly admitted volunteer sees that he awaits training and exactly
what he lacks ("还差5天岗前培训、考试未通过"), the sessions ahead, and the tasks he
may not yet take, with the reason; once trained, examined and certified, he sees
he may go on duty. The page fits the phone's width.

The service runs in this process on a copy of the seeded demo, on a clock the
test moves (the loop's clock; log-ins keep real time).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from aggregates.actor import Actor
from api.app import create_app
from api.seed import DEMO_PASSWORD
from api.services import build_services
from loop import demo
from tests.api.conftest import service_settings
from tests.api.served import copy_database
from tests.browser.conftest import free_port, shot
from tests.browser.test_tasks_in_the_browser import Served, open_as
from tests.support import CHINA, FakeClock

NEWCOMER = Actor("v-xf-wang", "volunteer", demo.XINGFU)
TODAY = datetime.now(CHINA).replace(hour=8, minute=0, second=0, microsecond=0)


@pytest.fixture
def served(seeded: Path, tmp_path: Path) -> Iterator[Served]:
    database = copy_database(seeded, tmp_path)
    clock = FakeClock(TODAY)
    services = build_services(
        service_settings(
            f"sqlite:///{database}", allowed_hosts=["127.0.0.1", "localhost"], scoring="fuping"
        )
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
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield Served(f"http://127.0.0.1:{port}", services, clock)
    finally:
        server.should_exit = True
        thread.join(15)
        services.close()


def admit_newcomer(served: Served) -> None:
    s = served.services
    v = s.loop.volunteers
    run = s.committer.call
    run(
        v.apply, demo.CADRE_XF, volunteer_id=NEWCOMER.id, name="王某", phone="13904349999",
        id_number=demo.sample_id_number(9), address="幸福小区9栋", employer="幸福超市",
        occupation="courier", party_member=False,
    )  # fmt: skip
    for reviewer in ("employer", "community"):
        run(v.review, demo.CADRE_XF, NEWCOMER.id, reviewer=reviewer, approved=True, note="良好")
    run(v.review, demo.STATION_OFFICER, NEWCOMER.id, reviewer="station", approved=True, note="无")
    run(v.admit, demo.OFFICER_XF, NEWCOMER.id)
    s.accounts.create(
        NEWCOMER.id,
        DEMO_PASSWORD,
        role="volunteer",
        unit=demo.XINGFU,
        operator=demo.ADMIN,
        must_change_password=False,
    )


def session(served: Served, day: datetime, topic: str) -> str:
    body = {
        "kind": "pre_duty", "topic": topic, "instructor": "阜平县公安局",
        "day": day.date().isoformat(), "credit": "whole", "mode": "in_person", "place": "县局",
    }  # fmt: skip
    return str(served.post("s-cy-wang", "/api/training/sessions", body)["session_id"])


def fits(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_newcomer_on_a_phone_sees_what_he_lacks_then_that_he_may_go_on_duty(
    browser: Any, served: Served
) -> None:
    served.post("k-ls-gao", "/api/training/gate")
    admit_newcomer(served)
    ahead = session(served, TODAY + timedelta(days=1), "工作纪律与保密规定")
    start = TODAY + timedelta(days=20, hours=11)
    task = served.post("s-cy-wang", "/api/tasks", {
        "kind": "patrol", "topic": "幸福路夜间巡逻", "place": "幸福路", "community": demo.XINGFU,
        "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat(),
        "needed": 3, "points": 10,
    })["task_id"]  # fmt: skip

    phone = open_as(browser, served, NEWCOMER.id, phone=True)
    phone.goto(f"{served.url}/training?wait_for={served.head()}")  # the gate, him and the task
    assert phone.locator("[data-duty]").get_attribute("data-duty") == "awaiting_training"
    assert "待岗培训" in phone.locator("[data-duty]").inner_text()
    progress = phone.locator("[data-progress]").inner_text()
    assert "还差5天岗前培训、考试未通过" in progress
    assert phone.locator(f"[data-session='{ahead}']").count() == 1
    assert fits(phone)
    shot(phone, "volunteer-training-phone")
    phone.goto(f"{served.url}/tasks")
    card = phone.locator(f".task-card[data-task='{task}']")
    assert card.locator("[data-why-not]").get_attribute("data-why-not") == "not_certified"
    assert card.locator("button[type=submit]").count() == 0  # no sign-up offered

    for n in range(1, 6):  # five whole days of pre-duty training, then the exam
        served.clock.now = TODAY + timedelta(days=n, hours=2)
        held = ahead if n == 1 else session(served, served.clock.now, f"岗前培训第{n}天")
        served.post(
            "o-xf-li", f"/api/training/sessions/{held}/attendance", {"volunteer_id": NEWCOMER.id}
        )
    served.post("o-xf-li", f"/api/volunteers/{NEWCOMER.id}/exams", {"score": 82})
    done = served.post("s-cy-wang", f"/api/volunteers/{NEWCOMER.id}/certification")
    phone.goto(f"{served.url}/training?wait_for={done['position']}")
    assert phone.locator("[data-duty]").get_attribute("data-duty") == "active"
    assert "培训考试合格" in phone.locator("[data-duty]").inner_text()
    assert phone.locator("[data-pre-duty-days]").get_attribute("data-pre-duty-days") == "5"
    assert phone.locator("[data-progress]").count() == 0
    assert fits(phone)
    shot(phone, "volunteer-training-certified-phone")
    phone.goto(f"{served.url}/tasks")
    card = phone.locator(f".task-card[data-task='{task}']")
    assert card.locator("button[type=submit]").count() == 1


def test_a_volunteer_short_of_the_years_days_sees_why_on_his_phone(
    browser: Any, served: Served
) -> None:
    """Fuping: admitted on 1 September, 3.5 of the 10 days due this year; on
    1 December, with none done, his page and the task list say why he may not sign up."""
    served.clock.now = datetime(2026, 9, 1, 8, 0, tzinfo=CHINA)
    admit_newcomer(served)
    served.clock.now = datetime(2026, 12, 1, 8, 0, tzinfo=CHINA)
    start = served.clock.now + timedelta(days=5, hours=11)
    task = served.post("s-cy-wang", "/api/tasks", {
        "kind": "patrol", "topic": "幸福路夜间巡逻", "place": "幸福路", "community": demo.XINGFU,
        "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat(),
        "needed": 3, "points": 10,
    })  # fmt: skip
    phone = open_as(browser, served, NEWCOMER.id, phone=True)
    phone.goto(f"{served.url}/training?wait_for={task['position']}")
    why = phone.locator("[data-sign-up]")
    assert why.get_attribute("data-sign-up") == "short"
    assert "今年常态化培训还差3.5天，12月1日起不能报名任务" in why.inner_text()
    assert phone.locator("[data-norm-days]").get_attribute("data-norm-days") == "3.5"
    assert phone.locator("[data-progress]").count() == 0  # no gate here: no pre-duty remainder
    assert fits(phone)
    shot(phone, "volunteer-training-short-phone")
    phone.goto(f"{served.url}/tasks")
    card = phone.locator(f".task-card[data-task='{task['task_id']}']")
    assert card.locator("[data-why-not]").get_attribute("data-why-not") == "training_short"
    assert "今年常态化培训还差3.5天" in card.locator("[data-why-not]").inner_text()
    assert card.locator("button[type=submit]").count() == 0  # no sign-up offered
