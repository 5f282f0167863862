"""Duty tasks measured beside the loop command of the same run: a sign-up loads
the task, the volunteer and his roster, checks eligibility, overlap and the
day's cap, and commits the task and the roster together."""

from __future__ import annotations

import time
from datetime import timedelta

from api.seed import enrol_extra
from benchmarks.harness import Context, Figure, RowSpec, Target, measurement
from loop import demo
from loop.bootstrap import Loop, build_loop
from loop.settings import Settings

SPACING = timedelta(hours=4)


def publish_patrols(loop: Loop, count: int, *, needed: int) -> list[str]:
    """``count`` one-hour patrols at the demo station, a day ahead and SPACING
    apart (never overlapping, so one volunteer may book them all): their ids."""
    start = loop.app.clock() + timedelta(days=1)
    ids = []
    for n in range(count):
        at = start + n * SPACING
        ack = loop.tasks.publish(
            demo.STATION_OFFICER,
            kind="patrol",
            topic=f"巡逻{n}",
            place="幸福路",
            community=demo.XINGFU,
            starts_at=at,
            ends_at=at + timedelta(hours=1),
            needed=needed,
        )
        ids.append(str(ack.task_id))
    return ids


"""Tasks start this far apart, so one volunteer's bookings never overlap (six a day,
within the daily cap)."""


@measurement(
    "task sign-up",
    "product",
    RowSpec(
        "task.signup.inprocess",
        "task sign-up in process (task + roster)",
        "cmd/s",
        "loop.inprocess",
        # Three loads (task, volunteer with his personal data, roster) and two
        # aggregates in the commit, against one and one: the disk flush both pay
        # dominates, so a sign-up should keep at least 0.4 of the loop command's rate.
        Target(">=", 0.4),
    ),
)
def task_sign_up_in_process(ctx: Context) -> dict[str, Figure]:
    """``Tasks.sign_up`` on an SQLite file, the demo's volunteers round-robin over
    tasks published at the station, every sign-up a booking saved with the
    volunteer's roster; compared with the loop command (``IncidentFlow.chase``)
    measured in the same run, which saves one aggregate."""
    c = ctx.counts
    loop = build_loop(Settings(database_url=f"sqlite:///{ctx.fresh('tasks.db')}"))
    try:
        people = enrol_extra(loop.incidents)
        tasks = publish_patrols(loop, c.commands // len(people) + 1, needed=len(people))
        started = time.perf_counter()
        for n in range(c.commands):
            person = people[n % len(people)]
            loop.tasks.sign_up(person, tasks[n // len(people)])
        rate = c.commands / (time.perf_counter() - started)
        booked = sum(len(loop.tasks.get(t).booked) for t in tasks)
    finally:
        loop.close()
    assert booked == c.commands, "every sign-up booked once"
    return {
        "task.signup.inprocess": Figure(
            rate, {"sign_ups": c.commands, "tasks": len(tasks), "volunteers": len(people)}
        )
    }
