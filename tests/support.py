"""Test doubles and checks shared by the test tiers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest

from aggregates.errors import DomainError

if TYPE_CHECKING:
    from loop.bootstrap import Loop
    from loop.storage.group_commit import GroupCommitter

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


def refused(loop: Loop, command: Callable[[], Any]) -> DomainError:
    """Run a command that must be refused; the log must not move."""
    before = loop.app.recorder.max_notification_id()
    with pytest.raises(DomainError) as caught:
        command()
    assert loop.app.recorder.max_notification_id() == before
    assert caught.value.message_zh
    assert caught.value.message_en
    return caught.value


def held(committer: GroupCommitter) -> threading.Event:
    """Block the writer on a first command, so what is submitted next queues up
    and is committed as one batch once the returned event is set."""
    gate, started = threading.Event(), threading.Event()

    def wait() -> None:
        started.set()
        gate.wait(10)

    committer.submit(wait)
    assert started.wait(10)
    return gate
