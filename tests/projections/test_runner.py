"""The in-process runner: commands arriving together are applied in a few rounds,
and a reader waiting for its own write does not wait for the gathering."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from loop import demo
from projections.runner import CatchUpRunner
from tests.projections.helpers import World


def runner_for(world: World, linger: float) -> CatchUpRunner:
    runner = CatchUpRunner(world.views.projector, poll_interval=5.0, linger=linger)
    return runner.start()


@pytest.fixture
def lingering(world: World) -> Iterator[CatchUpRunner]:
    runner = runner_for(world, linger=0.2)
    yield runner
    runner.stop()


def test_a_stream_of_commands_is_applied_in_few_rounds(
    world: World, lingering: CatchUpRunner
) -> None:
    positions = []
    for _ in range(20):
        world.report()
        lingering.wake()  # as the service does after every command
        positions.append(world.flow.app.recorder.max_notification_id() or 0)
        time.sleep(0.01)
    deadline = time.monotonic() + 10
    while not lingering.caught_up_to(positions[-1]) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert lingering.caught_up_to(positions[-1])
    assert lingering.rounds < 10  # twenty commands woke it, rounds gathered them
    assert len(world.views.queries.backlog(demo.XINGFU)) == 20


def test_a_reader_waiting_for_its_write_does_not_wait_out_the_linger(world: World) -> None:
    runner = runner_for(world, linger=3.0)
    try:
        world.report()
        runner.wake()
        first = world.flow.app.recorder.max_notification_id() or 0
        assert runner.wait_for(first, timeout=5)  # the first round: the runner was idle
        world.report()
        runner.wake()  # the runner now lingers after the round that applied the first
        second = world.flow.app.recorder.max_notification_id() or 0
        started = time.monotonic()
        assert runner.wait_for(second, timeout=5)
        assert time.monotonic() - started < 1.5
    finally:
        runner.stop()


def test_without_a_linger_every_wake_is_a_round(world: World) -> None:
    runner = runner_for(world, linger=0.0)
    try:
        for _ in range(3):
            world.report()
            runner.wake()
            position = world.flow.app.recorder.max_notification_id() or 0
            assert runner.wait_for(position, timeout=5)
    finally:
        runner.stop()
    assert runner.rounds >= 3
