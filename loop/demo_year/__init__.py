"""A year of history for the demo county, made through the same commands the API
runs, on a clock that walks through the year.

:func:`generate` registers today's demo units and people on the year's first day
and then lives the year: volunteers join, hundreds of incidents go down every
branch of the loop (handled by the community, escalated to the station and the
county, returned, diverted and handed over, chased, self-handled, logged by the
office, residents' calls and reports, rejected, a reward reversed), a few wait
past their due time, every month is evaluated, the keenest volunteers are
honoured, points are redeemed, duty tasks are worked and signed, the station
trains and examines, notices go out. Everything is drawn from one seeded random
stream and every record the services let a caller name gets a fixed id, so two
years made from the same seed and end are the same events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from loop import demo
from loop.bootstrap import Loop
from loop.demo_year.cases import Cases
from loop.demo_year.duties import Duties
from loop.demo_year.months import Months
from loop.demo_year.people import People, enrol, extra_volunteers
from loop.demo_year.timeline import Timeline

DAYS = 365
SEED = 2026
REPORTS_PER_DAY = (0, 1, 1, 1, 1, 2, 2, 3)
"""How many incidents a day brings: one drawn per day (about 1.4 on average)."""
BUSY_DAYS = 14
"""The last fortnight brings one more a day: the boards have work on them."""

__all__ = ["DAYS", "SEED", "YearDemo", "extra_volunteers", "generate"]


@dataclass(frozen=True)
class YearDemo:
    """What the year made."""

    start: datetime
    end: datetime
    incidents: int
    branches: dict[str, int]
    tasks: int
    sessions: int
    notices: int
    evaluations: int
    honours: int
    redemptions: int
    refused: dict[str, int]
    """Commands refused on the way, by script (none in a correct year)."""


def generate(loop: Loop, *, end: datetime, seed: int = SEED, days: int = DAYS) -> YearDemo:
    """The ``days`` before ``end`` lived in ``loop``'s store; the application's
    clock is the year's while it runs and given back after."""
    start = end - timedelta(days=days)
    timeline = Timeline(start, end, seed)
    own_clock = loop.app.clock
    loop.app.clock = timeline.clock
    try:
        timeline.clock.now = timeline.day(0, 8)
        demo.register_units(loop.registry)
        people = People()
        items = enrol(loop.incidents, timeline, people)
        cases = Cases(loop.incidents, timeline, people)
        for day in range(days):
            busy = 1 if day >= days - BUSY_DAYS else 0  # the boards have work today
            for _ in range(timeline.rng.choice(REPORTS_PER_DAY) + busy):
                cases.start(
                    timeline.day(day, timeline.rng.randint(7, 20), timeline.rng.randint(0, 59))
                )
        duties = Duties(loop, timeline, people)
        duties.schedule(days)
        months = Months(loop, timeline, people, cases, items)
        months.schedule(days)
        timeline.run()
    finally:
        loop.app.clock = own_clock
    return YearDemo(
        start=start,
        end=end,
        incidents=cases.made,
        branches=dict(cases.branches),
        tasks=duties.tasks,
        sessions=duties.sessions,
        notices=duties.notices,
        evaluations=months.evaluations,
        honours=months.honours,
        redemptions=months.redemptions,
        refused=dict(timeline.refused),
    )
