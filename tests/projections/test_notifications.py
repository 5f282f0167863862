"""The notification read model and the clock: who is told what, once.

"警情落办制度，提格上交派出所或县局处置的警情，由社区民警负责跟踪，及时索要落办结果。"
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest

from aggregates.actor import Actor
from loop import demo
from loop.rules.alerts import words
from loop.services.personal import forget
from projections.notifications.clock import Clock
from projections.notifications.inbox import MessageNotFound
from projections.notifications.projection import Notifications
from projections.notifications.rules import (
    SMS,
    WEBHOOK,
    EventAlert,
    fields,
    person,
)
from tests.projections.helpers import dump
from tests.projections.notify import County, reader

ADMIN = Actor("admin", "admin", demo.COUNTY)
HOUR = timedelta(hours=1)


@pytest.fixture
def county() -> Iterator[County]:
    made = County()
    yield made
    made.close()


def rewarded(county: County, points: int = 30) -> Any:
    """A report of 义警小刘 accepted, scored and rewarded."""
    incident = county.report()
    flow, tick = county.flow, county.clock.tick
    tick(), flow.take("accept", demo.OFFICER_XF, incident)
    tick(), flow.take("record_outcome", demo.OFFICER_XF, incident, summary="已补装井盖")
    items = [{"item": "安全隐患排查", "points": points}]
    tick(), flow.take("propose_score", demo.CADRE_XF, incident, items=items, basis="考评")
    tick(), flow.take("sign_score", demo.DIRECTOR_XF, incident)
    tick(), flow.take("sign_score", demo.OFFICER_XF, incident)
    tick(), flow.take("reward", demo.OFFICER_XF, incident)
    return incident


# -- told by events -----------------------------------------------------------------------------


def test_a_volunteer_is_told_his_report_was_accepted_scored_and_rewarded(county: County) -> None:
    incident = rewarded(county)
    assert county.kinds(demo.RIDER, incident) == [
        "report_accepted", "report_scored", "report_rewarded",
    ]  # fmt: skip
    said = county.said(demo.RIDER)
    assert said[-1] == f"已兑现30积分，存入您的幸福银行账户（警情{str(incident)[:8]}）。"
    assert "考评已生效，共30分" in said[-2]
    assert county.kinds(demo.COURIER) == []  # told to whom it concerns only
    sms = county.deliveries(channel=SMS)
    assert [(d["recipient"], d["status"]) for d in sms] == [(demo.RIDER.id, "pending")] * 2


def test_every_message_is_written_once_however_often_the_log_is_read_again(
    tmp_path: Path,
) -> None:
    county = County(f"sqlite:///{tmp_path / 'views.db'}")
    rewarded(county)
    county.catch_up()
    county.clock.advance(timedelta(days=30))
    assert county.tick() > 0
    before = (county.messages(), county.deliveries(), dump(county.projector))
    for name in sorted(county.projector.projections):
        county.projector.rebuild(name)
    assert county.tick() == 0
    assert (county.messages(), county.deliveries(), dump(county.projector)) == before
    county.close()


# -- told by the clock --------------------------------------------------------------------------


def test_the_owner_is_told_before_and_at_the_due_time_and_the_unit_above_at_twice_it(
    county: County,
) -> None:
    incident = county.report()  # 幸福社区 triages within 24 hours
    county.tick()
    assert county.kinds(demo.OFFICER_XF, incident) == []
    county.clock.advance(17 * HOUR)  # six hours left: a quarter of the allowed time
    county.tick()
    assert county.kinds(demo.OFFICER_XF, incident) == []
    county.clock.advance(HOUR)
    county.tick()
    county.tick()
    assert county.kinds(demo.OFFICER_XF, incident) == ["due_soon"]
    county.clock.advance(6 * HOUR)
    county.tick()
    assert county.kinds(demo.OFFICER_XF, incident) == ["due_soon", "due"]
    assert county.kinds(demo.STATION_OFFICER, incident) == []
    county.clock.advance(24 * HOUR)
    for _ in range(3):
        county.tick()
    assert county.kinds(demo.OFFICER_XF, incident) == ["due_soon", "due"]
    assert county.kinds(demo.STATION_OFFICER, incident) == ["overdue"]
    county.clock.advance(30 * 24 * HOUR)
    county.tick()
    assert county.kinds(demo.STATION_OFFICER, incident) == ["overdue"]
    assert [d["channel"] for d in county.deliveries() if d["message_id"].endswith(":overdue")] == [
        WEBHOOK
    ]


def test_a_step_resets_the_clock(county: County) -> None:
    incident = county.report()
    county.clock.advance(20 * HOUR)
    county.tick()
    assert county.kinds(demo.OFFICER_XF, incident) == ["due_soon"]
    county.flow.take("escalate", demo.OFFICER_XF, incident, reason="需要派出所深入调查")
    county.clock.advance(10 * HOUR)  # the community's old due time passes: nothing
    county.tick()
    assert county.kinds(demo.OFFICER_XF, incident) == ["due_soon"]
    assert county.kinds(demo.STATION_OFFICER, incident) == ["escalated_to_you"]
    county.clock.advance(14 * HOUR)  # the station's 24 hours
    county.tick()
    assert county.kinds(demo.STATION_OFFICER, incident) == ["escalated_to_you", "due_soon", "due"]
    county.flow.take("chase", demo.OFFICER_XF, incident, asked="朝阳派出所", answer="正在研判")
    county.clock.advance(24 * HOUR)  # a chase keeps the due time: the wait goes on
    county.tick()
    assert county.kinds(demo.COUNTY_OFFICER, incident) == ["overdue"]


def test_a_step_just_before_a_mark_keeps_it_from_firing(county: County) -> None:
    incident = county.report()
    county.catch_up()
    county.clock.advance(24 * HOUR - timedelta(seconds=2))
    county.flow.take("accept", demo.OFFICER_XF, incident)  # not yet read by the read model
    county.clock.advance(timedelta(seconds=5))
    county.tick()  # catches the read model up first
    assert "due" not in county.kinds(demo.OFFICER_XF, incident)


def test_the_urgent_circle_tells_each_ring_at_its_minute_mark_until_someone_answers(
    county: County,
) -> None:
    incident = county.report(
        demo.AUXILIARY_XF, channel="phone", urgency="urgent", reporter_id=demo.METER.id,
        module="patrol_prevention", what="超市门口有人抢夺挎包",
    )  # fmt: skip
    minute = timedelta(minutes=1)
    county.clock.advance(minute - timedelta(seconds=2))
    county.tick()
    assert county.kinds(demo.OFFICER_XF, incident) == []
    county.clock.advance(timedelta(seconds=2))
    county.tick()
    assert county.kinds(demo.OFFICER_XF, incident) == ["urgent_1"]
    county.clock.advance(2 * minute)
    county.tick()
    assert county.kinds(demo.STATION_OFFICER, incident) == ["urgent_3"]
    assert county.kinds(demo.COUNTY_OFFICER, incident) == []
    county.flow.take("accept", demo.OFFICER_XF, incident)
    county.clock.advance(5 * minute)
    county.tick()
    assert county.kinds(demo.COUNTY_OFFICER, incident) == []
    said = county.said(demo.STATION_OFFICER)[-1]
    assert "已3分钟未响应（“1、3、5”分钟处置反应圈）" in said
    message = county.messages(kind="urgent_3")[0]
    assert (message["priority"], message["to_unit"], message["to_role"]) == (
        "urgent", demo.STATION, "station_officer",
    )  # fmt: skip


def test_an_urgent_escalation_starts_the_circle_at_the_station(county: County) -> None:
    incident = county.report(
        demo.AUXILIARY_XF, channel="phone", urgency="urgent", reporter_id=demo.METER.id
    )
    county.flow.take("escalate", demo.OFFICER_XF, incident, reason="持刀，需派出所增援")
    county.clock.advance(timedelta(minutes=6))
    county.tick()
    assert county.kinds(demo.OFFICER_XF, incident) == []
    assert county.kinds(demo.STATION_OFFICER, incident) == ["escalated_to_you", "urgent_3"]
    assert county.kinds(demo.COUNTY_OFFICER, incident) == ["urgent_5"]


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        url: str = request.getfixturevalue("postgres_url")
        return url
    return f"sqlite:///{tmp_path / 'views.db'}"


def test_clocks_ticking_at_once_tell_each_mark_once(store_url: str) -> None:
    county = County(store_url)
    for _ in range(40):
        county.report()
    county.catch_up()
    clocks = [Clock(county.projector, now=county.clock, batch_size=7) for _ in range(3)]
    county.clock.advance(30 * 24 * HOUR)
    fired: list[int] = []
    threads = [threading.Thread(target=lambda c=c: fired.append(c.tick())) for c in clocks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(fired) == 40 * 3  # due soon, due and overdue of each, once
    assert [c.tick() for c in clocks] == [0, 0, 0]
    assert len(county.messages(kind="overdue")) == 40
    assert len({d["message_id"] for d in county.deliveries()}) == len(county.deliveries())
    county.close()


def test_a_discovery_not_fed_back_is_chased_with_the_volunteer_himself(county: County) -> None:
    ack = county.flow.discover(
        demo.COURIER, module="hazard_screening", sense="seen", what="井盖松动", where="幸福路"
    )
    county.clock.advance(24 * HOUR)
    county.tick()
    assert county.kinds(demo.COURIER, ack.incident_id) == ["due_soon", "due"]
    assert county.kinds(demo.RIDER, ack.incident_id) == []


# -- the inbox ----------------------------------------------------------------------------------


def test_the_inbox_counts_unread_and_marks_read(county: County) -> None:
    rewarded(county)
    county.catch_up()
    me = reader(demo.RIDER)
    assert county.inbox.unread(me, now=county.clock()) == 3
    first = county.entries(demo.RIDER)[-1]["message_id"]
    assert county.inbox.mark_read(me, [first], now=county.clock()) == 1
    assert county.inbox.unread(me, now=county.clock()) == 2
    assert county.inbox.mark_read(me, [first], now=county.clock()) == 0
    with pytest.raises(MessageNotFound):
        county.inbox.mark_read(reader(demo.COURIER), [first], now=county.clock())
    assert county.inbox.mark_read(me, now=county.clock()) == 2
    assert county.inbox.unread(me, now=county.clock()) == 0
    assert all(e["read"] for e in county.entries(demo.RIDER))


def test_once_the_director_signed_the_officer_still_to_sign_is_chased(county: County) -> None:
    incident = county.report()
    flow, tick = county.flow, county.clock.tick
    tick(), flow.take("accept", demo.OFFICER_XF, incident)
    tick(), flow.take("record_outcome", demo.OFFICER_XF, incident, summary="已补装井盖")
    items = [{"item": "安全隐患排查", "points": 10}]
    tick(), flow.take("propose_score", demo.CADRE_XF, incident, items=items, basis="考评")
    county.catch_up()  # the director's signature comes in a batch of its own
    tick(), flow.take("sign_score", demo.DIRECTOR_XF, incident)
    county.clock.advance(3 * 24 * HOUR)  # three days to sign: past due soon and due
    county.tick()
    assert county.kinds(demo.OFFICER_XF, incident) == ["due_soon", "due"]
    assert county.kinds(demo.DIRECTOR_XF, incident) == []
    fresh = county.messages(kind="due")
    county.projector.rebuild("notifications")  # built anew, the same marks: nothing more
    assert county.tick() == 0
    assert county.messages(kind="due") == fresh


# -- a forgotten person is told nothing ------------------------------------------------------------


def test_a_forgotten_volunteer_is_sent_nothing_more(county: County) -> None:
    incident = county.report()
    county.flow.take("accept", demo.OFFICER_XF, incident)
    county.catch_up()
    assert [d["status"] for d in county.deliveries(recipient=demo.RIDER.id)] == ["pending"]
    forget(county.loop.app, ADMIN, demo.RIDER.id, "本人申请删除个人信息")
    county.flow.take("record_outcome", demo.OFFICER_XF, incident, summary="已处置")
    county.flow.take(
        "propose_score",
        demo.CADRE_XF,
        incident,
        items=[{"item": "隐患排查", "points": 10}],
        basis="考评",
    )
    county.flow.take("sign_score", demo.DIRECTOR_XF, incident)
    county.flow.take("sign_score", demo.OFFICER_XF, incident)
    county.catch_up()
    assert [d["status"] for d in county.deliveries(recipient=demo.RIDER.id)] == ["cancelled"]
    assert county.messages(kind="report_scored") == []


# -- a new alert: a line ----------------------------------------------------------------------


class Reconfirmed:
    """A stand-in for an event the rules alone name."""

    def __init__(self, version: int, at: datetime) -> None:
        self.originator_id = "task-1"
        self.originator_version = version
        self.timestamp = at
        self.volunteer_id = demo.RIDER.id
        self.community = demo.XINGFU


class WithReconfirmations(Notifications):
    """The notification read model with one more alert: a line."""

    event_alerts: ClassVar[Mapping[str, EventAlert]] = {
        **Notifications.event_alerts,
        "Task.Reconfirmed": EventAlert("task_reconfirmed", person("volunteer_id"), fields()),
    }


def test_a_new_alert_is_a_line_and_told_once(county: County) -> None:
    assert "Task.Reconfirmed" in WithReconfirmations.handlers
    assert "Task.Reconfirmed" not in Notifications.handlers
    projection = WithReconfirmations((SMS,))
    county.catch_up()
    with county.store.read() as conn:
        tables = county.projector.live_tables(conn, "notifications")
    event = Reconfirmed(3, county.clock())
    for _ in range(2):
        with county.store.write() as conn:
            projection.apply_batch(conn, tables, [("Task.Reconfirmed", event)])
    assert county.kinds(demo.RIDER) == ["task_reconfirmed"]
    assert words("task_reconfirmed", {})[0] == "task_reconfirmed"  # its words: one more line
