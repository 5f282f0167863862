"""The talk-order reads agree with the oracle's own fold of the log
(``tests.oracle.talk_fold``) after a random workload of orders through every
step, for each station and the county: the orders with their status, days, task,
reschedules, delivery, rating and follow-up, whether an answer is overdue, reach
by theme and the topics picked on site, the police and outside speakers with
their bookings and talks given; and the fold found no step out of order and no
speaker booked twice at once."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import pytest

from loop import demo
from loop.bootstrap import open_loop
from loop.rules.scoring import FUPING_SCORING
from projections.talk_queries import TalkQueries
from tests.oracle.talk_fold import TalkFold
from tests.projections.helpers import projector_for
from tests.support import FakeClock
from tests.talk_helpers import SPEAKERS, guests, talks_of, workload

UNITS = (demo.COUNTY, demo.STATION, "lishu/dongfeng")
SHOWN = ("status", "window", "task_id", "starts_at", "confirmed", "reschedules", "reach",
         "questions", "rating", "follow_up", "overdue")  # fmt: skip
SPEAKER_SHOWN = ("kind", "unit", "organisation", "vice_principal_of", "active", "booked",
                 "talks_given")  # fmt: skip


@pytest.mark.parametrize("seed", [3, 26])
def test_the_talk_reads_agree_with_the_oracles_fold(seed: int, tmp_path: Path) -> None:
    clock = FakeClock()
    loop = open_loop(clock=clock, scoring=FUPING_SCORING)
    demo.enrol(loop.incidents)
    talks, links = talks_of(loop)
    pool = [*SPEAKERS, *guests(loop, talks)]
    projector = projector_for(loop.incidents, f"sqlite:///{tmp_path / 'views.db'}", batch_size=7)
    projector.setup()
    workload(talks, links, clock, random.Random(seed), 40, projector.run_once, pool)
    clock.advance(timedelta(days=2))  # some orders still waiting are now overdue
    projector.catch_up()

    fold = TalkFold()
    fold.read(loop.app.recorder, loop.app.mapper)
    assert fold.broken == []
    queries = TalkQueries(projector)
    now = clock.now
    for unit in UNITS:
        expected = fold.orders_of(unit, now)
        shown = {
            row["order_id"]: {name: row[name] for name in SHOWN}
            for row in queries.orders(unit, now=now, limit=500)
        }
        assert shown == expected, unit
        reach = {r["theme"]: (r["talks"], r["reach"], r["questions"])
                 for r in queries.reach_by_theme(unit)}  # fmt: skip
        assert reach == fold.reach_of(unit), unit
        assert queries.site_topics(unit) == fold.topics_of(unit), unit
        shown_speakers = {
            row["speaker"]: {name: row[name] for name in SPEAKER_SHOWN}
            for row in queries.speakers(unit)
        }
        assert shown_speakers == fold.speakers_of(unit), unit
    for unit, items in fold.menus.items():
        assert {i["item_id"]: i["theme"] for i in queries.menu(unit)} == items
    assert any(o["overdue"] for o in fold.orders_of(demo.COUNTY, now).values())
    assert any(o["status"] == "delivered" for o in fold.orders_of(demo.COUNTY, now).values())
    given = {ref: s["talks_given"] for ref, s in fold.speakers_of(demo.STATION).items()}
    assert len(given) == 2
    assert all(given.values())  # the police and the outside speaker each spoke
    projector.store.dispose()
