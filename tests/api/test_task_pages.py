"""The duty-task pages over HTTP, without a browser: a station publishes from its
calendar, a volunteer signs up from his list, a refused form says why in the
API's words and stores nothing, and the roster's QR code holds the check-in
address."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.api.conftest import Api
from tests.api.test_console_pages import csrf_of, log_in
from tests.support import CHINA, FakeClock

START = datetime(2026, 9, 1, 19, 0, tzinfo=CHINA)


def publish_form(api: Api, **changes: str) -> tuple[int, str]:
    log_in(api.client, "s-cy-wang")
    calendar = api.client.get("/calendar")
    assert calendar.status_code == 200, calendar.text
    form = {
        "csrf_token": csrf_of(calendar.text),
        "kind": "school_guard",
        "topic": "幸福小学护校岗",
        "place": "幸福小学南门",
        "community": "lishu/chaoyang/xingfu",
        "starts_at": "2026-09-01T19:00",
        "ends_at": "2026-09-01T21:00",
        "needed": "1",
        "intensity": "light",
        "points": "5",
        **changes,
    }
    answer = api.client.post("/calendar", data=form, follow_redirects=True)
    return answer.status_code, answer.text


def test_a_station_publishes_and_a_volunteer_signs_up_from_the_pages(api: Api) -> None:
    api.services.loop.app.clock = FakeClock(START - timedelta(days=1))
    status, shown = publish_form(api)
    assert status == 200, shown
    assert "任务已发布" in shown
    assert "幸福小学护校岗" in shown
    log_in(api.client, "v-xf-liu")
    listed = api.client.get("/tasks")
    assert "幸福小学护校岗" in listed.text
    task = listed.text.split('data-task="')[1].split('"')[0]
    form = {"csrf_token": csrf_of(listed.text), "key": "k-1"}
    signed = api.client.post(f"/tasks/{task}/sign-up", data=form, follow_redirects=True)
    assert signed.status_code == 200
    assert 'data-done="booked"' in signed.text
    assert f'data-mine="{task}" data-state="booked"' in signed.text
    log_in(api.client, "v-xf-chen")
    listed = api.client.get("/tasks")
    assert "候补报名" in listed.text  # the one place is taken


def test_a_refused_publish_form_says_why_and_stores_nothing(api: Api) -> None:
    api.services.loop.app.clock = FakeClock(START - timedelta(days=1))
    head = api.services.loop.app.recorder.max_notification_id()
    status, shown = publish_form(api, ends_at="2026-09-01T18:00")
    assert status == 422
    assert "任务结束时间须晚于开始时间" in shown
    assert 'value="幸福小学护校岗"' in shown  # what was typed is kept
    assert api.services.loop.app.recorder.max_notification_id() == head


def test_the_roster_shows_a_qr_code_of_the_check_in_address(api: Api) -> None:
    api.services.loop.app.clock = FakeClock(START - timedelta(days=1))
    publish_form(api)
    calendar = api.client.get("/calendar")
    task = calendar.text.split('data-task="')[1].split('"')[0]
    roster = api.client.get(f"/tasks/{task}")
    assert "data-qr" in roster.text
    svg = api.client.get(f"/tasks/{task}/qr.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.startswith("<svg")
    assert 'xmlns="http://www.w3.org/2000/svg"' in svg.text  # an image a browser shows
    log_in(api.client, "v-xf-liu")
    assert api.client.get(f"/tasks/{task}/qr.svg").status_code == 403  # not his to show


def test_the_statistics_page_shows_the_task_figures(api: Api) -> None:
    log_in(api.client, "s-cy-wang")
    shown = api.client.get("/stats")
    assert shown.status_code == 200, shown.text
    assert "任务勤务" in shown.text
    assert 'data-task-metric="hours">0.0<' in shown.text  # the seeded demo runs no task
