"""The training page in the console, on a copy of the seeded demo under Fuping's
preset: a volunteer sees his days against the norm and, under the gate, what he
still lacks before duty ("还差…天岗前培训、考试未通过"); a station sees its
sessions and the year's shortfall list."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest

from api.console import i18n, render
from api.seed import DEMO_PASSWORD
from loop import demo
from loop.rules.training import CREDITS
from tests.api.conftest import Api, in_process
from tests.api.test_console_pages import csrf_of, log_in
from tests.api.test_training_over_http import NEWCOMER, YEAR, admit_newcomer, norm_days
from tests.support import CHINA, FakeClock


@pytest.fixture
def fuping(database: str) -> Iterator[Api]:
    with in_process(database, scoring="fuping") as client:
        client.services.loop.app.clock = FakeClock(datetime(YEAR, 9, 1, 8, 0, tzinfo=CHINA))
        yield client


def page(api: Api, username: str, path: str) -> str:
    api.headers(username)  # logs in
    cookie = {"Cookie": f"lishu_session={api.tokens[username]}"}
    shown = api.client.get(path, headers=cookie, follow_redirects=False)
    assert shown.status_code == 200, shown.text[:500]
    return str(shown.text)


def test_a_volunteer_sees_his_days_and_what_he_lacks_before_duty(fuping: Api) -> None:
    api = fuping
    training = api.services.committer.call
    held = training(
        api.services.loop.training.schedule, demo.STATION_OFFICER, kind="regular",
        topic="防溺水救援", instructor="消防救援大队", day=date(YEAR, 9, 1), credit="half",
        mode="shadowing", place="河边",
    ).session_id  # fmt: skip
    training(api.services.loop.training.record_attendance, demo.STATION_OFFICER, held, "v-xf-liu")
    api.post("k-ls-gao", "/api/training/gate")
    position = api.services.loop.app.recorder.max_notification_id()
    liu = page(api, "v-xf-liu", f"/training?wait_for={position}")
    assert 'data-year-days="0.5"' in liu
    short = max(0.0, norm_days(api, "v-xf-liu") - 0.5)  # his norm follows the demo's seeding
    assert f'data-short-days="{int(short) if short.is_integer() else short}"' in liu
    assert "防溺水救援" in liu
    assert 'data-duty="active"' in liu
    assert "启用前在岗" in liu
    station = page(api, "s-cy-wang", f"/training?wait_for={position}")
    assert f'data-session="{held}"' in station
    assert 'data-short="v-xf-liu"' in station
    assert f"{YEAR}年培训不足名单" in station


def test_a_newcomer_under_the_gate_sees_he_awaits_training(fuping: Api) -> None:
    api = fuping
    api.post("k-ls-gao", "/api/training/gate")
    admit_newcomer(api)
    api.services.accounts.create(
        NEWCOMER,
        DEMO_PASSWORD,
        role="volunteer",
        unit=demo.XINGFU,
        operator=demo.ADMIN,
        must_change_password=False,
    )
    api.tokens[NEWCOMER] = api.services.tokens.issue(NEWCOMER)[0]
    position = api.services.loop.app.recorder.max_notification_id()
    shown = page(api, NEWCOMER, f"/training?wait_for={position}")
    assert 'data-duty="awaiting_training"' in shown
    assert "待岗培训" in shown
    assert "距上岗：还差5天岗前培训、考试未通过" in shown
    station = page(api, "s-cy-wang", f"/training?wait_for={position}")
    assert f'data-awaiting="{NEWCOMER}"' in station
    assert "待岗培训名单" in station


def test_every_word_the_training_page_uses_is_in_both_languages() -> None:
    template = (Path(render.HERE) / "templates" / "training.html").read_text()
    keys = set(re.findall(r"\bt\('([a-z_.]+)'", template))
    assert "training.credit." in keys  # a key made of a prefix and a day credit
    keys = {k for k in keys if not k.endswith(".")} | {f"training.credit.{c}" for c in CREDITS}
    assert keys, "the page uses words"
    assert keys <= set(i18n.TEXT), sorted(keys - set(i18n.TEXT))
    for kind in ("training_kind", "training_mode", "certification"):
        assert set(i18n.ZH_LABELS[kind]) == set(i18n.EN_LABELS[kind])


def test_a_station_schedules_and_records_attendance_from_the_page(fuping: Api) -> None:
    api = fuping
    log_in(api.client, "s-cy-wang")
    shown = api.client.get("/training")
    form = {
        "csrf_token": csrf_of(shown.text), "key": "form-1", "kind": "targeted",
        "topic": "汛期抢险救援", "instructor": "蓝天救援队", "day": f"{YEAR}-09-01",
        "credit": "half", "mode": "on_site", "place": "城厢村",
    }  # fmt: skip
    scheduled = api.client.post("/training", data=form, follow_redirects=True)
    assert scheduled.status_code == 200, scheduled.text
    assert 'data-done="recorded"' in scheduled.text
    held = scheduled.text.split('data-session="')[1].split('"')[0]
    assert f'<option value="{held}">' in scheduled.text  # held today: attendance open
    attend = {"csrf_token": csrf_of(scheduled.text), "key": "form-2", "session_id": held}
    recorded = api.client.post(
        "/training/attendance", data={**attend, "volunteer_id": "v-xf-liu"},
        follow_redirects=True,
    )  # fmt: skip
    assert recorded.status_code == 200, recorded.text
    assert api.services.loop.training.get(held).attendance == {"v-xf-liu": True}
    head = api.services.loop.app.recorder.max_notification_id()
    again = api.client.post(
        "/training/attendance", data={**attend, "key": "form-3", "volunteer_id": "v-xf-liu"}
    )
    assert again.status_code == 409
    assert "出勤已登记" in again.text
    bad_day = api.client.post("/training", data={**form, "key": "form-4", "day": "明天"})
    assert bad_day.status_code == 422
    assert 'value="汛期抢险救援"' in bad_day.text  # what was typed is kept
    assert api.services.loop.app.recorder.max_notification_id() == head


def test_an_exam_and_a_refused_certification_from_the_page(fuping: Api) -> None:
    api = fuping
    log_in(api.client, "s-cy-wang")
    shown = api.client.get("/training")
    token = csrf_of(shown.text)
    examined = api.client.post(
        "/training/exams",
        data={"csrf_token": token, "key": "exam-1", "volunteer_id": "v-xf-liu", "score": "58"},
        follow_redirects=True,
    )
    assert examined.status_code == 200, examined.text
    assert 'data-done="recorded"' in examined.text
    head = api.services.loop.app.recorder.max_notification_id()
    refused = api.client.post(
        "/training/certification",
        data={"csrf_token": token, "key": "cert-1", "volunteer_id": "v-xf-liu"},
    )
    assert refused.status_code == 409
    assert "还差5天岗前培训、考试未通过" in refused.text
    not_a_score = api.client.post(
        "/training/exams",
        data={"csrf_token": token, "key": "exam-2", "volunteer_id": "v-xf-chen", "score": "高"},
    )
    assert not_a_score.status_code == 422
    assert api.services.loop.app.recorder.max_notification_id() == head


def volunteer_log_in(api: Api, username: str) -> None:
    api.services.accounts.create(
        username, DEMO_PASSWORD, role="volunteer", unit=demo.XINGFU, operator=demo.ADMIN,
        must_change_password=False,
    )  # fmt: skip
    api.tokens[username] = api.services.tokens.issue(username)[0]


def test_a_volunteer_sees_on_his_page_why_he_cannot_sign_up(fuping: Api) -> None:
    """Admitted on September 1 under Fuping: 3.5 days due this year; on December 1,
    with 1 day done, his page says what keeps him from signing up."""
    api = fuping
    admit_newcomer(api)
    volunteer_log_in(api, NEWCOMER)
    position = api.services.loop.app.recorder.max_notification_id()
    before = page(api, NEWCOMER, f"/training?wait_for={position}")
    assert 'data-norm-days="3.5"' in before
    assert "今年应训3.5天（年度标准10天，按上岗后剩余月份折算）" in before
    assert "今年常态化培训还差3.5天，12月1日起未补足的不能报名任务" in before
    assert "data-sign-up=" not in before
    api.services.loop.app.clock = FakeClock(datetime(YEAR, 12, 1, 8, 0, tzinfo=CHINA))
    training = api.services.committer.call
    held = training(
        api.services.loop.training.schedule, demo.STATION_OFFICER, kind="regular",
        topic="反诈知识", instructor="阜平县公安局", day=date(YEAR, 12, 1), credit="whole",
        mode="in_person", place="派出所",
    ).session_id  # fmt: skip
    training(api.services.loop.training.record_attendance, demo.STATION_OFFICER, held, NEWCOMER)
    position = api.services.loop.app.recorder.max_notification_id()
    shown = page(api, NEWCOMER, f"/training?wait_for={position}")
    assert 'data-sign-up="short"' in shown
    assert "今年常态化培训还差2.5天，12月1日起不能报名任务；补足后即可报名" in shown


def test_a_station_suspends_and_lifts_from_the_shortfall_list(fuping: Api) -> None:
    """Under a county preset that suspends for a shortfall: the list's own form."""
    api = fuping
    admit_newcomer(api)  # on September 1: 3.5 days due this year
    volunteer_log_in(api, NEWCOMER)
    loop = api.services.loop
    loop.training.policy = loop.tasks.training = replace(loop.training.policy, shortfall="suspend")
    api.services.loop.app.clock = FakeClock(datetime(YEAR, 12, 1, 8, 0, tzinfo=CHINA))
    log_in(api.client, "s-cy-wang")
    admitted = loop.app.recorder.max_notification_id()
    shown = api.client.get("/training", params={"wait_for": admitted})
    assert f'data-suspension-form="{NEWCOMER}"' in shown.text
    form = {"csrf_token": csrf_of(shown.text), "volunteer_id": NEWCOMER}
    head = loop.app.recorder.max_notification_id()
    blank = api.client.post("/training/suspension", data={**form, "key": "s-0", "reason": " "})
    assert blank.status_code == 422
    assert loop.app.recorder.max_notification_id() == head
    done = api.client.post(
        "/training/suspension", data={**form, "key": "s-1", "reason": "常态化日常培训不足10天"},
        follow_redirects=True,
    )  # fmt: skip
    assert done.status_code == 200, done.text
    assert 'data-done="recorded"' in done.text
    row = done.text.split(f'data-short="{NEWCOMER}"')[1].split("</li>")[0]
    assert "data-suspended" in row
    assert 'action="/training/suspension/lifting"' in row
    position = loop.app.recorder.max_notification_id()
    his = page(api, NEWCOMER, f"/training?wait_for={position}")
    assert 'data-sign-up="suspended"' in his
    assert f"因{YEAR}年常态化培训不足（还差3.5天）已被暂停上岗" in his
    lifted = api.client.post(
        "/training/suspension/lifting",
        data={**form, "csrf_token": csrf_of(done.text), "key": "s-2", "reason": "经所领导同意"},
        follow_redirects=True,
    )  # fmt: skip
    assert lifted.status_code == 200, lifted.text
    row = lifted.text.split(f'data-short="{NEWCOMER}"')[1].split("</li>")[0]
    assert "data-suspended" not in row
