"""Duty tasks in the inbox: a booked volunteer is reminded 24 hours and 2 hours
before the start, once each; one who withdrew, or whose task was cancelled, is
not; a new time brings reminders for it; one promoted off the waitlist is told
once; neither a restart of the clock nor a rebuild of the read model tells
anything twice.

Fuping: "各乡镇派出所具体下发活动任务实施管理，'蓝马甲'治安志愿者根据自身时间和所处地点
选择参加任务".
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from loop import demo
from loop.rules.alerts import words
from projections.notifications.clock import Clock
from projections.notifications.rules import SMS
from tests.projections.helpers import dump
from tests.projections.notify import County
from tests.support import CHINA

HOUR = timedelta(hours=1)
START = datetime(2026, 7, 14, 19, 0, tzinfo=CHINA)  # three days after the county's morning


@pytest.fixture(params=["sqlite", "postgresql"])
def county(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[County]:
    url = f"sqlite:///{tmp_path / 'views.db'}"
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
    made = County(url)
    yield made
    made.close()


def publish(county: County, needed: int = 2, **changes: Any) -> str:
    details: dict[str, Any] = {
        "kind": "patrol",
        "topic": "幸福路夜间巡逻",
        "place": "幸福路",
        "community": demo.XINGFU,
        "starts_at": START,
        "ends_at": START + 2 * HOUR,
        "needed": needed,
        "points": 10,
    } | changes
    county.clock.tick()
    return county.loop.tasks.publish(demo.STATION_OFFICER, **details).task_id


def at(county: County, moment: datetime) -> int:
    """The clock's tick at ``moment`` (the read model caught up first)."""
    county.clock.now = moment
    return county.tick()


def reminders(county: County, who: Any) -> list[str]:
    """The zh-CN titles of the task reminders in ``who``'s inbox, oldest first."""
    return [
        words(e["kind"], e["params"])[0]
        for e in reversed(county.entries(who))
        if e["kind"] == "task_soon"
    ]


def test_a_booked_volunteer_is_reminded_a_day_and_two_hours_before_once_each(
    county: County,
) -> None:
    task = publish(county)
    county.loop.tasks.sign_up(demo.RIDER, task)
    assert at(county, START - 25 * HOUR) == 0
    assert reminders(county, demo.RIDER) == []
    assert at(county, START - 24 * HOUR) == 1
    assert at(county, START - 23 * HOUR) == 0
    assert reminders(county, demo.RIDER) == ["任务提醒（开始前24小时）"]
    assert at(county, START - 2 * HOUR) == 1
    assert at(county, START - HOUR) == 0
    assert at(county, START + HOUR) == 0
    assert reminders(county, demo.RIDER) == ["任务提醒（开始前24小时）", "任务提醒（开始前2小时）"]

    entry = county.entries(demo.RIDER)[0]
    assert entry["params"]["task_id"] == task
    _, body_zh, title_en, body_en = words(entry["kind"], entry["params"])
    assert body_zh == (
        f"您报名的{demo.XINGFU}巡逻防控任务将于2小时后开始（7月14日 19:00至21:00），"
        "请按时到岗签到；如不能参加，请在任务开始前退出。"
    )
    assert title_en == "Task reminder (2 h before)"
    assert body_en.startswith("Your patrol task in ")
    assert "starts in 2 h (14 Jul 19:00-21:00)" in body_en
    sms = county.deliveries(channel=SMS)
    assert [(d["recipient"], d["expires_at"]) for d in sms] == [
        (demo.RIDER.id, (START - 2 * HOUR).replace(tzinfo=None) - CHINA.utcoffset(None)),
        (demo.RIDER.id, START.replace(tzinfo=None) - CHINA.utcoffset(None)),
    ]  # a text not sent by the next reminder's time is not sent late
    for other in (demo.COURIER, demo.METER, demo.STATION_OFFICER):
        assert reminders(county, other) == []


def test_one_booked_within_the_day_is_reminded_only_two_hours_before(county: County) -> None:
    task = publish(county)
    county.clock.now = START - 10 * HOUR
    county.loop.tasks.sign_up(demo.RIDER, task)
    at(county, START - 2 * HOUR)
    at(county, START)
    assert reminders(county, demo.RIDER) == ["任务提醒（开始前2小时）"]


def test_one_who_withdrew_is_not_reminded_and_his_unsent_text_is_cancelled(
    county: County,
) -> None:
    task = publish(county)
    county.loop.tasks.sign_up(demo.RIDER, task)
    county.loop.tasks.sign_up(demo.COURIER, task)
    at(county, START - 24 * HOUR)
    assert [d["status"] for d in county.deliveries(recipient=demo.RIDER.id)] == ["pending"]
    county.clock.now = START - 20 * HOUR
    county.loop.tasks.withdraw(demo.RIDER, task, reason="临时有事")
    at(county, START - 2 * HOUR)
    at(county, START)
    assert reminders(county, demo.RIDER) == ["任务提醒（开始前24小时）"]  # told before he left
    assert [d["status"] for d in county.deliveries(recipient=demo.RIDER.id)] == ["cancelled"]
    assert reminders(county, demo.COURIER) == [
        "任务提醒（开始前24小时）", "任务提醒（开始前2小时）",
    ]  # fmt: skip


def test_a_cancelled_task_tells_its_booked_once_and_reminds_no_one(county: County) -> None:
    task = publish(county, needed=1)
    county.loop.tasks.sign_up(demo.RIDER, task)
    county.loop.tasks.sign_up(demo.COURIER, task)  # waitlisted
    county.clock.now = START - 30 * HOUR
    county.loop.tasks.cancel(demo.STATION_OFFICER, task, reason="暴雨预警")
    for hours in (24, 2, 0):
        assert at(county, START - hours * HOUR) == 0
    assert county.kinds(demo.RIDER, task) == ["task_cancelled"]
    assert county.said(demo.RIDER)[-1] == (
        f"您报名的{demo.XINGFU}巡逻防控任务（7月14日 19:00至21:00）已取消，无需到岗。"
    )
    assert county.kinds(demo.COURIER, task) == []  # he had no place
    assert county.messages(kind="task_soon") == []
    sms = {d["message_id"].split(":")[0]: d["status"] for d in county.deliveries()}
    assert sms == {"Task.Cancelled": "pending"}


def test_a_task_moved_is_reminded_for_its_new_time(county: County) -> None:
    task = publish(county)
    county.loop.tasks.sign_up(demo.RIDER, task)
    later = START + 48 * HOUR
    county.clock.now = START - 30 * HOUR
    county.loop.tasks.revise(
        demo.STATION_OFFICER,
        task,
        starts_at=later,
        ends_at=later + 2 * HOUR,
        reason="与防汛演练冲突，顺延两天",
    )
    assert county.kinds(demo.RIDER, task) == ["task_revised"]
    for moment in (START - 24 * HOUR, START - 2 * HOUR, START):  # the old times pass silently
        assert at(county, moment) == 0
    assert at(county, later - 24 * HOUR) == 1
    assert at(county, later - 2 * HOUR) == 1
    told = county.messages(kind="task_soon")
    assert [m["created_at"] for m in told] == [
        (later - 24 * HOUR).astimezone(CHINA).replace(tzinfo=None) - CHINA.utcoffset(None),
        (later - 2 * HOUR).astimezone(CHINA).replace(tzinfo=None) - CHINA.utcoffset(None),
    ]
    assert "7月16日 19:00至21:00" in county.said(demo.RIDER)[-1]


def test_one_promoted_off_the_waitlist_is_told_once_then_reminded(county: County) -> None:
    task = publish(county, needed=1)
    county.loop.tasks.sign_up(demo.RIDER, task)
    county.loop.tasks.sign_up(demo.COURIER, task)
    county.clock.now = START - 30 * HOUR
    county.loop.tasks.withdraw(demo.RIDER, task, reason="临时有事")
    assert county.kinds(demo.COURIER, task) == ["task_promoted"]
    assert county.said(demo.COURIER)[-1] == (
        f"名额空出，您已从候补递补获得{demo.XINGFU}巡逻防控任务的名额"
        "（7月14日 19:00至21:00），请按时到岗签到。"
    )
    at(county, START - 24 * HOUR)
    for name in sorted(county.projector.projections):  # built anew from the log
        county.projector.rebuild(name)
    at(county, START - 2 * HOUR)
    assert county.kinds(demo.COURIER, task) == ["task_promoted", "task_soon", "task_soon"]
    assert [d["recipient"] for d in county.deliveries(channel=SMS)] == [demo.COURIER.id] * 3
    assert county.kinds(demo.RIDER, task) == []


def test_neither_a_restarted_clock_nor_a_rebuild_tells_a_reminder_twice(county: County) -> None:
    task = publish(county)
    for volunteer in (demo.RIDER, demo.COURIER):
        county.loop.tasks.sign_up(volunteer, task)
    assert at(county, START - 24 * HOUR) == 2
    county.catch_up()
    before = (county.messages(), county.deliveries(), dump(county.projector))
    county.projector.rebuild("notifications")
    restarted = Clock(county.projector, now=county.clock)  # a new process: it sweeps every mark
    assert restarted.tick() == 0
    assert (county.messages(), county.deliveries(), dump(county.projector)) == before
    county.clock.now = START - 2 * HOUR
    assert [restarted.tick(), county.tick(), Clock(county.projector, now=county.clock).tick()] == [
        2, 0, 0,
    ]  # fmt: skip
    assert len(county.messages(kind="task_soon")) == 4


def test_a_clock_stopped_past_a_reminder_tells_the_next_one_only(county: County) -> None:
    task = publish(county)
    county.loop.tasks.sign_up(demo.RIDER, task)
    county.catch_up()
    assert at(county, START - 90 * HOUR / 60) == 1  # down from a day before until 1.5 hours
    assert reminders(county, demo.RIDER) == ["任务提醒（开始前2小时）"]
    county.projector.rebuild("notifications")
    assert at(county, START + HOUR) == 0  # nor is a reminder told once the task began


def test_the_publisher_is_told_once_of_a_task_under_filled_two_days_before(
    county: County,
) -> None:
    short = publish(county, needed=3, minimum=2, topic="幸福路夜间巡逻")
    full = publish(county, needed=3, minimum=2, topic="幸福小学护校岗", kind="school_guard")
    county.loop.tasks.sign_up(demo.METER, short)
    for volunteer in (demo.RIDER, demo.COURIER):
        county.loop.tasks.sign_up(volunteer, full)
    assert at(county, START - 49 * HOUR) == 0
    assert at(county, START - 48 * HOUR) == 1
    assert at(county, START - 47 * HOUR) == 0
    assert county.kinds(demo.STATION_OFFICER, short) == ["task_at_risk"]
    assert county.said(demo.STATION_OFFICER)[-1] == (
        f"{demo.XINGFU}巡逻防控任务（7月14日 19:00至21:00）已报名1人，不足最少2人，"
        "请及时动员义警报名或调整任务。"
    )
    assert county.kinds(demo.STATION_OFFICER, full) == []
    county.clock.now = START - 30 * HOUR
    county.loop.tasks.withdraw(demo.COURIER, full, reason="临时有事")  # short inside the window
    assert at(county, START - 30 * HOUR) == 1
    assert county.kinds(demo.STATION_OFFICER, full) == ["task_at_risk"]
    assert county.kinds(demo.OFFICER_XF, full) == []
    assert county.deliveries(message_id=f"task_at_risk:{full}") == []  # the inbox tells staff


def test_a_promotion_is_texted_within_a_day_of_it_and_before_the_start(county: County) -> None:
    task = publish(county, needed=1)
    county.loop.tasks.sign_up(demo.RIDER, task)
    county.loop.tasks.sign_up(demo.COURIER, task)
    county.clock.now = START - 60 * HOUR
    county.loop.tasks.withdraw(demo.RIDER, task, reason="临时有事")
    county.catch_up()
    county.clock.now = START - 3 * HOUR
    county.loop.tasks.cancel(demo.STATION_OFFICER, task, reason="暴雨预警")
    county.catch_up()
    statuses = {d["message_id"].split(":")[0]: d["status"] for d in county.deliveries()}
    assert statuses == {"Task.Promoted": "cancelled", "Task.Cancelled": "pending"}
    utc = CHINA.utcoffset(None)
    expiry = {
        m["kind"]: m["expires_at"] for m in county.messages(subject_id=task)
    }  # a read model built anew over an old log would text no one of these
    assert expiry == {
        "task_promoted": (START - 36 * HOUR).replace(tzinfo=None) - utc,
        "task_cancelled": START.replace(tzinfo=None) - utc,
    }


def test_one_who_came_back_keeps_his_new_reminder_through_a_rebuild(county: County) -> None:
    task = publish(county)
    county.loop.tasks.sign_up(demo.RIDER, task)
    county.clock.now = START - 30 * HOUR
    county.loop.tasks.withdraw(demo.RIDER, task, reason="临时有事")
    county.clock.now = START - 28 * HOUR
    county.loop.tasks.sign_up(demo.RIDER, task)  # his plans changed back
    assert at(county, START - 24 * HOUR) == 1
    county.projector.rebuild("notifications")  # replays his withdrawal
    assert [d["status"] for d in county.deliveries(recipient=demo.RIDER.id)] == ["pending"]
