"""Key records commit with their command's events: a keyed command's record and its
events are stored in one transaction or not at all, on SQLite, PostgreSQL and in
memory; a stored key answers again without running the command."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import RecordConflictError

from aggregates.errors import DomainError
from loop import demo
from loop.bootstrap import build_loop
from loop.services.incidents import Ack, IncidentFlow
from loop.settings import Settings
from loop.storage.batch_repository import Batch
from loop.storage.command_keys import Answered, KeyRecord, Once
from loop.storage.group_commit import SWEEP_SECONDS, GroupCommitter
from tests.support import held


@pytest.fixture(params=["sqlite", "postgres", "memory"])
def flow(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[IncidentFlow]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/lishu.db"
    elif request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
    else:
        url = "memory://"
    flow = build_loop(Settings(database_url=url)).incidents
    yield flow
    flow.app.close()


def report(flow: IncidentFlow, what: str = "井盖丢失") -> Ack:
    return flow.report_new(
        demo.RIDER,
        channel="app",
        module="hazard_screening",
        sense="seen",
        what=what,
        where="幸福路",
    )


def as_text(ack: Any) -> str:
    return json.dumps(ack._asdict())


def once(key: str, request: str = "r1", expires_at: int | None = None) -> Once:
    return Once(key, request, as_text, expires_at)


def head(flow: IncidentFlow) -> int:
    return flow.app.recorder.max_notification_id() or 0


def test_a_keyed_command_is_stored_with_its_key_and_answered_from_it_again(
    flow: IncidentFlow, committer: GroupCommitter
) -> None:
    runs: list[int] = []

    def command() -> Ack:
        runs.append(1)
        return report(flow)

    first = committer.submit_once(once("k1"), command).result(10)
    assert isinstance(first, Answered)
    assert first.replayed is False
    assert first.position == head(flow)  # the command's last event, Reported
    stored = flow.app.recorder.select_notifications(first.position, 1)[0]
    assert stored.topic.endswith("Incident.Reported")
    answer = json.loads(first.answer)
    assert UUID(answer["incident_id"]) == UUID(str(stored.originator_id))
    assert answer["position"] is None  # kept before its position was known; given beside it
    kept = flow.app.kept_answers(["k1", "unknown"])
    assert list(kept) == ["k1"]
    assert (kept["k1"].answer, kept["k1"].position, kept["k1"].request) == (
        first.answer,
        first.position,
        "r1",
    )
    before = head(flow)
    again = committer.submit_once(once("k1"), command).result(10)
    assert again == first._replace(replayed=True)
    assert runs == [1]
    assert head(flow) == before


def test_a_key_sent_twice_in_one_batch_runs_once_and_both_get_its_answer(
    flow: IncidentFlow, committer: GroupCommitter
) -> None:
    runs: list[int] = []

    def command() -> Ack:
        runs.append(1)
        return report(flow)

    gate = held(committer)
    futures = [committer.submit_once(once("twice"), command) for _ in range(3)]
    gate.set()
    answers = [f.result(10) for f in futures]
    assert runs == [1]
    assert [a.replayed for a in answers] == [False, True, True]
    assert {(a.answer, a.position) for a in answers} == {(answers[0].answer, head(flow))}


def test_events_and_a_key_already_stored_are_refused_together(flow: IncidentFlow) -> None:
    """The transaction that would store a key a second time stores nothing at all."""
    flow.app.keep_records(KeyRecord("taken", "r", "{}", None))
    before = head(flow)
    batch = Batch()
    with flow.app.batch_repository.batching(batch):
        report(flow)
        batch.keep(KeyRecord("fresh", "r", "{}"), 0)
        batch.keep(KeyRecord("taken", "r", "{}"), 0)
    with pytest.raises(RecordConflictError):
        flow.app.record_batch(batch)
    assert head(flow) == before
    assert list(flow.app.kept_answers(["fresh", "taken"])) == ["taken"]


def test_a_key_stored_by_another_process_meanwhile_is_answered_not_run_again(
    flow: IncidentFlow, committer: GroupCommitter
) -> None:
    """Another process stored the key after this writer looked for it: the batch's
    transaction fails whole, its commands are re-run alone, and the keyed one gets
    the other process's answer."""
    first = committer.submit_once(once("raced"), lambda: report(flow, "第一次")).result(10)
    looked = flow.app.kept_answers
    stale = iter([{}])  # the writer's first look misses the record
    flow.app.kept_answers = lambda keys: next(stale, None) or looked(keys)  # type: ignore[method-assign]
    before = head(flow)
    gate = held(committer)
    other = committer.submit(report, flow, "同批的另一条")
    keyed = committer.submit_once(once("raced"), lambda: report(flow, "第二次"))
    gate.set()
    assert keyed.result(10) == first._replace(replayed=True)
    assert other.result(10).position == before + 2  # stored once, on its own
    assert head(flow) == before + 2


def test_a_refused_keyed_command_keeps_no_key_and_stores_nothing(
    flow: IncidentFlow, committer: GroupCommitter
) -> None:
    def refused() -> Ack:
        report(flow, "先记下再拒绝")
        raise DomainError("拒绝", "refused")

    def unreadable(_: Any) -> str:
        raise TypeError("cannot keep this answer")

    gate = held(committer)
    earlier = committer.submit(report, flow, "同批在前")
    futures = [
        committer.submit_once(once("refused"), refused),
        committer.submit_once(Once("unkept", "r", unreadable), report, flow, "答复存不下"),
    ]
    later = committer.submit(report, flow, "同批在后")
    gate.set()
    with pytest.raises(DomainError):
        futures[0].result(10)
    with pytest.raises(TypeError):
        futures[1].result(10)
    assert earlier.result(10).position is not None
    assert later.result(10).position == head(flow)
    assert head(flow) == 4  # two reports of two events each: the refused ones left nothing
    assert flow.app.kept_answers(["refused", "unkept"]) == {}


def test_a_keyed_command_that_stores_no_event_keeps_its_answer(
    flow: IncidentFlow, committer: GroupCommitter
) -> None:
    def nothing() -> Ack:
        return Ack("none", 0, "none", None)

    first = committer.submit_once(once("no-events"), nothing).result(10)
    assert (first.position, first.replayed) == (None, False)
    again = committer.submit_once(once("no-events"), nothing).result(10)
    assert again == first._replace(replayed=True)
    assert head(flow) == 0


def test_expired_keys_are_forgotten_and_lasting_ones_kept(flow: IncidentFlow) -> None:
    now = int(time.time())
    flow.app.keep_records(
        KeyRecord("old", "r", "{}", now - 10),
        KeyRecord("young", "r", "{}", now + 3600),
        KeyRecord("lasting", "r", "{}", None),
    )
    assert flow.app.forget_expired_keys(now) == 1
    assert sorted(flow.app.kept_answers(["old", "young", "lasting"])) == ["lasting", "young"]


def test_the_writer_forgets_expired_keys_as_it_goes(
    flow: IncidentFlow, committer: GroupCommitter
) -> None:
    committer.submit_once(once("short", expires_at=int(time.time()) - 1), report, flow).result(10)
    assert flow.app.kept_answers(["short"])  # stored: the sweep ran before it
    committer._swept = time.monotonic() - 2 * SWEEP_SECONDS  # the next batch sweeps
    committer.submit(report, flow, "再来一条").result(10)
    assert flow.app.kept_answers(["short"]) == {}


def keyed_reports(n: int, flow: IncidentFlow) -> list[Callable[[], Ack]]:
    return [lambda i=i: report(flow, f"第{i}条") for i in range(n)]


def test_keyed_and_plain_commands_of_one_batch_get_their_own_positions(
    flow: IncidentFlow, committer: GroupCommitter
) -> None:
    gate = held(committer)
    futures: list[Any] = []
    for i, command in enumerate(keyed_reports(6, flow)):
        futures.append(
            committer.submit_once(once(f"b{i}"), command) if i % 2 else committer.submit(command)
        )
    gate.set()
    positions = [f.result(10).position for f in futures]
    assert positions == [2, 4, 6, 8, 10, 12]
    kept = flow.app.kept_answers(["b1", "b3", "b5"])
    assert [kept[k].position for k in ("b1", "b3", "b5")] == [4, 8, 12]
