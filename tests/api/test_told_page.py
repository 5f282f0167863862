"""The auditor's page of who was told: a volunteer moved up off a task's waitlist
is told, in his inbox and by text message, and the auditor sees it there, with
whom it went to and what became of the text; others may not open the page."""

from __future__ import annotations

from datetime import datetime, timedelta

from loop import demo
from tests.api.conftest import Api
from tests.api.test_console_pages import log_in
from tests.support import CHINA, FakeClock

START = datetime(2026, 9, 1, 19, 0, tzinfo=CHINA)


def promoted(api: Api) -> str:
    """A task of one place: 小刘 books it, 小陈 waits, 小刘 withdraws and 小陈 moves up."""
    api.services.loop.app.clock = FakeClock(START - timedelta(days=3))
    tasks = api.services.loop.tasks
    task: str = tasks.publish(
        demo.STATION_OFFICER,
        kind="school_guard",
        topic="幸福小学护校岗",
        place="幸福小学南门",
        community=demo.XINGFU,
        starts_at=START,
        ends_at=START + timedelta(hours=2),
        needed=1,
        points=5,
    ).task_id
    tasks.sign_up(demo.RIDER, task)
    tasks.sign_up(demo.COURIER, task)
    withdrawn = tasks.withdraw(demo.RIDER, task, reason="临时有事")
    assert withdrawn.promoted == [demo.COURIER.id]
    assert api.services.views.runner.wait_for(withdrawn.position, 20)
    return task


def test_the_auditor_sees_who_was_told_of_a_task_and_how(api: Api) -> None:
    task = promoted(api)
    log_in(api.client, "au-ls-ma")
    home = api.client.get("/audit")
    assert 'href="/audit/told"' in home.text
    shown = api.client.get("/audit/told", params={"unit": demo.XINGFU, "subject_id": task})
    assert shown.status_code == 200, shown.text
    assert shown.text.count('data-kind="task_promoted"') == 1
    assert "候补递补成功" in shown.text
    row = shown.text.split('data-kind="task_promoted"')[1].split("</tr>")[0]
    name = api.services.accounts.get(demo.COURIER.id).display_name
    assert f"短信 → {name} · " in row, row  # the text message, and what became of it
    status = row.split('data-delivery="')[1].split('"')[0]
    assert status in {"pending", "sending", "sent", "skipped", "expired"}, row
    assert "未读" in row
    english = api.client.get(
        "/audit/told", params={"unit": demo.XINGFU, "subject_id": task, "lang": "en"}
    )
    assert "You moved up off the waitlist" in english.text
    assert f"Text → {name} · " in english.text
    other = api.client.get("/audit/told", params={"unit": demo.XINGFU, "subject_id": "nothing"})
    assert 'data-kind="' not in other.text


def test_only_an_auditor_opens_the_page_and_only_of_his_units(api: Api) -> None:
    promoted(api)
    log_in(api.client, "s-cy-wang")
    assert api.client.get("/audit/told").status_code == 403
    log_in(api.client, "v-xf-chen")
    assert api.client.get("/audit/told").status_code == 403
    log_in(api.client, "au-ls-ma")
    assert api.client.get("/audit/told", params={"unit": "jilin"}).status_code == 403
