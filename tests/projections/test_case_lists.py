"""Lists of incidents, open or closed: what one volunteer reported, and what a
unit's communities saw, newest first, one page read along an index."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import event, inspect

from aggregates.errors import DomainError
from loop import demo
from loop.bootstrap import open_loop
from projections.cases import Cases
from projections.errors import ProjectionNotReady
from projections.processing import Projector
from projections.queries import Queries
from projections.store import Store
from tests.projections.helpers import World, ids, projector_for
from tests.support import FakeClock
from tests.unit.bank_helpers import admit

STATION, XINGFU, HEPING = demo.STATION, demo.XINGFU, demo.HEPING
KEYS = {
    "incident_id",
    "stage",
    "what",
    "place",
    "module",
    "community",
    "urgency",
    "opened_at",
    "outcome_source",
    "points",
    "credited",
    "publicized_at",
    "closed_at",
    "rejection_kind",
}


class Reports:
    """Incidents reported an hour apart, some moved on, some closed."""

    def __init__(self, world: World) -> None:
        self.world = world
        flow = world.flow
        self.first = self.report(demo.RIDER, "hazard_screening")
        self.fraud = self.report(demo.COURIER, "anti_fraud")
        self.escalated = self.report(demo.RIDER, "dispute_screening")
        flow.take("escalate", demo.OFFICER_XF, self.escalated, reason="需要派出所调查")
        self.heping = self.report(demo.TAXI, "anti_fraud")
        self.rejected = self.report(demo.RIDER, "hazard_screening")
        world.clock.tick()
        flow.take("reject", demo.OFFICER_XF, self.rejected, kind="unfounded", reason="查无实据")
        world.clock.advance(timedelta(hours=1))
        world.clock.tick()
        admit(flow, demo.METER)
        ack = flow.report_new(  # logged by the office on the meter reader's behalf
            demo.AUXILIARY_XF,
            channel="phone",
            module="patrol_prevention",
            sense="seen",
            what="超市门口有人抢夺挎包",
            where="幸福超市门口",
            urgency="urgent",
            reporter_id=demo.METER.id,
        )
        self.phoned = UUID(ack.incident_id)

    def report(self, who: Any, module: str) -> UUID:
        self.world.clock.advance(timedelta(hours=1))
        return self.world.report(who, module)


@pytest.fixture
def reports(world: World) -> Reports:
    return Reports(world)


def test_a_volunteer_sees_their_own_reports_newest_first(world: World, reports: Reports) -> None:
    q = world.q
    mine = q.reports_of(demo.RIDER.id)
    assert ids(mine) == [str(reports.rejected), str(reports.escalated), str(reports.first)]
    assert all(set(item) == KEYS for item in mine)
    rejected, escalated, first = mine
    assert (rejected["stage"], rejected["rejection_kind"]) == ("rejected", "unfounded")
    assert datetime.fromisoformat(rejected["closed_at"]) > datetime.fromisoformat(
        rejected["opened_at"]
    )
    assert escalated["stage"] == "escalated_to_station"
    assert escalated["closed_at"] is None
    assert (first["module"], first["community"], first["place"]) == (
        "hazard_screening",
        XINGFU,
        "幸福路",
    )
    assert datetime.fromisoformat(first["opened_at"]).utcoffset() == timedelta(0)
    assert ids(q.reports_of(demo.RIDER.id, limit=2)) == ids(mine)[:2]
    assert ids(q.reports_of(demo.TAXI.id)) == [str(reports.heping)]
    (phoned,) = q.reports_of(demo.METER.id)  # the reporter, not who logged it
    assert (phoned["incident_id"], phoned["urgency"]) == (str(reports.phoned), "urgent")
    assert q.reports_of(demo.AUXILIARY_XF.id) == []
    assert q.reports_of("nobody") == []


def test_a_unit_sees_every_incident_of_its_communities_newest_first(
    world: World, reports: Reports
) -> None:
    q = world.q
    newest_first = [
        reports.phoned,
        reports.rejected,
        reports.heping,
        reports.escalated,
        reports.fraud,
        reports.first,
    ]
    everything = q.cases(STATION)
    assert ids(everything) == [str(i) for i in newest_first]
    assert all(set(item) == KEYS | {"reporter_id"} for item in everything)
    assert everything[0]["reporter_id"] == demo.METER.id
    assert ids(q.cases("lishu")) == ids(everything)
    assert ids(q.cases(HEPING)) == [str(reports.heping)]
    assert str(reports.heping) not in ids(q.cases(XINGFU))
    assert len(q.cases(XINGFU)) == 5
    assert ids(q.cases(STATION, module="anti_fraud")) == [str(reports.heping), str(reports.fraud)]
    assert ids(q.cases(XINGFU, module="anti_fraud")) == [str(reports.fraud)]
    assert ids(q.cases(STATION, stage="rejected")) == [str(reports.rejected)]  # closed ones too
    assert ids(q.cases(STATION, stage="reported", module="hazard_screening")) == [
        str(reports.first)
    ]
    assert ids(q.cases(STATION, limit=2)) == ids(everything)[:2]
    assert q.cases("lishu/shuangyang") == []


def test_incidents_opened_at_the_same_moment_come_in_a_stable_order(world: World) -> None:
    world.clock.tick()
    same = [
        world.flow.report_new(
            who, channel="app", module="anti_fraud", sense="heard", what="诈骗", where="路口"
        ).incident_id
        for who in (demo.RIDER, demo.RIDER, demo.COURIER)
    ]
    q = world.q
    assert ids(q.cases(XINGFU)) == sorted(same, reverse=True)
    assert ids(q.reports_of(demo.RIDER.id)) == sorted(same[:2], reverse=True)


def test_bad_list_input_is_refused_with_a_code(world: World) -> None:
    for call, code in [
        (lambda: world.q.reports_of(demo.RIDER.id, limit=0), "invalid_query"),
        (lambda: world.q.reports_of(demo.RIDER.id, limit=501), "invalid_query"),
        (lambda: world.q.reports_of(""), "invalid_query"),
        (lambda: world.q.cases(STATION, limit=0), "invalid_query"),
        (lambda: world.q.cases("lishu//x"), "unknown_unit"),
        (lambda: world.q.cases(""), "unknown_unit"),
    ]:
        with pytest.raises(DomainError) as refused:
            call()
        assert refused.value.code == code
    assert world.q.cases(STATION, limit=500) == []  # the bounds themselves are allowed
    assert world.q.reports_of(demo.RIDER.id, limit=1) == []


@pytest.fixture
def plans(world: World) -> Callable[[Callable[[], Any]], list[str]]:
    """The SQLite query plans of the reads of the ``cases`` table a call makes."""
    engine = world.views.store.engine
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().startswith("SELECT") and "FROM cases_" in statement:
            seen.append((statement, parameters))

    def plan_of(call: Callable[[], Any]) -> list[str]:
        world.views.projector.catch_up()
        seen.clear()
        event.listen(engine, "before_cursor_execute", record)
        try:
            call()
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert len(seen) == 1
        statement, parameters = seen[0]
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
        return [row[-1] for row in rows]

    return plan_of


@pytest.mark.parametrize(
    ("read", "index"),
    [
        (lambda q: q.reports_of(demo.RIDER.id), "_reporter"),
        (lambda q: q.cases(XINGFU), "_community_opened"),
        (lambda q: q.cases(STATION, module="anti_fraud"), "_station_opened"),
        (lambda q: q.cases("lishu", stage="reported", limit=5), "_county_opened"),
    ],
)
def test_a_page_of_incidents_is_read_along_an_index_without_sorting(
    world: World,
    reports: Reports,
    plans: Callable[[Callable[[], Any]], list[str]],
    read: Callable[[Any], Any],
    index: str,
) -> None:
    plan = plans(lambda: read(world.views.queries))
    used = [step.split("(")[0].split() for step in plan if "USING INDEX" in step]
    assert [names[-1].endswith(index) for names in used] == [True], plan
    assert not any("TEMP B-TREE" in step for step in plan), plan


def test_a_read_model_of_the_first_cases_version_is_rebuilt_with_the_new_indexes(
    tmp_path: Path,
) -> None:
    class CasesV1(Cases):
        version = 1

    flow = open_loop(clock=FakeClock()).incidents
    branches = demo.run(flow)
    url = f"sqlite:///{tmp_path / 'views.db'}"
    old = Projector(Store.from_url(url), flow.app.recorder, flow.app.mapper, [CasesV1()])
    old.catch_up()
    upgraded = projector_for(flow, url)
    upgraded.setup()
    with upgraded.store.read() as conn, pytest.raises(ProjectionNotReady):
        upgraded.live_tables(conn, "cases")  # the first version is not read by this code
    upgraded.catch_up()
    engine = upgraded.store.engine
    assert "cases_v1" not in inspect(engine).get_table_names()
    live = f"v{Cases.version}"
    indexes = {i["name"] for i in inspect(engine).get_indexes(f"cases_{live}")}
    assert {f"ix_cases_{live}_reporter", f"ix_cases_{live}_station_opened"} <= indexes
    queries = Queries(upgraded)
    assert len(queries.cases(STATION)) == 10
    assert {i["incident_id"] for i in queries.reports_of(demo.RIDER.id)} == {
        branches["handled_locally"],
        branches["diverted_after_arrival"],
    }
