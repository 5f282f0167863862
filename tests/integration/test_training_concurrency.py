"""Attendance racing in several processes' applications on one SQLite file: one
volunteer recorded at two sessions at the same moment changes his one training
record twice; the store takes the first, the second is tried again on what is
stored, and both sessions are credited, once each."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

from aggregates.training_record import TrainingRecord, training_record_id
from loop import demo
from loop.bootstrap import Loop, build_loop
from loop.settings import Settings
from tests.integration.test_task_concurrency import race
from tests.support import CHINA
from tests.unit.bank_helpers import admit


def schedule(loop: Loop, topic: str, credit: str) -> str:
    return loop.training.schedule(
        demo.STATION_OFFICER, kind="regular", topic=topic, instructor="县公安局",
        day=datetime.now(CHINA).date(), credit=credit, mode="in_person", place="派出所",
    ).session_id  # fmt: skip


def test_one_volunteer_recorded_at_two_sessions_at_once_is_credited_for_both(
    tmp_path: Path,
) -> None:
    path = tmp_path / "lishu.db"
    loop = build_loop(Settings(database_url=f"sqlite:///{path}"))
    admit(loop.incidents, demo.RIDER)
    morning, afternoon = schedule(loop, "法律法规", "half"), schedule(loop, "信息采集", "half")
    loop.close()

    answers, conflicts = race(
        path,
        [
            lambda lp: lp.training.record_attendance(demo.STATION_OFFICER, morning, demo.RIDER.id),
            lambda lp: lp.training.record_attendance(demo.OFFICER_XF, afternoon, demo.RIDER.id),
        ],
    )

    assert conflicts == 1  # on his record, opened by both at once
    assert all(not isinstance(a, BaseException) for a in answers), answers
    assert [a.credited_days for a in answers] == [0.5, 0.5]
    loop = build_loop(Settings(database_url=f"sqlite:///{path}"))
    record = loop.app.find(training_record_id(demo.RIDER.id), TrainingRecord)
    assert record is not None
    events = Counter(type(e).__name__ for e in loop.app.events.get(record.id))
    loop.close()
    assert set(record.credits) == {morning, afternoon}
    assert record.year_halves(datetime.now(CHINA).year) == 2
    assert events == {"Opened": 1, "DayCredited": 2}
