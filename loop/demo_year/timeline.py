"""The year's clock and its timetable: every command of the year demo happens at a
moment of a simulated year, in the order of those moments.

Scripts are generators: each runs its command(s), then yields how long until the
next; the timetable sets the clock to each moment before resuming the script due
then. A moment after the year's end is not reached: what is still to do then
stays undone (an open, perhaps overdue, case).
"""

from __future__ import annotations

import heapq
import logging
import random
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from uuid import NAMESPACE_URL, UUID, uuid5

from aggregates.errors import DomainError

log = logging.getLogger(__name__)

CHINA = timezone(timedelta(hours=8))

Script = Iterator[timedelta]
MORNING, NIGHT = 7, 22
"""The county's steps are taken between seven in the morning and ten at night."""


class DemoClock:
    """The application's clock while the year is made: the moment the timetable set."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Timeline:
    """The timetable of scripts, the year's random stream and its fixed ids."""

    def __init__(self, start: datetime, end: datetime, seed: int) -> None:
        self.start, self.end = start, end
        self.clock = DemoClock(start)
        self.rng = random.Random(seed)
        self.refused: Counter[str] = Counter()
        """Commands the services refused, by script name (a correct year has none)."""
        self._queue: list[tuple[datetime, int, str, Script]] = []
        self._made = 0

    def at(self, when: datetime, name: str, script: Script) -> None:
        """Run ``script`` from ``when`` (not earlier than now; a step due in the
        night waits for the morning)."""
        self._made += 1
        when = max(when, self.clock.now)
        local = when.astimezone(CHINA)
        if local.hour >= NIGHT or local.hour < MORNING:
            morning = local.replace(hour=MORNING, minute=0, second=0, microsecond=0)
            if local.hour >= NIGHT:
                morning += timedelta(days=1)
            when = morning + timedelta(minutes=self.rng.randint(0, 90))
        heapq.heappush(self._queue, (when, self._made, name, script))

    def once(self, when: datetime, name: str, command: Callable[[], object]) -> None:
        """Run one command at ``when``."""

        def script() -> Script:
            command()
            yield from ()

        self.at(when, name, script())

    def run(self) -> None:
        """Every script, moment by moment, until the year's end."""
        while self._queue:
            when, _, name, script = heapq.heappop(self._queue)
            if when > self.end:
                continue
            self.clock.now = when
            try:
                delay = next(script)
            except StopIteration:
                continue
            except DomainError as refusal:
                log.warning("demo year: %s refused at %s: %s", name, when, refusal)
                self.refused[name] += 1
                continue
            self.at(when + delay, name, script)

    def day(self, n: int, hour: int = 9, minute: int = 0) -> datetime:
        """``hour:minute`` China time on the ``n``-th day of the year (0: the first)."""
        first = self.start.astimezone(CHINA).replace(hour=0, minute=0, second=0, microsecond=0)
        return first + timedelta(days=n, hours=hour, minutes=minute)

    def hours(self, low: float, high: float) -> timedelta:
        """A random delay of ``low`` to ``high`` hours, to the minute."""
        return timedelta(minutes=self.rng.randint(int(low * 60), int(high * 60)))

    @staticmethod
    def uuid(kind: str, n: int | str) -> UUID:
        """The fixed id of the ``n``-th record of ``kind``: two years made alike have
        the same ids."""
        return uuid5(NAMESPACE_URL, f"lishu-loop:demo-year:{kind}:{n}")
