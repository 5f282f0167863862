"""A batch's aggregates are loaded together (``loop.storage.batch_loads``): on
PostgreSQL the kept aggregates a batch's commands name are brought up to date in
one query, not one round trip per command, and what another process stored
meanwhile is still seen, or still refused as a conflict when it comes later."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID

import pytest

from aggregates.volunteer import volunteer_aggregate_id
from loop import demo
from loop.bootstrap import build_loop
from loop.errors import IllegalStep, IncidentNotFound
from loop.services.incidents import Ack, IncidentFlow
from loop.services.volunteers import Volunteers
from loop.settings import Settings
from loop.storage.command_keys import Once
from loop.storage.group_commit import GroupCommitter
from tests.support import held


@pytest.fixture
def url(postgres_url: str) -> str:
    return postgres_url


@pytest.fixture
def flow(url: str) -> Iterator[IncidentFlow]:
    flow = build_loop(Settings(database_url=url)).incidents
    yield flow
    flow.app.close()


@pytest.fixture
def other(url: str) -> Iterator[IncidentFlow]:
    """Another process on the same store."""
    flow = build_loop(Settings(database_url=url)).incidents
    yield flow
    flow.app.close()


@pytest.fixture
def others(other: IncidentFlow) -> Iterator[GroupCommitter]:
    """The other process's writer."""
    group = GroupCommitter(other.app)
    yield group
    group.close()


class Counted:
    """Counts the recorder's selects of events: per aggregate, and batched."""

    def __init__(self, flow: IncidentFlow, monkeypatch: pytest.MonkeyPatch) -> None:
        recorder = flow.app.recorder
        self.one: list[UUID] = []
        self.together: list[list[UUID]] = []
        select_events, select_after = recorder.select_events, recorder.select_events_after

        def counted_select_events(originator_id: Any, **kwargs: Any) -> Any:
            self.one.append(originator_id)
            return select_events(originator_id, **kwargs)

        def counted_select_after(after: dict[UUID, int], limit: int) -> Any:
            self.together.append(list(after))
            return select_after(after, limit)

        monkeypatch.setattr(recorder, "select_events", counted_select_events)
        monkeypatch.setattr(recorder, "select_events_after", counted_select_after)


def at_station(flow: IncidentFlow, committer: GroupCommitter, count: int) -> list[UUID]:
    """Incidents the station handles, their last step stored by the writer (so kept)."""
    incidents = []
    for n in range(count):
        incident = UUID(
            flow.report_new(
                demo.RIDER,
                channel="app",
                module="hazard_screening",
                sense="seen",
                what=f"井盖丢失{n}",
                where="幸福路",
            ).incident_id
        )
        flow.take("escalate", demo.OFFICER_XF, incident, reason="需要派出所协调")
        committer.call(flow.take, "accept", demo.STATION_OFFICER, incident)
        incidents.append(incident)
    return incidents


def chase(flow: IncidentFlow, incident: UUID, answer: str = "正在协调") -> Ack:
    return flow.take("chase", demo.OFFICER_XF, incident, asked=demo.STATION, answer=answer)


def chases_in_one_batch(
    flow: IncidentFlow, committer: GroupCommitter, incidents: list[UUID], first: Callable[[], Any]
) -> list[Any]:
    """``first`` then a chase of each incident, all in one batch: each one's answer
    or error."""
    gate = held(committer)
    futures = [committer.submit(first)]
    futures += [committer.submit(chase, flow, i, loads=[i]) for i in incidents]
    gate.set()
    return [f.exception(10) or f.result(10) for f in futures][1:]


def stored_chases(flow: IncidentFlow, incident: UUID) -> int:
    return sum(type(e).__name__ == "FollowUpChased" for e in flow.app.events.get(incident))


def test_a_batch_loads_the_aggregates_it_names_in_one_query(
    flow: IncidentFlow, committer: GroupCommitter, monkeypatch: pytest.MonkeyPatch
) -> None:
    incidents = at_station(flow, committer, 6)
    counted = Counted(flow, monkeypatch)
    answers = chases_in_one_batch(flow, committer, incidents, lambda: None)
    assert [a.version for a in answers] == [5] * 6
    assert counted.together == [incidents]  # one query for the six
    assert counted.one == []  # and no load of its own for any
    assert [stored_chases(flow, i) for i in incidents] == [1] * 6
    states = flow.app.batch_repository.states
    assert states is not None
    assert [states.get(i)[0] for i in incidents] == [5] * 6


def test_aggregates_the_writer_does_not_keep_are_loaded_in_one_query_too(
    flow: IncidentFlow,
    other: IncidentFlow,
    committer: GroupCommitter,
    others: GroupCommitter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    incidents = at_station(other, others, 4)  # kept by the other only
    chase(other, incidents[0], "另一进程的催办")
    missing = UUID(int=7)
    counted = Counted(flow, monkeypatch)
    answers = chases_in_one_batch(flow, committer, [*incidents, missing], lambda: None)
    assert counted.together == [[*incidents, missing]]
    assert counted.one == [missing]  # only what the query did not find is asked again
    assert [a.version for a in answers[:4]] == [6, 5, 5, 5]
    assert type(answers[4]).__name__ == "IncidentNotFound"
    assert [stored_chases(flow, i) for i in incidents] == [2, 1, 1, 1]


def test_an_aggregate_with_more_events_than_read_together_loads_on_its_own(
    flow: IncidentFlow,
    other: IncidentFlow,
    committer: GroupCommitter,
    others: GroupCommitter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from loop.storage import batch_loads

    incidents = at_station(flow, committer, 3)
    for n in range(3):  # kept at version 4, three newer events stored by another process
        chase(other, incidents[0], f"另一进程的第{n}次催办")
    fresh = at_station(other, others, 1)  # four events, none kept
    monkeypatch.setattr(batch_loads, "MOST_EVENTS", 2)
    counted = Counted(flow, monkeypatch)
    answers = chases_in_one_batch(flow, committer, [*incidents, *fresh], lambda: None)
    assert counted.together == [[*incidents, *fresh]]
    assert counted.one == [incidents[0], fresh[0]]  # those two loaded on their own
    assert [a.version for a in answers] == [8, 5, 5, 5]


def test_kept_aggregates_another_process_moved_on_are_loaded_as_it_left_them(
    flow: IncidentFlow,
    other: IncidentFlow,
    committer: GroupCommitter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    incidents = at_station(flow, committer, 3)
    chase(other, incidents[0], "另一进程的催办")
    other.take("record_outcome", demo.STATION_OFFICER, incidents[1], summary="已处置")
    counted = Counted(flow, monkeypatch)
    answers = chases_in_one_batch(flow, committer, incidents, lambda: None)
    assert counted.together == [incidents]
    assert answers[0].version == 6  # after the other process's chase
    assert isinstance(answers[1], IllegalStep)  # decided meanwhile: no chase
    assert answers[2].version == 5
    assert [stored_chases(flow, i) for i in incidents] == [2, 0, 1]
    states = flow.app.batch_repository.states
    assert states is not None
    assert [states.get(i)[0] for i in incidents] == [6, 5, 5]


def test_a_hint_naming_an_aggregate_of_another_type_changes_no_answer(
    flow: IncidentFlow, committer: GroupCommitter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hint is only a hint: naming a volunteer where the command loads an incident
    neither breaks the command nor lets a volunteer pass for an incident."""
    incidents = at_station(flow, committer, 2)
    Volunteers(flow.app, flow.scoring).apply(
        demo.CADRE_XF,
        volunteer_id="hint.wang",
        name="王某",
        phone="13904340001",
        id_number=demo.sample_id_number(1),
        address="幸福小区1栋",
        employer="美团外卖",
        occupation="delivery_rider",
    )
    volunteer = volunteer_aggregate_id("hint.wang")
    before = flow.app.repository.get(volunteer).version
    counted = Counted(flow, monkeypatch)
    gate = held(committer)
    futures = [
        committer.submit(chase, flow, incidents[0], loads=[volunteer, incidents[0]]),
        committer.submit(chase, flow, volunteer, loads=[volunteer]),  # a volunteer's id
        committer.submit(chase, flow, incidents[1], loads=[volunteer]),  # names another
    ]
    gate.set()
    answers = [f.exception(10) or f.result(10) for f in futures]
    assert counted.together == [[volunteer, incidents[0]]]  # the volunteer read with it
    assert counted.one == [incidents[1]]  # not named: loaded on its own
    assert answers[0].version == 5
    assert isinstance(answers[1], IncidentNotFound)  # as without the hint
    assert answers[2].version == 5
    assert [stored_chases(flow, i) for i in incidents] == [1, 1]
    assert flow.app.repository.get(volunteer).version == before  # nothing written to him
    states = flow.app.batch_repository.states
    assert states is not None
    assert states.get(volunteer)[0] == before  # he was put in the batch, as stored


def test_what_another_process_stores_after_the_batch_loaded_is_still_a_conflict(
    flow: IncidentFlow, other: IncidentFlow, committer: GroupCommitter
) -> None:
    incidents = at_station(flow, committer, 3)
    raced: list[Ack] = []

    def the_other_process_chases_first() -> None:  # after the batch's aggregates loaded
        if not raced:
            raced.append(chase(other, incidents[0], "另一进程的催办"))

    answers = chases_in_one_batch(flow, committer, incidents, the_other_process_chases_first)
    assert raced[0].version == 5
    # the batch failed as a whole; re-run one by one, each after what is stored
    assert [a.version for a in answers] == [6, 5, 5]
    assert [stored_chases(flow, i) for i in incidents] == [2, 1, 1]


def test_a_keyed_command_whose_aggregate_was_loaded_with_the_batch_keeps_its_answer(
    flow: IncidentFlow, committer: GroupCommitter
) -> None:
    incidents = at_station(flow, committer, 2)

    def once(key: str) -> Once:
        return Once(key, "chase", lambda ack: json.dumps(ack._asdict()), None)

    gate = held(committer)
    futures = [
        committer.submit_once(once(f"k{n}"), chase, flow, i, loads=[i])
        for n, i in enumerate(incidents)
    ]
    gate.set()
    first = [f.result(10) for f in futures]
    again = [
        committer.submit_once(once(f"k{n}"), chase, flow, i, loads=[i]).result(10)
        for n, i in enumerate(incidents)
    ]
    assert [a.replayed for a in first + again] == [False, False, True, True]
    assert [a.answer for a in again] == [a.answer for a in first]
    assert [stored_chases(flow, i) for i in incidents] == [1, 1]


def test_when_the_batched_query_fails_each_command_loads_its_own(
    flow: IncidentFlow, committer: GroupCommitter, monkeypatch: pytest.MonkeyPatch
) -> None:
    incidents = at_station(flow, committer, 3)

    def refused(after: dict[UUID, int], limit: int) -> Any:
        raise OSError("connection lost")

    monkeypatch.setattr(flow.app.recorder, "select_events_after", refused)
    answers = chases_in_one_batch(flow, committer, incidents, lambda: None)
    assert [a.version for a in answers] == [5, 5, 5]


def test_the_recorder_selects_each_aggregates_events_after_its_own_version(
    flow: IncidentFlow, committer: GroupCommitter
) -> None:
    first, second, never = *at_station(flow, committer, 2), UUID(int=7)
    found = flow.app.recorder.select_events_after({first: 2, second: 4, never: 0}, 10)
    assert [(e.originator_id, e.originator_version) for e in found] == [(first, 3), (first, 4)]
    found = flow.app.recorder.select_events_after({first: 0, second: 1}, 2)
    assert sorted((e.originator_id, e.originator_version) for e in found) == sorted(
        [(first, 1), (first, 2), (second, 2), (second, 3)]
    )
