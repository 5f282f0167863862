"""What the read models answer: backlogs with overdue flags, the backlog as of a
past moment, statistics by unit, module and Asia/Shanghai month, the publicity
board, and volunteer scores with ranks and star levels."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from aggregates.errors import DomainError
from loop import demo
from loop.services.bank import Bank
from projections import Projections
from tests.projections.helpers import World, ids

STATION, XINGFU, HEPING = demo.STATION, demo.XINGFU, demo.HEPING
STARS = ((120, 1), (150, 2), (200, 3))


def test_a_station_backlog_holds_its_own_and_its_communities_open_incidents(world: World) -> None:
    at_community = world.report()
    escalated = world.report()
    world.flow.take("escalate", demo.OFFICER_XF, escalated, reason="需要派出所调查")
    elsewhere = world.report(demo.TAXI)
    q = world.q
    assert set(ids(q.backlog(STATION))) == {str(at_community), str(escalated), str(elsewhere)}
    assert ids(q.backlog(XINGFU)) == [str(at_community)]
    assert ids(q.backlog(HEPING)) == [str(elsewhere)]
    assert {i["incident_id"]: i["owner_unit"] for i in q.backlog(STATION)}[
        str(escalated)
    ] == STATION
    assert ids(q.backlog("lishu/shuangyang")) == []
    assert q.backlog_summary(STATION)["stages"] == {"reported": 2, "escalated_to_station": 1}


def test_the_overdue_flag_is_raised_once_the_due_time_has_passed(world: World) -> None:
    incident = world.report()
    (item,) = world.q.backlog(XINGFU, now=world.clock())
    due = datetime.fromisoformat(item["due_at"])
    assert due - world.clock() == timedelta(hours=24)
    assert item["overdue"] is False
    assert world.q.backlog(XINGFU, now=due)[0]["overdue"] is False
    later = due + timedelta(seconds=1)
    assert world.q.backlog(XINGFU, now=later)[0]["overdue"] is True
    assert world.q.backlog_summary(XINGFU, now=later)["overdue"] == 1
    assert str(incident) == item["incident_id"]


def test_a_closed_incident_leaves_the_backlog_but_not_the_past(world: World) -> None:
    incident = world.report()
    world.flow.take("accept", demo.OFFICER_XF, incident)
    while_open = world.clock.tick()
    world.clock.tick()
    world.flow.take("reject", demo.OFFICER_XF, incident, kind="unfounded", reason="查无实据")
    assert world.q.backlog(STATION) == []
    (then,) = world.q.backlog_as_of(STATION, while_open)
    assert (then["incident_id"], then["stage"]) == (str(incident), "handling_community")
    assert world.q.backlog_as_of(STATION, world.clock()) == []


def test_the_backlog_as_of_a_past_moment_shows_who_owned_it_then(world: World) -> None:
    incident = world.report()
    before = world.clock.tick()
    world.clock.advance(timedelta(hours=2))
    world.flow.take("escalate", demo.OFFICER_XF, incident, reason="需要派出所调查")
    after = world.clock.tick()
    assert [i["owner_unit"] for i in world.q.backlog_as_of(STATION, before)] == [XINGFU]
    assert ids(world.q.backlog_as_of(XINGFU, before)) == [str(incident)]
    assert world.q.backlog_as_of(XINGFU, after) == []
    (now,) = world.q.backlog_as_of(STATION, after)
    assert (now["owner_unit"], now["stage"]) == (STATION, "escalated_to_station")
    assert world.q.backlog_as_of(STATION, before - timedelta(minutes=1)) == []


def test_statistics_count_by_unit_module_and_china_month(world: World) -> None:
    world.report(module="dispute_screening")  # 2026-07-31 23:00:01 in China
    world.clock.advance(timedelta(hours=1))  # 2026-08-01 00:00 in China, still July in UTC
    world.report(module="dispute_screening")
    world.report(demo.TAXI, module="anti_fraud")
    county = world.q.statistics("lishu")
    assert county["totals"]["reported"] == 3
    assert county["by_month"] == {
        "2026-07": {"discovered": 1, "reported": 1},
        "2026-08": {"discovered": 2, "reported": 2},
    }
    assert county["by_module"]["dispute_screening"]["reported"] == 2
    assert world.q.statistics(XINGFU)["totals"]["reported"] == 2
    assert world.q.statistics(HEPING, module="anti_fraud")["totals"] == {
        "discovered": 1,
        "reported": 1,
    }
    assert world.q.statistics(STATION, period="2026-08")["totals"]["reported"] == 2


def test_outcomes_rewards_and_publicity_are_counted_and_shown(world: World) -> None:
    ids_by_branch = demo.run(world.flow)
    q = world.q
    totals = q.statistics("lishu")["totals"]
    assert totals["outcome:station"] == 1
    assert totals["outcome:department"] == 1
    assert totals["rewarded"] == 3
    assert totals["points"] == 20 + 30 + 15
    (case,) = q.publicity_board(STATION)
    assert case["incident_id"] == ids_by_branch["handled_locally"]
    assert case["points"] == 20
    assert q.publicity_board(HEPING) == []
    assert q.case(ids_by_branch["diverted"])["outcome_source"] == "department"


def test_scores_rank_within_community_station_and_county_with_star_levels(world: World) -> None:
    items = demo.enrol(world.flow)  # admission opens each account with 100 base points
    world.reward(demo.RIDER, 30)
    Bank(world.flow.app, world.flow.scoring).redeem(demo.RIDER, demo.RIDER.id, items["保温杯"])
    world.reward(demo.COURIER, 50, 20)
    Bank(world.flow.app, world.flow.scoring).deduct(
        demo.OFFICER_XF, demo.COURIER.id, reason="未完成巡逻任务", points=20
    )
    world.reward(demo.METER, 50)
    world.reward(demo.TAXI, 50, 50, 10)
    q = world.q
    rider = q.volunteer_score(demo.RIDER.id, stars=STARS)
    assert (rider["earned"], rider["redeemed"], rider["balance"], rider["score"]) == (
        30,
        20,
        10,
        130,
    )
    assert rider["star_level"] == 1
    assert rider["rank"] == {"community": 3, "station": 4, "county": 4}
    courier = q.volunteer_score(demo.COURIER.id, stars=STARS)
    assert (courier["earned"], courier["deducted"], courier["balance"]) == (70, 20, 50)
    assert courier["score"] == 150
    assert courier["rank"] == {
        "community": 1,
        "station": 2,
        "county": 2,
    }  # tied with the meter reader
    assert courier["star_level"] == 2
    assert q.volunteer_score(demo.TAXI.id, stars=STARS)["star_level"] == 3
    assert q.volunteer_score(demo.SWEEPER.id, stars=STARS)["star_level"] == 0
    board = q.leaderboard(demo.XINGFU, stars=STARS)
    assert [(b["rank"], b["volunteer_id"]) for b in board] == [
        (1, demo.COURIER.id),
        (1, demo.METER.id),
        (3, demo.RIDER.id),
    ]
    assert next(b["volunteer_id"] for b in q.leaderboard(STATION, period="2026-07")) == demo.TAXI.id
    assert [m["period"] for m in rider["months"]] == ["2026-07"]
    assert rider["months"][0] | {"passed": None} == {
        "period": "2026-07",
        "earned": 30,
        "redeemed": 20,
        "deducted": 0,
        "score": 30,
        "passed": None,
    }
    assert q.volunteer_score("nobody") is None
    for volunteer in (demo.RIDER, demo.COURIER, demo.METER, demo.TAXI):  # as the bank says
        assert (
            q.volunteer_score(volunteer.id)["score"]
            == world.flow.points_account(volunteer.id).score
        )
        assert (
            q.volunteer_score(volunteer.id)["balance"]
            == world.flow.points_account(volunteer.id).balance
        )


def test_bad_query_input_is_refused_with_a_code(world: World) -> None:
    with pytest.raises(DomainError) as unit:
        world.q.backlog("lishu//x")
    assert unit.value.code == "unknown_unit"
    with pytest.raises(DomainError) as naive:
        world.q.backlog(XINGFU, now=datetime(2026, 7, 1))
    assert naive.value.code == "invalid_query"
    with pytest.raises(DomainError) as limit:
        world.q.leaderboard(XINGFU, limit=0)
    assert limit.value.code == "invalid_query"


def test_reads_wait_for_their_own_write_with_the_runner_thread(world: World) -> None:
    views: Projections = world.views
    views.runner.poll_interval = 60.0  # only a wake makes it catch up in time
    views.runner.start()
    try:
        world.clock.tick()
        ack = world.flow.report_new(
            demo.RIDER,
            channel="app",
            module="anti_fraud",
            sense="heard",
            what="诈骗电话",
            where="幸福路",
        )
        assert views.runner.wait_for(ack.position, timeout=30)
        assert ids(views.queries.backlog(XINGFU)) == [ack.incident_id]
        assert views.projector.positions() == dict.fromkeys(
            [
                "accounts",
                "backlog",
                "cases",
                "catalogue",
                "georeport",
                "notifications",
                "organisation",
                "registers",
                "scores",
                "talks",
                "tasks",
                "training",
            ],
            ack.position,
        )
    finally:
        views.runner.stop()


def test_a_backlog_page_reads_along_the_unit_index_without_sorting(world: World) -> None:
    """Many incidents due at the same moment (a morning's batch of reports): the
    page must not sort every tie, which grows with the backlog, not the page."""
    for _ in range(3):
        world.report()
    q = world.q
    executed: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if "ORDER BY" in statement:
            executed.append((statement, params))

    engine = world.views.projector.store.engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        for unit in (STATION, XINGFU, demo.COUNTY):
            assert q.backlog(unit, limit=2)
            assert q.backlog(unit, stage="reported", limit=2)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert len(executed) == 6
    with engine.connect() as conn:
        for statement, params in executed:
            plan = " / ".join(
                str(row[-1])
                for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
            )
            assert "USING INDEX ix_backlog_" in plan, plan
            assert "TEMP B-TREE" not in plan, plan
