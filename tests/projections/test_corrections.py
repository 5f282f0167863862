"""The figures say what the log says now: points as credited under the monthly
cap, a rewarded case later rejected taken back out of the statistics and off the
publicity board, only admitted volunteers ranked, and a database kept by the
earlier cases version rebuilt beside it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from uuid import UUID

import pytest
from sqlalchemy import inspect

from aggregates.actor import Actor
from loop import demo
from loop.rules.scoring import LISHU_SCORING
from loop.services.bank import Bank
from projections.cases import Cases
from projections.errors import ProjectionNotReady
from projections.processing import Projector
from projections.queries import Queries
from projections.store import Store
from tests.builders import rewarded_case
from tests.projections.helpers import World, projector_for

XINGFU, STATION = demo.XINGFU, demo.STATION
OFFICER = demo.OFFICER_XF


def rewarded(world: World, points: int, volunteer: Actor = demo.RIDER) -> UUID:
    """One of the volunteer's reports driven up to its reward of ``points``."""
    world.clock.tick()
    return rewarded_case(world.flow, volunteer, points)


@pytest.fixture
def capped(world: World) -> World:
    """The demo's volunteers admitted, under the Lishu scoring (150 points a month)."""
    world.flow.scoring = LISHU_SCORING
    demo.enrol(world.flow)
    return world


def test_the_points_figure_counts_what_the_monthly_cap_let_through(capped: World) -> None:
    first = rewarded(capped, 100)
    second = rewarded(capped, 80)  # 50 more reach the cap of 150
    q = capped.q
    assert q.statistics(XINGFU)["totals"]["points"] == 150
    assert q.statistics(XINGFU)["totals"]["rewarded"] == 2
    assert (q.case(str(second))["points"], q.case(str(second))["credited"]) == (80, 50)
    assert q.case(str(first))["credited"] == 100
    assert q.volunteer_score(demo.RIDER.id)["earned"] == 150
    third = rewarded(capped, 10)  # nothing left this month: rewarded, no points
    assert capped.q.case(str(third))["credited"] == 0
    totals = capped.q.statistics(XINGFU)["totals"]
    assert (totals["rewarded"], totals["points"]) == (3, 150)


def test_a_rewarded_case_rejected_later_is_taken_back_where_it_was_counted(
    capped: World,
) -> None:
    kept = rewarded(capped, 60)
    undone = rewarded(capped, 40)
    capped.flow.take(
        "publicize", demo.PUBLICITY, undone, title="义警发现隐患", redaction_note="已核对"
    )
    capped.flow.take("close", OFFICER, undone)
    q = capped.q
    (shown,) = q.publicity_board(STATION)
    assert (shown["incident_id"], shown["credited"]) == (str(undone), 40)
    july = q.statistics(XINGFU)["by_month"]["2026-07"]
    assert (july["rewarded"], july["points"], july["publicized"], july["closed"]) == (2, 100, 1, 1)

    capped.clock.advance(timedelta(hours=2))  # August in China
    capped.flow.take(
        "reject", OFFICER, undone, kind="duplicate", reason="与先前反馈重复", related_id=str(kept)
    )
    q = capped.q
    assert q.publicity_board(STATION) == []
    figures = q.statistics(XINGFU)
    assert figures["by_month"]["2026-07"] == {
        "discovered": 2,
        "reported": 2,
        "outcome:handled_locally": 2,
        "rewarded": 1,
        "points": 60,
    }
    assert figures["by_month"]["2026-08"] == {"rejected:duplicate": 1}
    assert "publicized" not in figures["totals"]
    assert "closed" not in figures["totals"]
    assert q.statistics(XINGFU, period="2026-07")["totals"]["points"] == 60
    assert q.case(str(undone))["rejection_kind"] == "duplicate"
    assert q.volunteer_score(demo.RIDER.id)["earned"] == 60


def test_only_volunteers_admitted_into_the_happiness_bank_rank(capped: World) -> None:
    turned_down = demo.APPLICANT_WITH_RECORD.id  # 冯某: the joint review found a record
    Bank(capped.flow.app, capped.flow.scoring).deduct(
        OFFICER, demo.RIDER.id, reason="未完成巡逻任务", points=5
    )
    q = capped.q
    board = q.leaderboard(demo.HEPING)
    assert [b["volunteer_id"] for b in board] == [demo.TAXI.id, demo.SWEEPER.id]
    rider = q.volunteer_score(demo.RIDER.id)
    assert rider["score"] == -5
    assert rider["rank"]["county"] == 5  # below the four others, not below 冯某 too
    assert q.volunteer_score(turned_down)["status"] == "rejected"
    assert turned_down in [v["volunteer_id"] for v in q.volunteers(demo.HEPING)]  # on the roll


def test_a_database_of_the_earlier_cases_version_is_rebuilt_beside_it(tmp_path: Path) -> None:
    class CasesV2(Cases):  # the build reads used before this version
        version = 2

    world = World()
    world.flow.scoring = LISHU_SCORING
    demo.enrol(world.flow)
    url = f"sqlite:///{tmp_path / 'views.db'}"
    app = world.flow.app
    old = Projector(Store.from_url(url), app.recorder, app.mapper, [CasesV2()])
    rewarded(world, 100)
    rewarded(world, 80)
    old.catch_up()
    upgraded = projector_for(world.flow, url)
    upgraded.setup()
    queries = Queries(upgraded)
    with pytest.raises(ProjectionNotReady):  # the old build is not read by this code
        queries.statistics(XINGFU)
    upgraded.catch_up()
    assert queries.statistics(XINGFU)["totals"]["points"] == 150
    tables = inspect(upgraded.store.engine).get_table_names()
    assert f"cases_v{Cases.version}" in tables
    assert "cases_v2" not in tables
    old.store.dispose()
    upgraded.store.dispose()
    world.views.close()
