"""Versioned builds and the exactly-once guard.

A rebuild or a new version is built beside the live tables; reads keep seeing
the live ones until the new build has caught up; the old build is then dropped.
A batch another projector applied first is refused by the position guard.
"""

from __future__ import annotations

import gc
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, inspect, select
from typer.testing import CliRunner

from api.cli import app
from loop import demo
from loop.bootstrap import open_loop
from loop.services.incidents import IncidentFlow
from loop.settings import Settings
from projections.backlog import Backlog
from projections.collector import BUILD_THRESHOLDS
from projections.compose import read_model_url
from projections.errors import ProjectionNotReady
from projections.processing import Build, Projector, _Lost
from projections.store import Store, engine_for
from tests.projections.helpers import dump, file_flow, projector_for
from tests.support import FakeClock


def demo_log() -> IncidentFlow:
    flow = open_loop(clock=FakeClock()).incidents
    demo.run(flow)
    return flow


def test_reads_see_the_live_tables_until_a_rebuild_has_caught_up(tmp_path: Path) -> None:
    flow = demo_log()
    projector = projector_for(flow, f"sqlite:///{tmp_path / 'views.db'}", batch_size=5)
    projector.catch_up()
    before = dump(projector)
    seen: list[dict[str, Any]] = []
    reader = projector_for(flow, f"sqlite:///{tmp_path / 'views.db'}")

    def midway(done: int, total: int) -> None:
        if done < total:
            seen.append(dump(reader))

    projector.rebuild("backlog", progress=midway)
    assert len(seen) > 3
    assert all(s == before for s in seen)  # never a half-built table
    assert dump(projector) == before
    tables = set(inspect(projector.store.engine).get_table_names())
    v = Backlog.version
    assert {f"backlog_v{v}_1", f"ownership_v{v}_1"} <= tables
    assert not {f"backlog_v{v}", f"ownership_v{v}"} & tables  # the replaced build is dropped


def test_a_build_is_written_in_larger_batches_and_indexed_when_it_goes_live(
    tmp_path: Path,
) -> None:
    flow = demo_log()
    url = f"sqlite:///{tmp_path / 'views.db'}"
    projector = Projector(
        Store.from_url(url), flow.app.recorder, flow.app.mapper, batch_size=2, build_batch_size=40
    )
    projector.catch_up()
    head = flow.app.recorder.max_notification_id()
    assert head is not None
    assert 80 < head <= 120
    engine = projector.store.engine
    live_indexes = {i["name"] for i in inspect(engine).get_indexes(f"backlog_v{Backlog.version}")}
    assert f"ix_backlog_v{Backlog.version}_station" in live_indexes
    seen: list[tuple[int, set[str]]] = []
    building = f"backlog_v{Backlog.version}_1"

    def midway(done: int, total: int) -> None:
        seen.append((done, {i["name"] for i in inspect(engine).get_indexes(building)}))

    projector.rebuild("backlog", progress=midway)
    assert [done for done, _ in seen] == [40, 80, head]  # build batches, not live ones
    assert all(indexes == set() for done, indexes in seen[:-1])  # none while it is built
    assert {f"ix_backlog_v{Backlog.version}_1_{level}" for level in ("county", "station")} <= {
        i["name"] for i in inspect(engine).get_indexes(building)
    }


def test_a_new_version_is_built_beside_the_old_and_replaces_it(tmp_path: Path) -> None:
    old_version = Backlog.version

    class BacklogNext(Backlog):
        version = old_version + 1

    flow = demo_log()
    url = f"sqlite:///{tmp_path / 'views.db'}"
    old = projector_for(flow, url)
    old.catch_up()
    new = Projector(
        old.store,
        flow.app.recorder,
        flow.app.mapper,
        [BacklogNext()],
        batch_size=4,
        build_batch_size=4,
    )
    new.setup()
    with new.store.read() as conn, pytest.raises(ProjectionNotReady) as not_ready:
        new.live_tables(conn, "backlog")
    assert not_ready.value.code == "projection_not_ready"
    with old.store.read() as conn:  # the old code still reads its version meanwhile
        assert old.live_tables(conn, "backlog")["backlog"].name == f"backlog_v{old_version}"
    rows = dump(old)["backlog.backlog"]
    new.run_once()
    assert new.positions() == {"backlog": None}  # one batch in: not live yet
    new.catch_up()
    assert new.positions() == {"backlog": flow.app.recorder.max_notification_id()}
    tables = set(inspect(new.store.engine).get_table_names())
    assert f"backlog_v{old_version + 1}" in tables
    assert f"backlog_v{old_version}" not in tables
    assert dump(new)["backlog.backlog"] == rows
    with old.store.read() as conn, pytest.raises(ProjectionNotReady):
        old.live_tables(conn, "backlog")  # the old code no longer reads a newer version


def statistics(projector: Projector, conn: Any) -> Any:
    suffix = projector.targets(["cases"])[0].suffix
    return projector.tables(projector.projection("cases"), suffix)["statistics"]


def test_a_batch_applied_by_another_projector_is_refused_by_the_guard(tmp_path: Path) -> None:
    flow = demo_log()
    url = f"sqlite:///{tmp_path / 'views.db'}"
    head = flow.app.recorder.max_notification_id() or 0
    batch = head - 1
    first, second = projector_for(flow, url, batch), projector_for(flow, url, batch)
    first.setup()
    stale = first.targets()
    second.run_once()  # applies all notifications but the last to every projection
    with second.store.read() as conn:
        counted = conn.execute(select(func.sum(statistics(second, conn).c.value))).scalar()
    assert counted
    with pytest.raises(_Lost):
        first._advance(stale, 0, head)  # the same batch again, from the stale position
    with second.store.read() as conn:
        assert conn.execute(select(func.sum(statistics(second, conn).c.value))).scalar() == counted
    assert set(second.positions().values()) == {None}  # still building, nothing doubled
    assert [b.position for b in second.targets()] == [batch] * len(second.projections)
    assert all(isinstance(b, Build) for b in stale)


def test_lishu_rebuild_rebuilds_every_projection_from_the_events_database(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'lishu.db'}"
    flow = file_flow(tmp_path / "lishu.db")
    demo.run(flow)
    head = flow.app.recorder.max_notification_id()
    result = CliRunner().invoke(app, ["rebuild", "--database-url", database])
    assert result.exit_code == 0, result.output
    assert f"backlog: {head}" in result.output
    assert f"scores: {head}" in result.output
    refused = CliRunner().invoke(app, ["rebuild", "nonesuch", "--database-url", database])
    assert refused.exit_code == 1
    assert "no projection named nonesuch" in refused.output


def test_lishu_project_keeps_the_read_models_caught_up_until_stopped(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'lishu.db'}"
    flow = file_flow(tmp_path / "lishu.db")
    demo.run(flow)
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from api.cli import main; main()",
            "project",
            "--database-url",
            database,
            "--poll",
            "0.05",
        ],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        reader = projector_for(flow, database)
        head = flow.app.recorder.max_notification_id()
        deadline = time.monotonic() + 60
        while set(reader.positions().values()) != {head}:
            assert process.poll() is None
            assert time.monotonic() < deadline, reader.positions()
            time.sleep(0.05)
        more = demo.RIDER
        ack = flow.report_new(
            more, channel="app", module="anti_fraud", sense="heard", what="诈骗", where="路口"
        )
        while set(reader.positions().values()) != {ack.position}:  # it polls for new events
            assert time.monotonic() < deadline, reader.positions()
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "已停止" in output


def test_the_read_model_database_defaults_to_the_events_database() -> None:
    assert read_model_url(Settings(database_url="sqlite:///x.db")) == "sqlite:///x.db"
    separate = Settings(database_url="sqlite:///x.db", read_model_url="sqlite:///views.db")
    assert read_model_url(separate) == "sqlite:///views.db"
    assert Store.from_url("memory://").shared_connection
    assert not Store.from_url("sqlite:///views.db").shared_connection  # nothing opened yet
    postgres = engine_for("postgresql://lishu:pw@db:5432/lishu")
    assert postgres.url.drivername == "postgresql+psycopg"
    assert postgres.url.database == "lishu"


def test_a_rebuild_collects_garbage_less_often_and_restores_the_collector(
    tmp_path: Path,
) -> None:
    flow = demo_log()
    projector = projector_for(flow, f"sqlite:///{tmp_path / 'views.db'}", batch_size=20)
    projector.catch_up()
    before = gc.get_threshold()
    during: list[tuple[int, ...]] = []
    projector.rebuild("backlog", progress=lambda _done, _total: during.append(gc.get_threshold()))
    assert during
    raised = tuple(max(a, b) for a, b in zip(before, BUILD_THRESHOLDS, strict=True))
    assert set(during) == {raised}
    assert gc.get_threshold() == before
