"""Notices in inboxes: the audience sees them while in force, the publisher sees
who acknowledged, the rest get one reminder, and a revoked notice leaves every
inbox with nothing more sent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from loop import demo
from projections.notifications.rules import SMS
from tests.projections.notify import County

DAY = timedelta(days=1)


@pytest.fixture
def county() -> Iterator[County]:
    made = County()
    yield made
    made.close()


def publish(county: County, **changes: Any) -> str:
    details: dict[str, Any] = {
        "title": "防汛值守通知",
        "body": "汛期来临，请义警加强巡逻，发现积水及时反馈。",
        "audience": {"units": [demo.XINGFU], "roles": ["volunteer"]},
        "requires_ack": True,
        "priority": "important",
    } | changes
    county.clock.tick()
    return county.loop.notices.publish(demo.STATION_OFFICER, **details).notice_id


XINGFU_VOLUNTEERS = [demo.RIDER, demo.COURIER, demo.METER]


def test_a_notice_reaches_its_audience_and_no_one_else(county: County) -> None:
    notice_id = publish(county)
    for volunteer in XINGFU_VOLUNTEERS:
        assert county.kinds(volunteer) == ["notice"]
    for other in (demo.TAXI, demo.OFFICER_XF, demo.STATION_OFFICER):
        assert county.kinds(other) == []
    entry = county.entries(demo.RIDER)[0]
    assert (entry["subject_id"], entry["requires_ack"], entry["acknowledged"]) == (
        notice_id, True, False,
    )  # fmt: skip
    sms = county.deliveries(channel=SMS)
    assert sorted(d["recipient"] for d in sms) == sorted(v.id for v in XINGFU_VOLUNTEERS)


def test_the_publisher_sees_who_acknowledged_and_the_rest_get_one_reminder(
    county: County,
) -> None:
    notice_id = publish(county)
    county.clock.tick()
    county.loop.notices.acknowledge(demo.RIDER, notice_id)
    county.clock.tick()
    county.loop.notices.acknowledge(demo.COURIER, notice_id)
    county.catch_up()
    shown = county.inbox.notice(notice_id)
    assert shown is not None
    assert [a["person_id"] for a in shown["acknowledgements"]] == [demo.RIDER.id, demo.COURIER.id]
    assert county.entries(demo.RIDER)[0]["acknowledged"] is True

    county.clock.advance(3 * DAY)  # acknowledgements are due three days after publication
    for _ in range(3):
        county.tick()
    assert county.kinds(demo.METER) == ["notice", "notice_reminder"]
    assert county.kinds(demo.RIDER) == ["notice"]
    assert county.kinds(demo.COURIER) == ["notice"]
    reminders = county.deliveries(message_id=f"notice:{notice_id}:reminder")
    assert [(d["channel"], d["recipient"]) for d in reminders] == [(SMS, demo.METER.id)]
    assert len(county.messages(kind="notice_reminder")) == 1

    county.clock.tick()
    county.loop.notices.acknowledge(demo.METER, notice_id)
    county.catch_up()
    assert county.kinds(demo.METER) == ["notice"]  # the reminder goes once he acknowledged
    assert [d["status"] for d in county.deliveries(message_id=reminders[0]["message_id"])] == [
        "cancelled"
    ]


def test_acknowledgements_at_the_same_moment_are_listed_by_person(county: County) -> None:
    notice_id = publish(county)
    county.clock.tick()
    for volunteer in (demo.METER, demo.RIDER, demo.COURIER):  # one moment, three people
        county.loop.notices.acknowledge(volunteer, notice_id)
    county.catch_up()
    shown = county.inbox.notice(notice_id)
    assert shown is not None
    assert len({a["at"] for a in shown["acknowledgements"]}) == 1
    assert [a["person_id"] for a in shown["acknowledgements"]] == sorted(
        v.id for v in XINGFU_VOLUNTEERS
    )


def test_staff_in_the_audience_see_the_notice_and_its_reminder_until_they_acknowledge(
    county: County,
) -> None:
    notice_id = publish(county, audience={"units": [demo.STATION], "roles": ["community_officer"]})
    assert county.kinds(demo.OFFICER_XF) == county.kinds(demo.OFFICER_HP) == ["notice"]
    assert county.kinds(demo.RIDER) == []
    county.loop.notices.acknowledge(demo.OFFICER_HP, notice_id)
    county.clock.advance(3 * DAY)
    county.tick()
    assert county.kinds(demo.OFFICER_XF) == ["notice", "notice_reminder"]
    assert county.kinds(demo.OFFICER_HP) == ["notice"]
    assert county.deliveries(channel=SMS) == []  # staff have no number here: the inbox tells them


def test_a_revoked_notice_leaves_every_inbox_and_nothing_more_is_sent(county: County) -> None:
    notice_id = publish(county)
    county.catch_up()
    county.clock.tick()
    county.loop.notices.revoke(demo.STATION_OFFICER, notice_id, reason="通知有误，另行发布")
    county.clock.advance(3 * DAY)
    county.tick()
    for volunteer in XINGFU_VOLUNTEERS:
        assert county.kinds(volunteer) == []
    assert {d["status"] for d in county.deliveries()} == {"cancelled"}
    assert county.messages(kind="notice_reminder") == []


def test_a_notice_shows_while_in_force_and_a_revision_is_told_again(county: County) -> None:
    start = county.clock() + DAY
    notice_id = publish(
        county, valid_from=start, valid_until=start + 2 * DAY, acknowledge_by=start + DAY
    )
    assert county.kinds(demo.RIDER) == []  # not yet in force
    county.clock.advance(DAY)
    assert county.kinds(demo.RIDER) == ["notice"]
    county.clock.tick()
    county.loop.notices.revise(
        demo.STATION_OFFICER, notice_id, title="防汛值守通知（更正）", body="改为夜间巡逻。",
        priority="urgent", valid_until=start + 2 * DAY,
    )  # fmt: skip
    assert county.kinds(demo.RIDER) == ["notice", "notice_revised"]
    assert county.said(demo.RIDER)[-1] == "改为夜间巡逻。"
    county.clock.advance(2 * DAY)
    assert county.kinds(demo.RIDER) == []  # ended


def test_the_publisher_lists_the_notices_of_his_unit_with_their_acknowledgements(
    county: County,
) -> None:
    first = publish(county)
    second = publish(county, title="反诈宣传周", requires_ack=False, priority="normal")
    county.loop.notices.acknowledge(demo.RIDER, first)
    county.catch_up()
    listed = county.inbox.notices(demo.STATION)
    assert [(n["notice_id"], n["acknowledged"]) for n in listed] == [(second, 0), (first, 1)]
    assert county.inbox.notices("lishu/shuangyang") == []
    assert [n["notice_id"] for n in county.inbox.notices(demo.COUNTY)] == [second, first]
