"""The inbox and notices in the console, without a browser: the badge on every
page, publishing from the form, acknowledging from the inbox, the publisher's
list of who has and has not, marking read, and a refusal in the API's words."""

from __future__ import annotations

import re

from tests.api.conftest import Api
from tests.api.test_console_pages import csrf_of, log_in


def badge(page: str) -> int:
    found = re.search(r'class="inbox-link[^"]*" href="/inbox" data-unread="(\d+)"', page)
    assert found is not None, "every page shows the inbox link"
    return int(found.group(1))


def test_a_station_publishes_a_volunteer_acknowledges_from_his_inbox(api: Api) -> None:
    log_in(api.client, "s-cy-wang")
    form = api.client.get("/notices")
    assert form.status_code == 200
    assert 'data-form="publish"' in form.text
    published = api.client.post(
        "/notices",
        data={
            "csrf_token": csrf_of(form.text),
            "key": "flood-form-1",
            "title": "防汛值守通知",
            "body": "汛期来临，请义警加强巡逻。",
            "units": "lishu/chaoyang/xingfu",
            "roles": "volunteer",
            "priority": "important",
            "requires_ack": "on",
        },
        follow_redirects=False,
    )
    assert published.status_code == 303, published.text
    notice_path = published.headers["location"].split("?")[0]
    shown = api.client.get(published.headers["location"])
    assert "通知已发布" in shown.text
    assert 'data-list="not-yet"' in shown.text
    assert 'data-person="v-xf-liu"' in shown.text

    api.client.cookies.clear()
    log_in(api.client, "v-xf-liu")
    inbox = api.client.get("/inbox")
    assert inbox.status_code == 200
    assert "防汛值守通知" in inbox.text
    before = badge(inbox.text)
    assert before >= 1
    acked = api.client.post(
        f"{notice_path}/acknowledgement",
        data={"csrf_token": csrf_of(inbox.text), "next": "/inbox"},
        follow_redirects=True,
    )
    assert acked.status_code == 200
    assert "已确认" in acked.text
    me = api.client.get("/me")
    assert badge(me.text) == before  # acknowledging is not reading
    api.client.post("/inbox/read", data={"csrf_token": csrf_of(me.text)})
    assert badge(api.client.get("/me").text) == 0

    api.client.cookies.clear()
    log_in(api.client, "s-cy-wang")
    listed = api.client.get(notice_path)
    acknowledged = listed.text.split('data-list="acknowledged"')[1].split("</ul>")[0]
    assert 'data-person="v-xf-liu"' in acknowledged
    not_yet = listed.text.split('data-list="not-yet"')[1].split("</ul>")[0]
    assert 'data-person="v-xf-liu"' not in not_yet
    assert 'data-person="v-xf-chen"' in not_yet


def test_a_refused_publication_shows_the_apis_words_and_keeps_the_form(api: Api) -> None:
    log_in(api.client, "s-cy-wang")
    page = api.client.get("/notices")
    head = api.services.loop.app.recorder.max_notification_id()
    answer = api.client.post(
        "/notices",
        data={
            "csrf_token": csrf_of(page.text),
            "title": "巡逻安排",
            "body": "请按时参加。",
            "units": "lishu/chaoyang/xingfu",
            "requires_ack": "on",
            "valid_until": "2026-01-01T00:00",  # already over
        },
    )
    assert answer.status_code == 422
    assert "有效期须在开始时间和当前时间之后结束" in answer.text
    assert 'value="巡逻安排"' in answer.text
    assert api.services.loop.app.recorder.max_notification_id() == head


def test_a_volunteer_has_no_publication_form_and_sees_alerts_in_his_inbox(api: Api) -> None:
    log_in(api.client, "v-xf-liu")
    inbox = api.client.get("/inbox")
    assert 'data-kind="report_rewarded"' in inbox.text  # the demo rewarded his report
    assert "已兑现20积分" in inbox.text
    assert "/notices" not in re.findall(r'<nav class="mainnav".*?</nav>', inbox.text, re.S)[0]
    unread = api.client.get("/inbox?unread=true")
    assert unread.status_code == 200
