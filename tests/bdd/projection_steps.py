"""Step definitions for the read-side rules (backlogs and scores).

Import them into a scenario module with ``from tests.bdd.projection_steps import *``.
The reads go through the projections built over the scenario's application;
each read first waits for the projections to reach the last stored event.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from pytest_bdd import given, parsers, then

from aggregates.actor import Actor
from loop import demo
from loop.settings import Settings
from projections import Projections, build
from tests.bdd.conftest import CAST, UNITS, WHO, World, action, time_passes
from tests.projections.bank import PointsAccount
from tests.support import CHINA

UNIT = '"(?P<unit>[^"]+)"'


@pytest.fixture
def views(world: World) -> Iterator[Projections]:
    built = build(Settings(database_url="memory://"), world.flow)
    yield built
    built.close()


@pytest.fixture
def ledgers() -> dict[str, PointsAccount]:
    return {}


@pytest.fixture
def stars() -> list[tuple[int, int]]:
    return []


def read(world: World, views: Projections) -> Any:
    """The queries, once the projections have caught up with the last write."""
    assert views.runner.wait_for(world.flow.recorder.max_notification_id(), timeout=30)
    return views.queries


# -- backlogs -----------------------------------------------------------------------------


@action("时间又过去了(?P<n>\\d+)(?P<unit>分钟|小时)")
def more_time_passes(world: World, n: str, unit: str) -> None:
    time_passes(world, n, unit)


def _backlog(world: World, views: Projections, unit: str) -> dict[str, dict[str, Any]]:
    items = read(world, views).backlog(UNITS[unit], now=world.clock())
    return {item["incident_id"]: item for item in items}


@then(parsers.re(f"{UNIT}的待办清单包含该警情，(?P<flag>未超期|已超期)"))
def backlog_holds(world: World, views: Projections, unit: str, flag: str) -> None:
    item = _backlog(world, views, unit).get(str(world.incident))
    assert item is not None, f"{unit} does not list the incident"
    assert item["overdue"] is (flag == "已超期")


@then(parsers.re(f"{UNIT}的待办清单不包含该警情"))
def backlog_lacks(world: World, views: Projections, unit: str) -> None:
    assert str(world.incident) not in _backlog(world, views, unit)


@then(parsers.re(f"{UNIT}的待办清单共(?P<n>\\d+)起，其中超期(?P<late>\\d+)起"))
def backlog_counts(world: World, views: Projections, unit: str, n: str, late: str) -> None:
    summary = read(world, views).backlog_summary(UNITS[unit], now=world.clock())
    assert (summary["open"], summary["overdue"]) == (int(n), int(late))


@then(
    parsers.re(
        f"回看(?P<n>\\d+)(?P<unit_of_time>分钟|小时)前，{UNIT}的待办清单"
        "(?P<holds>包含|不包含)该警情"
    )
)
def backlog_back_then(
    world: World, views: Projections, n: str, unit_of_time: str, unit: str, holds: str
) -> None:
    delta = timedelta(minutes=int(n)) if unit_of_time == "分钟" else timedelta(hours=int(n))
    items = read(world, views).backlog_as_of(UNITS[unit], world.clock() - delta)
    assert (str(world.incident) in {i["incident_id"] for i in items}) is (holds == "包含")


# -- scores -----------------------------------------------------------------------------------


@given(parsers.re("星级标准为(?P<levels>.+)"))
def star_thresholds(stars: list[tuple[int, int]], levels: str) -> None:
    for part in levels.split("，"):
        points, _, level = part.partition("分")
        stars.append((int(points), int(level.rstrip("星"))))


def _record(
    world: World, ledgers: dict[str, PointsAccount], who: str, entry: str, **facts: Any
) -> None:
    volunteer: Actor = CAST[who]
    world.clock.tick()
    account = ledgers.get(who)
    if account is None:
        account = ledgers[who] = PointsAccount.open(
            demo.OFFICER_XF, world.clock(), volunteer.id, volunteer.unit
        )
    now = world.clock().astimezone(CHINA)
    period = f"{now.year}-{now.month:02d}"
    account.record(
        getattr(PointsAccount, entry), demo.OFFICER_XF, world.clock(), period=period, **facts
    )
    world.flow.save(account)


@action(f"(?P<who>{WHO})的幸福银行账户存入(?P<n>\\d+)分")
def deposit(world: World, ledgers: dict[str, PointsAccount], who: str, n: str) -> None:
    points = int(n)
    _record(
        world, ledgers, who, "Deposited", amount=points, incident_id="", requested=points, basis={}
    )


@action(f'(?P<who>{WHO})用(?P<n>\\d+)分兑换了"(?P<item>[^"]+)"')
def redeem(world: World, ledgers: dict[str, PointsAccount], who: str, n: str, item: str) -> None:
    _record(
        world, ledgers, who, "Redeemed", amount=-int(n), item_id=item, item_name=item, quantity=1
    )


@action(f'(?P<who>{WHO})因"(?P<reason>[^"]+)"被扣(?P<n>\\d+)分')
def deduct(world: World, ledgers: dict[str, PointsAccount], who: str, reason: str, n: str) -> None:
    _record(
        world, ledgers, who, "Deducted", amount=-int(n), reason=reason, kind="manual", shortfall=0
    )


def _score(world: World, views: Projections, who: str, stars: list[tuple[int, int]]) -> Any:
    score = read(world, views).volunteer_score(CAST[who].id, stars=stars)
    assert score is not None, f"no score for {who}"
    return score


@then(
    parsers.re(
        f"(?P<who>{WHO})累计获得(?P<earned>\\d+)分，已兑换(?P<redeemed>\\d+)分，"
        "被扣(?P<deducted>\\d+)分，余额(?P<balance>\\d+)分"
    )
)
def figures(
    world: World,
    views: Projections,
    who: str,
    earned: str,
    redeemed: str,
    deducted: str,
    balance: str,
) -> None:
    score = _score(world, views, who, [])
    assert (score["earned"], score["redeemed"], score["deducted"], score["balance"]) == (
        int(earned),
        int(redeemed),
        int(deducted),
        int(balance),
    )


@then(parsers.re(f"{UNIT}的积分排名依次为：(?P<names>.+)"))
def ranking(world: World, views: Projections, unit: str, names: str) -> None:
    board = read(world, views).leaderboard(UNITS[unit])
    by_id = {actor.id: name for name, actor in CAST.items() if actor.role == "volunteer"}
    assert "、".join(by_id[b["volunteer_id"]] for b in board) == names


@then(parsers.re(f"(?P<who>{WHO})在{UNIT}排名第(?P<n>\\d+)"))
def rank_in(world: World, views: Projections, who: str, unit: str, n: str) -> None:
    score = _score(world, views, who, [])
    level = {3: "community", 2: "station", 1: "county"}[UNITS[unit].count("/") + 1]
    assert score["rank"][level] == int(n)


@then(parsers.re(f"(?P<who>{WHO})显示为(?P<n>\\d+)星"))
def star_shown(
    world: World, views: Projections, stars: list[tuple[int, int]], who: str, n: str
) -> None:
    assert _score(world, views, who, stars)["star_level"] == int(n)


@then(parsers.re(f"(?P<who>{WHO})尚未评星"))
def no_star(world: World, views: Projections, stars: list[tuple[int, int]], who: str) -> None:
    assert _score(world, views, who, stars)["star_level"] == 0
