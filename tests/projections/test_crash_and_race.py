"""Projector processes killed mid-batch, and two projectors racing on one file."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.projections import workload
from tests.projections.helpers import dump, file_flow, projector_for
from tests.support import FakeClock

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An event log on an SQLite file, written once for the module."""
    path = tmp_path_factory.mktemp("log") / "events.db"
    clock = FakeClock()
    workload.run(file_flow(path, clock), clock, incidents=30, seed=11)
    return path


def projector_process(log: Path, views: Path, report: Path, *options: str) -> subprocess.Popen[Any]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.projections.projector_process",
            str(log),
            str(views),
            str(report),
            *options,
        ],
        cwd=ROOT,
    )


def rebuilt(log: Path, views: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The read models as the processes left them, and rebuilt from scratch."""
    projector = projector_for(file_flow(log), f"sqlite:///{views}")
    before = dump(projector)
    for name in sorted(projector.projections):
        projector.rebuild(name)
    return before, dump(projector)


def test_a_projector_killed_mid_batch_resumes_to_what_a_rebuild_gives(
    log: Path, tmp_path: Path
) -> None:
    views = tmp_path / "views.db"
    flow = file_flow(log)
    head = flow.app.recorder.max_notification_id()
    assert head is not None
    assert head > 150

    killed = projector_process(
        log, views, tmp_path / "r1.json", "--batch", "40", "--die-after", "11"
    )
    assert killed.wait(120) == -9
    stopped_at = projector_for(file_flow(log), f"sqlite:///{views}").targets()
    positions = {b.position for b in stopped_at}
    assert len(positions) == 1
    (position,) = positions
    # the batches before the kill committed; the one it interrupted did not
    assert position % 40 == 0
    assert 0 < position < head

    restarted = projector_process(log, views, tmp_path / "r2.json", "--batch", "40")
    assert restarted.wait(120) == 0
    resumed = json.loads((tmp_path / "r2.json").read_text())
    assert resumed[0][0] == position  # it went on from where the kill left it
    before, after = rebuilt(log, views)
    assert before == after


def test_two_projectors_racing_on_one_file_apply_every_batch_once(
    log: Path, tmp_path: Path
) -> None:
    views = tmp_path / "views.db"
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    reports = [tmp_path / "a.json", tmp_path / "b.json"]
    runs = [
        projector_process(
            log, views, r, "--batch", "3", "--barrier", str(barrier), "--pause", "0.02"
        )
        for r in reports
    ]
    while len(list(barrier.glob("ready-*"))) < 2:
        assert all(run.poll() is None for run in runs)
        time.sleep(0.01)
    (barrier / "go").touch()
    assert [run.wait(180) for run in runs] == [0, 0]

    flow = file_flow(log)
    head = flow.app.recorder.max_notification_id()
    assert head is not None
    batches = [json.loads(r.read_text()) for r in reports]
    assert all(batches), "both processes committed batches"
    for name in ("backlog", "cases", "catalogue", "notifications", "scores"):
        applied = sorted(
            (start, count) for each in batches for start, count, names in each if name in names
        )
        covered = [n for start, count in applied for n in range(start + 1, start + count + 1)]
        assert covered == list(range(1, head + 1)), "every notification applied exactly once"
    before, after = rebuilt(log, views)
    assert before == after
