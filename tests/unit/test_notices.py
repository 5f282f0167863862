"""Notices (通知公告): who publishes to whom, the audience, acknowledgement once,
revision and revocation; a refused command writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from aggregates.actor import Actor
from aggregates.errors import DomainError
from aggregates.notice import AlreadyAcknowledged, Audience, Notice, NoticeRefused
from loop import demo
from loop.bootstrap import Loop, open_loop
from loop.errors import ConcurrencyConflict, InvalidInput, NoticeNotFound, NotPermitted
from loop.rules.narration import sentence
from loop.services.personal import forget
from tests.support import FakeClock

ADMIN = Actor("admin", "admin", demo.COUNTY)
OTHER_STATION = Actor("s-sy-feng", "station_officer", "lishu/shuangyang")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def loop(clock: FakeClock) -> Loop:
    opened = open_loop(clock=clock)
    demo.enrol(opened.incidents)
    return opened


def refused(loop: Loop, command: Callable[[], Any], error: type[DomainError]) -> DomainError:
    before = loop.app.recorder.max_notification_id()
    with pytest.raises(error) as caught:
        command()
    assert loop.app.recorder.max_notification_id() == before, "a refusal wrote an event"
    assert caught.value.message_zh
    assert caught.value.message_en
    return caught.value


def publish(loop: Loop, **changes: Any) -> str:
    details: dict[str, Any] = {
        "title": "防汛值守通知",
        "body": "请各社区义警于汛期加强巡逻，发现积水及时反馈。",
        "audience": {"units": [demo.XINGFU], "roles": ["volunteer"]},
        "requires_ack": True,
    } | changes
    return loop.notices.publish(demo.STATION_OFFICER, **details).notice_id


# -- the audience ----------------------------------------------------------------------


def test_an_audience_takes_units_below_and_narrows_by_role_team_and_status() -> None:
    station = Audience((demo.STATION,))
    assert station.includes(role="community_officer", unit=demo.XINGFU)
    assert station.includes(role="volunteer", unit=demo.HEPING, status="active")
    assert not station.includes(role="volunteer", unit=demo.HEPING, status="applied")
    assert not station.includes(role="station_officer", unit="lishu/shuangyang")
    assert not Audience((demo.COUNTY,)).includes(role="auditor", unit=demo.COUNTY)
    rescue = Audience((demo.XINGFU,), teams=("rescue",))
    assert rescue.includes(role="volunteer", unit=demo.XINGFU, teams=["rescue"], status="active")
    assert not rescue.includes(role="volunteer", unit=demo.XINGFU, teams=[], status="active")
    assert not rescue.includes(role="community_officer", unit=demo.XINGFU)
    flexible = Audience((demo.XINGFU,), statuses=("flexible",))
    assert flexible.includes(role="volunteer", unit=demo.XINGFU, status="flexible")
    assert not flexible.includes(role="volunteer", unit=demo.XINGFU, status="active")
    officers = Audience((demo.COUNTY,), roles=("community_officer",))
    assert officers.includes(role="community_officer", unit=demo.HEPING)
    assert not officers.includes(role="volunteer", unit=demo.HEPING, status="active")


# -- publishing ----------------------------------------------------------------------------


def test_a_station_publishes_to_its_communities_valid_thirty_days_by_default(
    loop: Loop, clock: FakeClock
) -> None:
    ack = loop.notices.publish(
        demo.STATION_OFFICER, title="反诈宣传周", body="本周开展反诈宣传，请义警积极参加。"
    )
    notice = loop.notices.get(ack.notice_id)
    assert notice.addressed == Audience((demo.STATION,))
    assert (notice.valid_from, notice.valid_until) == (clock(), clock() + timedelta(days=30))
    assert (notice.priority, notice.requires_ack, notice.acknowledge_by) == ("normal", False, None)
    assert ack.position is not None
    zh, en = sentence(next(iter(loop.app.events.get(notice.id))))
    assert zh == "派出所民警 s-cy-wang 发布通知《反诈宣传周》"
    assert en.startswith("station_officer s-cy-wang published")


def test_acknowledgements_are_due_three_days_after_publication_unless_a_time_is_given(
    loop: Loop, clock: FakeClock
) -> None:
    notice = loop.notices.get(publish(loop))
    assert notice.acknowledge_by == clock() + timedelta(days=3)
    chosen = clock() + timedelta(hours=6)
    assert loop.notices.get(publish(loop, acknowledge_by=chosen)).acknowledge_by == chosen


@pytest.mark.parametrize(
    ("actor", "error"),
    [
        (demo.OFFICER_XF, NotPermitted),  # a community does not publish
        (demo.RIDER, NotPermitted),
        (demo.AUXILIARY_XF, NotPermitted),
    ],
)
def test_only_a_county_bureau_or_a_station_publishes(
    loop: Loop, actor: Actor, error: type[DomainError]
) -> None:
    refused(loop, lambda: loop.notices.publish(actor, title="通知", body="内容"), error)


def test_a_notice_goes_only_to_units_within_the_publishers_own(loop: Loop) -> None:
    error = refused(
        loop,
        lambda: loop.notices.publish(
            OTHER_STATION, title="通知", body="内容", audience={"units": [demo.XINGFU]}
        ),
        InvalidInput,
    )
    assert error.details["field"] == "units"
    county = loop.notices.publish(
        demo.COUNTY_OFFICER, title="全县通知", body="内容", audience={"units": [demo.XINGFU]}
    )
    assert loop.notices.get(county.notice_id).addressed.units == (demo.XINGFU,)


@pytest.mark.parametrize(
    "changes",
    [
        {"title": ""},
        {"body": "长" * 2001},
        {"priority": "highest"},
        {"audience": {"teams": ["no_such_team"]}},
        {"audience": {"roles": ["mayor"]}},
        {"audience": {"statuses": ["applied"]}},
        {"audience": {"people": ["v-xf-liu"]}},
        {"audience": ["lishu"]},
        {"requires_ack": "yes"},
        {"requires_ack": False, "acknowledge_by": "later"},
    ],
)
def test_bad_input_is_refused_with_a_clear_error(loop: Loop, changes: dict[str, Any]) -> None:
    refused(loop, lambda: publish(loop, **changes), InvalidInput)


def test_validity_is_a_year_at_most_and_acknowledgement_falls_within_it(
    loop: Loop, clock: FakeClock
) -> None:
    refused(loop, lambda: publish(loop, valid_until=clock() + timedelta(days=400)), InvalidInput)
    refused(loop, lambda: publish(loop, valid_until=clock() - timedelta(days=1)), InvalidInput)
    refused(
        loop,
        lambda: publish(
            loop,
            valid_until=clock() + timedelta(days=2),
            acknowledge_by=clock() + timedelta(days=5),
        ),
        InvalidInput,
    )


# -- acknowledging -------------------------------------------------------------------------


def test_a_volunteer_in_the_audience_acknowledges_once(loop: Loop) -> None:
    notice_id = publish(loop)
    ack = loop.notices.acknowledge(demo.RIDER, notice_id)
    assert (ack.notice_id, ack.person_id) == (notice_id, demo.RIDER.id)
    error = refused(loop, lambda: loop.notices.acknowledge(demo.RIDER, notice_id), NoticeRefused)
    assert isinstance(error, AlreadyAcknowledged)
    assert error.code == "already_acknowledged"


@pytest.mark.parametrize(
    "who",
    [demo.TAXI, demo.OFFICER_XF, Actor("v-xf-nobody", "volunteer", demo.XINGFU)],
    ids=["another community", "not a volunteer", "no volunteer record"],
)
def test_someone_outside_the_audience_may_not_acknowledge(loop: Loop, who: Actor) -> None:
    notice_id = publish(loop)
    refused(loop, lambda: loop.notices.acknowledge(who, notice_id), NotPermitted)


def test_a_team_notice_is_acknowledged_by_the_teams_members_only(loop: Loop) -> None:
    notice_id = publish(loop, audience={"units": [demo.STATION], "teams": ["rescue"]})
    loop.notices.acknowledge(demo.RIDER, notice_id)  # 义警小刘 joined the rescue team
    refused(loop, lambda: loop.notices.acknowledge(demo.COURIER, notice_id), NotPermitted)


def test_no_acknowledgement_of_a_notice_that_asks_none_is_revoked_or_has_ended(
    loop: Loop, clock: FakeClock
) -> None:
    plain = publish(loop, requires_ack=False)
    refused(loop, lambda: loop.notices.acknowledge(demo.RIDER, plain), NoticeRefused)
    revoked = publish(loop)
    loop.notices.revoke(demo.STATION_OFFICER, revoked, reason="内容有误")
    refused(loop, lambda: loop.notices.acknowledge(demo.RIDER, revoked), NoticeRefused)
    ending = publish(loop, valid_until=clock() + timedelta(days=1))
    clock.advance(timedelta(days=2))
    refused(loop, lambda: loop.notices.acknowledge(demo.RIDER, ending), NoticeRefused)
    refused(loop, lambda: loop.notices.acknowledge(demo.RIDER, "no-such-id"), NoticeNotFound)


# -- revising and revoking ---------------------------------------------------------------------


def test_the_publishing_unit_revises_and_revokes_and_a_revoked_notice_stays_so(
    loop: Loop, clock: FakeClock
) -> None:
    notice_id = publish(loop)
    end = clock() + timedelta(days=10)
    ack = loop.notices.revise(
        demo.STATION_OFFICER, notice_id, title="防汛值守通知（更正）", body="更正：夜间巡逻。",
        priority="urgent", valid_until=end, expected_version=1,
    )  # fmt: skip
    notice = loop.notices.get(notice_id)
    assert (ack.version, notice.title, notice.priority, notice.valid_until) == (
        2, "防汛值守通知（更正）", "urgent", end,
    )  # fmt: skip
    refused(
        loop,
        lambda: loop.notices.revoke(
            demo.STATION_OFFICER, notice_id, reason="x", expected_version=1
        ),
        ConcurrencyConflict,
    )
    refused(loop, lambda: loop.notices.revoke(OTHER_STATION, notice_id, reason="x"), NotPermitted)
    assert loop.notices.revoke(demo.STATION_OFFICER, notice_id, reason="已过时").revoked
    refused(
        loop, lambda: loop.notices.revoke(demo.STATION_OFFICER, notice_id, reason="再撤"),
        NoticeRefused,
    )  # fmt: skip
    assert isinstance(loop.notices.get(notice_id), Notice)


def test_a_revision_may_not_end_the_notice_before_acknowledgements_are_due(
    loop: Loop, clock: FakeClock
) -> None:
    notice_id = publish(loop, acknowledge_by=clock() + timedelta(days=2))
    refused(
        loop,
        lambda: loop.notices.revise(
            demo.STATION_OFFICER, notice_id, title="t", body="b", priority="normal",
            valid_until=clock() + timedelta(days=1),
        ),
        NoticeRefused,
    )  # fmt: skip


# -- the phone number a text message goes to ---------------------------------------------------


def test_a_volunteers_phone_is_read_at_sending_and_none_once_he_is_forgotten(loop: Loop) -> None:
    assert loop.notices.phone_of(demo.RIDER.id) == "13904340001"
    assert loop.notices.phone_of(demo.OFFICER_XF.id) is None
    forget(loop.app, ADMIN, demo.RIDER.id, "本人申请删除个人信息")
    assert loop.notices.phone_of(demo.RIDER.id) is None
