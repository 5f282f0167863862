"""Test doubles shared by the test tiers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8))


class FakeClock:
    """A clock the test moves: each tick is one second, ``advance`` jumps."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 7, 11, 9, 0, tzinfo=CHINA)

    def __call__(self) -> datetime:
        return self.now

    def tick(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta
