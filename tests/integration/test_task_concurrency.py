"""Sign-ups racing in several processes' applications on one SQLite file.

Each thread has its own application (as separate API workers would), so the
store's version conflict is the real one. Every thread loads the task while a
place is free, then all commit at once: one booking is stored, the others
conflict, are tried again on what is stored and join the waitlist. One volunteer
booking two overlapping tasks at once conflicts on his roster: one is refused.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aggregates.actor import Actor
from aggregates.errors import DomainError
from aggregates.task import Task
from loop import demo
from loop.bootstrap import Loop, build_loop
from loop.errors import ConcurrencyConflict
from loop.settings import Settings
from tests.support import CHINA
from tests.unit.bank_helpers import admit

THREADS = 8
START = datetime.now(CHINA).replace(microsecond=0) + timedelta(days=2)


def publish(loop: Loop, topic: str, start: datetime, needed: int) -> str:
    return loop.tasks.publish(
        demo.STATION_OFFICER,
        kind="patrol",
        topic=topic,
        place="幸福路",
        community=demo.XINGFU,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        needed=needed,
    ).task_id


def race(path: Path, jobs: list[Callable[[Loop], Any]]) -> tuple[list[Any], int]:
    """Run each job in its own application, all committing their first attempt
    together; each job's answer (or the refusal it raised), and how many commits
    conflicted."""
    loops = [build_loop(Settings(database_url=f"sqlite:///{path}")) for _ in jobs]
    gate = threading.Barrier(len(jobs), timeout=30)
    answers: list[Any] = [None] * len(jobs)
    conflicts: list[int] = []

    def worker(n: int, loop: Loop) -> None:
        commit = loop.app.commit
        first = [True]

        def gated_commit(*aggregates: Any) -> int | None:
            if first[0]:  # all loaded the same versions: now commit together
                first[0] = False
                gate.wait()
            try:
                return commit(*aggregates)
            except ConcurrencyConflict:
                conflicts.append(n)
                raise

        loop.app.commit = gated_commit  # type: ignore[method-assign]
        try:
            answers[n] = jobs[n](loop)
        except DomainError as refusal:
            answers[n] = refusal

    threads = [threading.Thread(target=worker, args=(n, lp)) for n, lp in enumerate(loops)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for loop in loops:
        loop.close()
    return answers, len(conflicts)


def test_many_processes_race_for_the_last_place_and_one_gets_it(tmp_path: Path) -> None:
    path = tmp_path / "lishu.db"
    loop = build_loop(Settings(database_url=f"sqlite:///{path}"))
    crowd = [Actor(f"v-xf-r{n}", "volunteer", demo.XINGFU) for n in range(THREADS)]
    admit(loop.incidents, demo.RIDER, *crowd)
    task = publish(loop, "最后一个名额", START, needed=2)
    loop.tasks.sign_up(demo.RIDER, task)
    loop.close()

    answers, conflicts = race(path, [lambda lp, v=v: lp.tasks.sign_up(v, task) for v in crowd])

    assert conflicts >= THREADS - 1  # the first round: one winner, tried again

    assert all(not isinstance(a, BaseException) for a in answers), answers
    assert Counter(a.state for a in answers) == {"booked": 1, "waitlisted": THREADS - 1}
    assert sorted(a.waitlist_position for a in answers if a.state == "waitlisted") == list(
        range(1, THREADS)
    )
    loop = build_loop(Settings(database_url=f"sqlite:///{path}"))
    held = loop.tasks.get(task)
    events = list(loop.app.events.get(held.id))
    loop.close()
    assert len(held.booked) == held.needed == 2
    kinds = Counter(type(e).__name__ for e in events)
    assert (kinds["Booked"], kinds["Waitlisted"]) == (2, THREADS - 1)
    signed = [e.volunteer_id for e in events if isinstance(e, Task.Booked | Task.Waitlisted)]
    assert len(signed) == len(set(signed))  # nobody twice


def test_one_volunteer_booking_two_overlapping_tasks_at_once_gets_one(tmp_path: Path) -> None:
    path = tmp_path / "lishu.db"
    loop = build_loop(Settings(database_url=f"sqlite:///{path}"))
    admit(loop.incidents, demo.RIDER)
    first = publish(loop, "夜间巡逻", START, needed=5)
    second = publish(loop, "广场安保", START + timedelta(hours=1), needed=5)
    loop.close()

    answers, conflicts = race(
        path,
        [
            lambda lp: lp.tasks.sign_up(demo.RIDER, first),
            lambda lp: lp.tasks.sign_up(demo.RIDER, second),
        ],
    )

    assert conflicts == 1  # on the roster: the two tasks themselves did not clash
    booked = [a for a in answers if not isinstance(a, BaseException)]
    refused = [a for a in answers if isinstance(a, BaseException)]
    assert [a.state for a in booked] == ["booked"]
    assert [r.code for r in refused] == ["booking_overlaps"]
    loop = build_loop(Settings(database_url=f"sqlite:///{path}"))
    roster = loop.tasks.roster(demo.RIDER.id, demo.RIDER, START)
    loop.close()
    assert list(roster.bookings) == [booked[0].task_id]
