"""The duty-task read models: maintained in small batches while a random workload
of tasks runs, they equal a rebuild row for row, and agree with the tasks and
accounts themselves (an independent fold of the log)."""

from __future__ import annotations

import contextlib
import random
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest

from aggregates.actor import Actor
from aggregates.errors import DomainError
from aggregates.points_account import PointsAccount
from loop import demo
from loop.bootstrap import Loop, open_loop
from loop.rules.scoring import FUPING_SCORING, LISHU_SCORING
from loop.services.task_day import check_in_code
from projections.task_queries import TaskQueries
from tests.projections.helpers import dump, projector_for
from tests.support import CHINA, FakeClock
from tests.unit.bank_helpers import admit

CROWD = [Actor(f"v-xf-w{n:02d}", "volunteer", demo.XINGFU) for n in range(10)]
KINDS = ["patrol", "school_guard", "anti_fraud", "flood_watch", "care"]


def attempt(command: Any) -> None:
    """Commands the workload tries at random: a refusal is part of the game."""
    with contextlib.suppress(DomainError):
        command()


def one_task(loop: Loop, clock: FakeClock, rng: random.Random, day: int) -> str:
    """A task published, signed up for, perhaps revised, cancelled, or run and completed."""
    start = datetime(2026, 8, 1, 8, 0, tzinfo=CHINA) + timedelta(days=day, hours=rng.randint(0, 10))
    clock.now = start - timedelta(days=3)
    task = loop.tasks.publish(
        demo.STATION_OFFICER,
        kind=rng.choice(KINDS),
        topic=f"任务{day}",
        place="幸福路",
        community=demo.XINGFU,
        starts_at=start,
        ends_at=start + timedelta(hours=rng.randint(1, 4)),
        needed=rng.randint(1, 5),
        minimum=1,
        points=rng.randint(5, 20),
        leader_id=CROWD[0].id,
    ).task_id
    for person in rng.sample(CROWD, rng.randint(0, len(CROWD))):
        clock.tick()
        attempt(lambda p=person: loop.tasks.sign_up(p, task))
    for person in rng.sample(CROWD, 3):
        clock.now = start - timedelta(hours=rng.choice([24, 2]))  # before or after the cut-off
        attempt(lambda p=person: loop.tasks.withdraw(p, task, reason="有事"))
    if rng.random() < 0.2:
        moved = start + timedelta(minutes=30)
        attempt(
            lambda: loop.tasks.revise(
                demo.STATION_OFFICER,
                task,
                starts_at=moved,
                ends_at=moved + timedelta(hours=1),
                needed=6,
                reason="改期",
            )
        )
    if rng.random() < 0.1:
        loop.tasks.cancel(demo.STATION_OFFICER, task, reason="天气")
        return task
    held = loop.tasks.get(task)
    code = check_in_code(held)
    for n, person in enumerate(list(held.booked)):
        clock.now = held.starts_at + timedelta(minutes=rng.randint(-30, 30))
        actor = next(p for p in CROWD if p.id == person)
        if n % 3 == 0:
            attempt(lambda a=actor: loop.tasks.check_in(a, task, a.id, code=code))
        elif n % 3 == 1:
            attempt(lambda p=person: loop.tasks.check_in(demo.OFFICER_XF, task, p))
    for person, record in list(loop.tasks.get(task).attendance.items()):
        if rng.random() < 0.5:
            clock.now = max(record["in"], held.starts_at) + timedelta(minutes=rng.randint(10, 90))
            attempt(lambda p=person: loop.tasks.check_out(demo.OFFICER_XF, task, p))
    clock.now = held.ends_at + timedelta(hours=1)
    loop.tasks.complete(demo.STATION_OFFICER, task, reach=rng.randint(0, 200), materials=10)
    if loop.tasks.get(task).points_state == "awaiting_signatures":
        loop.tasks.sign_points(demo.DIRECTOR_XF, task)
        if rng.random() < 0.7:
            loop.tasks.sign_points(demo.OFFICER_XF, task)
    return task


@pytest.mark.parametrize("scoring", [LISHU_SCORING, FUPING_SCORING], ids=["lishu", "fuping"])
def test_task_read_models_equal_a_rebuild_and_the_tasks_themselves(
    views_url: str, scoring: Any
) -> None:
    clock = FakeClock()
    loop = open_loop(clock=clock, scoring=scoring)
    admit(loop.incidents, *CROWD)
    projector = projector_for(loop.incidents, views_url, batch_size=7)
    projector.setup()
    rng = random.Random(7)
    tasks = []
    for day in range(24):
        tasks.append(one_task(loop, clock, rng, day))
        if day % 5 == 0:
            projector.run_once()
    projector.catch_up()
    incremental = {k: v for k, v in dump(projector).items() if k.startswith("tasks.")}

    queries = TaskQueries(projector)
    held = [loop.tasks.get(t) for t in tasks]
    assert Counter(t.status for t in held)["completed"] > 10
    for task in held:  # each task row agrees with its task
        row = queries.task(str(task.id))
        assert row is not None
        assert (row["status"], row["needed"]) == (task.status, task.needed)
        if task.status != "completed":
            continue
        assert task.completion is not None
        assert row["attended"] == len(task.completion["attendance"])
        assert row["minutes"] == sum(r["minutes"] for r in task.completion["attendance"])
        assert row["no_shows"] == len(task.completion["no_shows"])
    total_minutes = 0
    for person in CROWD:  # each volunteer's hours and task points agree with the log
        hours = queries.hours_of(person.id)
        minutes = sum(
            r["minutes"]
            for t in held
            if t.completion
            for r in t.completion["attendance"]
            if r["volunteer_id"] == person.id
        )
        account = loop.incidents.points_account(person.id)
        credited = sum(
            e.amount
            for e in loop.app.events.get(account.id)
            if isinstance(e, PointsAccount.Deposited) and e.source == "task"
        )
        assert (hours["minutes"], hours["points"]) == (minutes, credited)
        total_minutes += minutes
    figures = queries.statistics(demo.STATION)
    assert figures["totals"]["minutes"] == total_minutes > 0
    assert figures["totals"]["published"] == len(tasks)

    fresh = projector_for(loop.incidents, views_url, batch_size=500)
    fresh.rebuild("tasks")
    rebuilt = {k: v for k, v in dump(fresh).items() if k.startswith("tasks.")}
    assert rebuilt == incremental
    assert len(incremental["tasks.entries"]) > 50
    projector.store.dispose()
    fresh.store.dispose()
