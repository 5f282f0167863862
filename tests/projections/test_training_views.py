"""The training read models: maintained in small batches while a random workload
of sessions, attendance, corrections, exams, certifications and suspensions for a
shortfall (applied and lifted) runs, they equal a rebuild row for row, and agree
with the training records themselves (an independent fold of the log), each
volunteer's yearly norm pro-rated from his admission or certification as the
loop's own gate computes it."""

from __future__ import annotations

import contextlib
import random
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from aggregates.actor import Actor
from aggregates.errors import DomainError
from aggregates.training_record import TrainingRecord, training_record_id
from loop import demo
from loop.bootstrap import Loop, open_loop
from loop.rules.scoring import FUPING_SCORING
from loop.services.training_gate import yearly_norm
from projections.training_queries import Norms, TrainingQueries
from tests.projections.helpers import dump, projector_for
from tests.support import CHINA, FakeClock
from tests.unit.bank_helpers import admit

CROWD = [Actor(f"v-xf-t{n:02d}", "volunteer", demo.XINGFU) for n in range(8)]
NORMS = Norms(pre_duty_halves=10, yearly_halves=20, exam_required=True, shortfall="suspend",
              shortfall_from_month=7)  # fmt: skip
FIRST = date(2026, 7, 11)


def attempt(command: Any) -> None:
    with contextlib.suppress(DomainError):
        command()


def one_day(loop: Loop, clock: FakeClock, rng: random.Random, n: int) -> None:
    """A day of training: one or two sessions, attendance, some corrections, exams."""
    day = FIRST + timedelta(days=n)
    clock.now = datetime.combine(day, datetime.min.time(), CHINA) + timedelta(hours=8)
    for _ in range(rng.randint(1, 2)):
        held = loop.training.schedule(
            demo.STATION_OFFICER if rng.random() < 0.7 else demo.COUNTY_OFFICER,
            kind="pre_duty" if n < 8 else rng.choice(["pre_duty", "regular", "targeted"]),
            topic=f"培训{n}",
            instructor=rng.choice(["阜平县公安局", "消防救援大队", "蓝天救援队"]),
            day=day,
            credit=rng.choice(["half", "whole"]),
            mode=rng.choice(["in_person", "on_site", "video", "shadowing"]),
            place="县局",
        ).session_id
        for person in rng.sample(CROWD, rng.randint(0, len(CROWD))):
            clock.tick()
            loop.training.record_attendance(demo.STATION_OFFICER, held, person.id)
        for person in rng.sample(CROWD, 2):
            clock.tick()
            attempt(
                lambda p=person, s=held: loop.training.correct_attendance(
                    demo.OFFICER_XF, s, p.id, present=rng.random() < 0.5, reason="更正"
                )
            )
    for person in rng.sample(CROWD, 4):
        clock.tick()
        attempt(lambda p=person: loop.training.record_exam(
            demo.OFFICER_XF, p.id, score=rng.randint(40, 90)))  # fmt: skip
        attempt(lambda p=person: loop.training.certify(demo.STATION_OFFICER, p.id))
    for person in rng.sample(CROWD, 2):
        clock.tick()
        attempt(lambda p=person: loop.training.suspend(demo.STATION_OFFICER, p.id, reason="不足"))
    clock.tick()
    attempt(lambda: loop.training.lift_suspension(
        demo.STATION_OFFICER, rng.choice(CROWD).id, reason="暂缓"))  # fmt: skip


def test_training_read_models_equal_a_rebuild_and_the_records_themselves(views_url: str) -> None:
    clock = FakeClock(datetime(2025, 5, 6, 9, 0, tzinfo=CHINA))
    loop = open_loop(clock=clock, scoring=FUPING_SCORING)
    admit(loop.incidents, *CROWD[:4])  # last year: the whole norm, unless certified late
    clock.now = datetime(2026, 7, 11, 9, 0, tzinfo=CHINA)
    admit(loop.incidents, *CROWD[4:])  # in July: half the norm
    # suspensions for a shortfall (by an officer) from July, so the workload has some
    loop.training.policy = replace(
        loop.training.policy, shortfall="suspend", shortfall_from_month=7
    )
    projector = projector_for(loop.incidents, views_url, batch_size=7)
    projector.setup()
    loop.training.switch_gate_on(demo.COUNTY_OFFICER, serving=[p.id for p in CROWD[:2]])
    rng = random.Random(11)
    for n in range(20):
        one_day(loop, clock, rng, n)
        if n % 4 == 0:
            projector.run_once()
    projector.catch_up()
    incremental = {k: v for k, v in dump(projector).items() if k.startswith("training.")}

    queries = TrainingQueries(projector)
    certified = 0
    norms: dict[str, int] = {}
    for person in CROWD:  # each volunteer's read agrees with his record
        record = loop.app.find(training_record_id(person.id), TrainingRecord)
        assert record is not None
        read = queries.record_of(person.id, year=2026, norms=NORMS, today=clock.now.date())
        assert read is not None
        assert read["days"] * 2 == record.year_halves(2026)
        norms[person.id] = yearly_norm(loop.app, loop.training.policy, person.id, record, 2026)
        assert read["norm_days"] * 2 == norms[person.id]
        assert (read["suspended"] is None) == (record.suspended is None)
        if record.suspended is not None:
            year, norm = record.suspended["year"], record.suspended["norm_halves"]
            assert read["suspended"]["short_days"] * 2 == norm - record.year_halves(year)
            assert read["sign_up"] in ("suspended", "awaiting_training")
        assert read["pre_duty_days"] * 2 == record.pre_duty_halves
        assert [e["score"] for e in read["exams"]] == [e["score"] for e in record.exams]
        assert read["certified"] == record.certified
        certified += record.certified is not None
        assert read["duty"] == ("active" if record.certified else "awaiting_training")
    assert 2 < certified < len(CROWD)
    short = queries.shortfall(demo.STATION, year=2026, norms=NORMS)
    records = [loop.app.find(training_record_id(p.id), TrainingRecord) for p in CROWD]
    assert all(records)
    expected = {
        r.volunteer_id: (norms[r.volunteer_id] - r.year_halves(2026)) / 2 for r in records if r
    }
    assert {r["volunteer_id"]: r["short_days"] for r in short} == {
        k: v for k, v in expected.items() if v > 0
    }
    assert {r["volunteer_id"] for r in short if r["suspended"]} == {
        r.volunteer_id for r in records if r and r.suspended and expected[r.volunteer_id] > 0
    }
    assert len(set(norms.values())) > 1  # some pro-rated, some not
    waiting = {r["volunteer_id"]: r for r in queries.awaiting(demo.STATION, norms=NORMS)}
    assert set(waiting) == {r.volunteer_id for r in records if r and r.certified is None}
    for record in records:
        if record is not None and record.certified is None:
            row = waiting[record.volunteer_id]
            assert row["pre_duty_days"] * 2 == record.pre_duty_halves
            assert row["exam_missing"] == (not record.passed)
    assert queries.sessions(demo.XINGFU, start=FIRST, end=FIRST + timedelta(days=30))

    fresh = projector_for(loop.incidents, views_url, batch_size=500)
    fresh.rebuild("training")
    rebuilt = {k: v for k, v in dump(fresh).items() if k.startswith("training.")}
    assert rebuilt == incremental
    assert len(incremental["training.attendance"]) > 50
    assert any(row[3] for row in incremental["training.attendance"])  # some corrected
    suspensions = [
        type(e).__name__
        for p in CROWD
        for e in loop.app.events.get(training_record_id(p.id))
        if type(e).__name__ in ("Suspended", "SuspensionLifted")
    ]
    assert "Suspended" in suspensions
    assert "SuspensionLifted" in suspensions
    projector.store.dispose()
    fresh.store.dispose()


def test_a_volunteer_corrected_to_absent_reads_as_absent_at_a_session_others_attended(
    views_url: str,
) -> None:
    """His record lists the session as not attended (the attendance's own flag), not
    the session's count of those present."""
    clock = FakeClock(datetime(2026, 7, 11, 9, 0, tzinfo=CHINA))
    loop = open_loop(clock=clock, scoring=FUPING_SCORING)
    admit(loop.incidents, *CROWD[:2])
    projector = projector_for(loop.incidents, views_url)
    projector.setup()
    held = loop.training.schedule(
        demo.STATION_OFFICER, kind="regular", topic="防诈骗", instructor="县公安局",
        day=FIRST, credit="whole", mode="in_person", place="县局",
    ).session_id  # fmt: skip
    for person in CROWD[:2]:
        loop.training.record_attendance(demo.STATION_OFFICER, held, person.id)
    loop.training.correct_attendance(
        demo.STATION_OFFICER, held, CROWD[0].id, present=False, reason="登记有误"
    )
    projector.catch_up()
    queries = TrainingQueries(projector)
    absent = queries.record_of(CROWD[0].id, year=2026, norms=NORMS)
    present = queries.record_of(CROWD[1].id, year=2026, norms=NORMS)
    assert absent is not None
    assert present is not None
    assert [(s["present"], s["attended"], s["corrected"]) for s in absent["sessions"]] == [
        (1, False, True)
    ]
    assert [(s["attended"], s["corrected"]) for s in present["sessions"]] == [(True, False)]
    assert absent["days"] == 0
    assert present["days"] == 1
    projector.store.dispose()
