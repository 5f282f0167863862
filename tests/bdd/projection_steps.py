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
from pytest_bdd import parsers, then

from loop.settings import Settings
from projections import Projections, build
from tests.bdd.conftest import CAST, UNITS, WHO, World, action, time_passes

UNIT = '"(?P<unit>[^"]+)"'


class Views:
    """Read models over the scenario's application, built at the first read
    (a step may still choose another scoring policy, and so another application)."""

    def __init__(self) -> None:
        self.built: Projections | None = None

    def over(self, world: World) -> Projections:
        if self.built is None or self.built.source is not world.flow.app:
            self.close()
            self.built = build(Settings(database_url="memory://"), world.flow.app)
        return self.built

    def close(self) -> None:
        if self.built is not None:
            self.built.close()


@pytest.fixture
def views() -> Iterator[Views]:
    holder = Views()
    yield holder
    holder.close()


def read(world: World, views: Views) -> Any:
    """The queries, once the projections have caught up with the last write."""
    built = views.over(world)
    assert built.runner.wait_for(world.flow.app.recorder.max_notification_id(), timeout=30)
    return built.queries


# -- backlogs -----------------------------------------------------------------------------


@action("时间又过去了(?P<n>\\d+)(?P<unit>分钟|小时)")
def more_time_passes(world: World, n: str, unit: str) -> None:
    time_passes(world, n, unit)


def _backlog(world: World, views: Views, unit: str) -> dict[str, dict[str, Any]]:
    items = read(world, views).backlog(UNITS[unit], now=world.clock())
    return {item["incident_id"]: item for item in items}


@then(parsers.re(f"{UNIT}的待办清单包含该警情，(?P<flag>未超期|已超期)"))
def backlog_holds(world: World, views: Views, unit: str, flag: str) -> None:
    item = _backlog(world, views, unit).get(str(world.incident))
    assert item is not None, f"{unit} does not list the incident"
    assert item["overdue"] is (flag == "已超期")


@then(parsers.re(f"{UNIT}的待办清单不包含该警情"))
def backlog_lacks(world: World, views: Views, unit: str) -> None:
    assert str(world.incident) not in _backlog(world, views, unit)


@then(parsers.re(f"{UNIT}的待办清单共(?P<n>\\d+)起，其中超期(?P<late>\\d+)起"))
def backlog_counts(world: World, views: Views, unit: str, n: str, late: str) -> None:
    summary = read(world, views).backlog_summary(UNITS[unit], now=world.clock())
    assert (summary["open"], summary["overdue"]) == (int(n), int(late))


@then(
    parsers.re(
        f"回看(?P<n>\\d+)(?P<unit_of_time>分钟|小时)前，{UNIT}的待办清单"
        "(?P<holds>包含|不包含)该警情"
    )
)
def backlog_back_then(
    world: World, views: Views, n: str, unit_of_time: str, unit: str, holds: str
) -> None:
    delta = timedelta(minutes=int(n)) if unit_of_time == "分钟" else timedelta(hours=int(n))
    items = read(world, views).backlog_as_of(UNITS[unit], world.clock() - delta)
    assert (str(world.incident) in {i["incident_id"] for i in items}) is (holds == "包含")


# -- scores -----------------------------------------------------------------------------------


def _score(world: World, views: Views, who: str) -> Any:
    """The volunteer's scores, star levels by the scenario's scoring policy."""
    score = read(world, views).volunteer_score(CAST[who].id, stars=world.flow.scoring.stars)
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
    views: Views,
    who: str,
    earned: str,
    redeemed: str,
    deducted: str,
    balance: str,
) -> None:
    score = _score(world, views, who)
    assert (score["earned"], score["redeemed"], score["deducted"], score["balance"]) == (
        int(earned),
        int(redeemed),
        int(deducted),
        int(balance),
    )


@then(parsers.re(f"{UNIT}的积分排名依次为：(?P<names>.+)"))
def ranking(world: World, views: Views, unit: str, names: str) -> None:
    board = read(world, views).leaderboard(UNITS[unit])
    by_id = {actor.id: name for name, actor in CAST.items() if actor.role == "volunteer"}
    assert "、".join(by_id[b["volunteer_id"]] for b in board) == names


@then(parsers.re(f"(?P<who>{WHO})在{UNIT}排名第(?P<n>\\d+)"))
def rank_in(world: World, views: Views, who: str, unit: str, n: str) -> None:
    score = _score(world, views, who)
    level = {3: "community", 2: "station", 1: "county"}[UNITS[unit].count("/") + 1]
    assert score["rank"][level] == int(n)


@then(parsers.re(f"(?P<who>{WHO})积分(?P<points>\\d+)分，显示为(?P<n>\\d+)星"))
def score_and_stars(world: World, views: Views, who: str, points: str, n: str) -> None:
    score = _score(world, views, who)
    assert (score["score"], score["star_level"]) == (int(points), int(n))


@then(parsers.re(f"(?P<who>{WHO})显示为(?P<n>\\d+)星"))
def star_shown(world: World, views: Views, who: str, n: str) -> None:
    assert _score(world, views, who)["star_level"] == int(n)


@then(parsers.re(f"(?P<who>{WHO})尚未评星"))
def no_star(world: World, views: Views, who: str) -> None:
    assert _score(world, views, who)["star_level"] == 0
