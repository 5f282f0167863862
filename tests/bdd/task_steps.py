"""Step definitions for duty tasks (``features/14`` and ``15``); registered by
``conftest.py``, sharing its World. Tasks are named in the scenarios by topic."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pytest_bdd import given, parsers, then

from aggregates.roster import roster_id
from loop.rules.tasks import INTENSITIES, KINDS
from loop.services.task_day import check_in_code
from loop.services.tasks import Tasks
from tests.bdd.bank_steps import _key, _who
from tests.bdd.conftest import CAST, TRY, Q, World, action
from tests.support import CHINA

TEAM_NAMES = {"救援义警队": "rescue", "老兵义警队": "veterans"}
WHEN = "(?P<month>\\d+)月(?P<day>\\d+)日"


def _tasks(world: World) -> Tasks:
    tasks = Tasks(world.flow.app, world.flow.scoring)
    tasks.training = world.__dict__.get("training_policy", tasks.training)  # features/19
    return tasks


def _named(world: World) -> dict[str, str]:
    named: dict[str, str] = world.__dict__.setdefault("task_ids", {})
    return named


def _task(world: World, topic: str) -> str:
    return _named(world)[topic]


def _at(month: str, day: str, clock: str) -> datetime:
    hour, minute = clock.split(":")
    return datetime(2026, int(month), int(day), int(hour), int(minute), tzinfo=CHINA)


PUBLISH = (
    f"{{who}}{TRY}(在{Q.format('where')})?发布{Q.format('kind')}任务{Q.format('topic')}，"
    f"{WHEN}(?P<start>\\d+:\\d+)至(?P<end>\\d+:\\d+)，需(?P<needed>\\d+)人，"
    f"强度{Q.format('intensity')}，每人(?P<points>\\d+)积分"
    f"(，需{Q.format('team')}队员)?(，由{_who('leader')}带队)?"
)


@action(PUBLISH)
def publish(
    world: World,
    who: str,
    attempt: str | None,
    where: str | None,
    kind: str,
    topic: str,
    month: str,
    day: str,
    start: str,
    end: str,
    needed: str,
    intensity: str,
    points: str,
    team: str | None,
    leader: str | None,
) -> None:
    world.act(
        attempt,
        lambda: _tasks(world).publish(
            CAST[who],
            kind=_key(KINDS, kind),
            topic=topic,
            place=topic,
            community=where or "lishu/chaoyang/xingfu",
            starts_at=_at(month, day, start),
            ends_at=_at(month, day, end),
            needed=int(needed),
            intensity=_key(INTENSITIES, intensity),
            points=int(points),
            team=TEAM_NAMES.get(team or "", team),
            leader_id=CAST[leader].id if leader else None,
        ),
    )
    if not attempt:
        _named(world)[topic] = world.result.task_id


@given(parsers.re(f"时间来到{WHEN}(?P<clock>\\d+:\\d+)"))
def time_is(world: World, month: str, day: str, clock: str) -> None:
    world.clock.now = _at(month, day, clock)


@action(f"{{who}}{TRY}报名任务{Q.format('topic')}")
def sign_up(world: World, who: str, attempt: str | None, topic: str) -> None:
    world.act(attempt, lambda: _tasks(world).sign_up(CAST[who], _task(world, topic)))


@action(f"{{who}}{TRY}退出任务{Q.format('topic')}")
def withdraw(world: World, who: str, attempt: str | None, topic: str) -> None:
    world.act(attempt, lambda: _tasks(world).withdraw(CAST[who], _task(world, topic)))


@action(f"{{who}}{TRY}确认参加任务{Q.format('topic')}")
def reconfirm(world: World, who: str, attempt: str | None, topic: str) -> None:
    world.act(attempt, lambda: _tasks(world).reconfirm(CAST[who], _task(world, topic)))


@action(
    f"{{who}}{TRY}修改任务{Q.format('topic')}为{WHEN}(?P<start>\\d+:\\d+)至(?P<end>\\d+:\\d+)，"
    f"理由{Q.format('reason')}"
)
def revise(
    world: World,
    who: str,
    attempt: str | None,
    topic: str,
    month: str,
    day: str,
    start: str,
    end: str,
    reason: str,
) -> None:
    world.act(
        attempt,
        lambda: _tasks(world).revise(
            CAST[who],
            _task(world, topic),
            starts_at=_at(month, day, start),
            ends_at=_at(month, day, end),
            reason=reason,
        ),
    )


@action(f"{{who}}{TRY}在任务{Q.format('topic')}现场扫码签到")
def scan_in(world: World, who: str, attempt: str | None, topic: str) -> None:
    tasks = _tasks(world)
    code = check_in_code(tasks.get(_task(world, topic)))  # what the roster's QR holds
    world.act(
        attempt, lambda: tasks.check_in(CAST[who], _task(world, topic), CAST[who].id, code=code)
    )


@action(f"{{who}}{TRY}为{_who('person')}手工签到任务{Q.format('topic')}")
def check_in_by_hand(world: World, who: str, attempt: str | None, person: str, topic: str) -> None:
    world.act(
        attempt,
        lambda: _tasks(world).check_in(CAST[who], _task(world, topic), CAST[person].id),
    )


@action(f"{{who}}{TRY}为{_who('person')}签退任务{Q.format('topic')}")
def check_out_by_hand(world: World, who: str, attempt: str | None, person: str, topic: str) -> None:
    world.act(
        attempt,
        lambda: _tasks(world).check_out(CAST[who], _task(world, topic), CAST[person].id),
    )


@action(f"{{who}}{TRY}记录{_who('person')}在任务{Q.format('topic')}缺勤")
def no_show(world: World, who: str, attempt: str | None, person: str, topic: str) -> None:
    world.act(
        attempt,
        lambda: _tasks(world).record_no_show(CAST[who], _task(world, topic), CAST[person].id),
    )


@action(f"{{who}}{TRY}完成任务{Q.format('topic')}，服务群众(?P<reach>\\d+)人次")
def complete(world: World, who: str, attempt: str | None, topic: str, reach: str) -> None:
    world.act(
        attempt,
        lambda: _tasks(world).complete(
            CAST[who], _task(world, topic), reach=int(reach), evidence="巡逻记录与照片"
        ),
    )


@action(f"{{who}}{TRY}签字确认任务{Q.format('topic')}的积分")
def sign_points(world: World, who: str, attempt: str | None, topic: str) -> None:
    world.act(attempt, lambda: _tasks(world).sign_points(CAST[who], _task(world, topic)))


# -- outcomes -----------------------------------------------------------------------------


def _entry(world: World, person: str, topic: str) -> dict[str, Any] | None:
    return _tasks(world).get(_task(world, topic)).entry_of(CAST[person].id)


@then(
    parsers.re(
        f"任务{Q.format('topic')}(?P<status>报名中|已取消|已完成)，已报名(?P<booked>\\d+)人，"
        "候补(?P<waiting>\\d+)人"
    )
)
def task_filled(world: World, topic: str, status: str, booked: str, waiting: str) -> None:
    task = _tasks(world).get(_task(world, topic))
    labels = {"open": "报名中", "cancelled": "已取消", "completed": "已完成"}
    assert labels[task.status] == status
    assert (len(task.booked), len(task.waitlist)) == (int(booked), int(waiting))
    assert len(task.booked) <= task.needed


@then(parsers.re(f"{_who('person')}获得任务{Q.format('topic')}的名额"))
def has_place(world: World, person: str, topic: str) -> None:
    entry = _entry(world, person, topic)
    assert entry is not None
    assert entry["state"] == "booked"
    roster = world.flow.app.repository.get(roster_id(CAST[person].id))
    assert _task(world, topic) in roster.bookings  # the time is held on his roster


@then(parsers.re(f"{_who('person')}在任务{Q.format('topic')}的候补第(?P<n>\\d+)位"))
def waiting_at(world: World, person: str, topic: str, n: str) -> None:
    entry = _entry(world, person, topic)
    assert entry is not None
    assert (entry["state"], entry["position"]) == ("waitlisted", int(n))


@then(parsers.re("本次退出(?P<verdict>未记为|记为)逾期"))
def withdrawal_late(world: World, verdict: str) -> None:
    assert world.result.late is (verdict == "记为")


@then(parsers.re(f"{_who('person')}(?P<need>须|无须)重新确认任务{Q.format('topic')}"))
def must_reconfirm(world: World, person: str, need: str, topic: str) -> None:
    entry = _entry(world, person, topic)
    assert entry is not None
    assert entry["reconfirm"] is (need == "须")


@then(parsers.re(f"{_who('person')}已签到任务{Q.format('topic')}（(?P<how>扫码签到|手工签到)）"))
def checked_in(world: World, person: str, topic: str, how: str) -> None:
    record = _tasks(world).get(_task(world, topic)).attendance[CAST[person].id]
    assert record["method"] == {"扫码签到": "qr", "手工签到": "hand"}[how]


@then(
    parsers.re(
        f"{_who('person')}在任务{Q.format('topic')}的服务时长为(?P<hours>[\\d.]+)小时"
        "(?P<missing>，未签退)?"
    )
)
def credited_hours(world: World, person: str, topic: str, hours: str, missing: str | None) -> None:
    completion = _tasks(world).get(_task(world, topic)).completion
    assert completion is not None
    (row,) = [r for r in completion["attendance"] if r["volunteer_id"] == CAST[person].id]
    assert row["minutes"] == round(float(hours) * 60)
    assert row["missing_checkout"] is bool(missing)
