"""Group commit: commands queued together are stored in one transaction, each
acknowledged with its own position, refusals and conflicts kept to their callers."""

from __future__ import annotations

import pickle
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from aggregates.errors import DomainError
from loop import demo
from loop.bootstrap import build_loop
from loop.errors import IllegalStep
from loop.services.incidents import Ack, IncidentFlow
from loop.settings import Settings
from loop.storage.group_commit import GroupCommitter
from tests.support import held


@pytest.fixture
def flow(tmp_path: Path) -> Iterator[IncidentFlow]:
    flow = build_loop(Settings(database_url=f"sqlite:///{tmp_path}/lishu.db")).incidents
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


def refused_half_way(flow: IncidentFlow, incident: UUID) -> Callable[[], Any]:
    """A command that records a chase on the loaded incident, then refuses."""

    def half_done() -> Any:
        loaded = flow.get(incident)
        loaded.step(
            type(loaded).FollowUpChased,
            demo.OFFICER_XF,
            flow.app.clock(),
            flow.route(loaded.stage, loaded.community, None, flow.app.clock()),
            asked="x",
            answer="y",
        )
        raise DomainError("中途拒绝", "refused half way")

    return half_done


def test_commands_queued_together_are_stored_in_one_transaction(
    flow: IncidentFlow, committer: GroupCommitter
) -> None:
    gate = held(committer)
    futures = [committer.submit(report, flow, f"井盖丢失{n}") for n in range(20)]
    gate.set()
    acks = [f.result(10) for f in futures]
    assert committer.batches == 1  # the gate's batch stored nothing
    assert committer.commands == 20
    positions = [a.position for a in acks]
    assert positions == sorted(positions)
    assert len(set(positions)) == 20
    for ack in acks:  # each position is that of the command's own last event
        (notification,) = flow.app.recorder.select_notifications(ack.position or 0, 1)
        assert notification.originator_id == UUID(ack.incident_id)
        assert notification.originator_version == ack.version == 2


def test_a_refused_command_in_a_batch_writes_nothing_and_spares_the_others(
    flow: IncidentFlow, committer: GroupCommitter
) -> None:
    first = UUID(report(flow).incident_id)
    second = UUID(report(flow, "路灯损坏").incident_id)
    before = flow.app.recorder.max_notification_id()
    gate = held(committer)
    accepted = committer.submit(flow.take, "accept", demo.OFFICER_XF, first)
    again = committer.submit(flow.take, "accept", demo.OFFICER_XF, first)  # sees the batch's accept
    escalated = committer.submit(
        flow.take, "escalate", demo.OFFICER_XF, second, reason="需要派出所"
    )
    wrong = committer.submit(flow.take, "reward", demo.OFFICER_XF, second)
    gate.set()
    assert accepted.result(10).stage == "handling_community"
    with pytest.raises(IllegalStep):
        again.result(10)
    with pytest.raises(DomainError):
        wrong.result(10)
    assert escalated.result(10).stage == "escalated_to_station"
    assert flow.app.recorder.max_notification_id() == (before or 0) + 2
    assert flow.get(first).version == 3
    assert flow.get(second).stage == "escalated_to_station"


def test_a_command_refused_after_touching_an_aggregate_leaves_it_as_the_batch_had_it(
    flow: IncidentFlow, committer: GroupCommitter
) -> None:
    incident = UUID(report(flow).incident_id)
    gate = held(committer)
    accepted = committer.submit(flow.take, "accept", demo.OFFICER_XF, incident)

    half_done = refused_half_way(flow, incident)

    refused = committer.submit(half_done)
    outcome = committer.submit(
        flow.take, "record_outcome", demo.OFFICER_XF, incident, summary="已处置"
    )
    gate.set()
    assert accepted.result(10).version == 3
    with pytest.raises(DomainError):
        refused.result(10)
    assert outcome.result(10).version == 4
    stored = [type(e).__name__ for e in flow.app.events.get(incident)]
    assert stored == ["Discovered", "Reported", "AcceptedForHandling", "OutcomeRecorded"]


def test_a_batch_that_conflicts_with_another_writer_reports_each_conflict_to_its_caller(
    flow: IncidentFlow, committer: GroupCommitter, tmp_path: Path
) -> None:
    incident = UUID(report(flow).incident_id)
    other = build_loop(Settings(database_url=f"sqlite:///{tmp_path}/lishu.db")).incidents
    gate = held(committer)

    diverted: list[Ack] = []

    def accept_after_the_other_process() -> Ack:
        loaded = flow.get(incident)  # loads version 2, then another process moves on
        if not diverted:
            diverted.append(
                other.take("divert", demo.OFFICER_XF, incident, reason="非公安机关管辖")
            )
        return flow.take("accept", demo.OFFICER_XF, incident, expected_version=loaded.version)

    fresh = committer.submit(report, flow, "路灯损坏")
    stale = committer.submit(accept_after_the_other_process)
    gate.set()
    assert fresh.result(10).stage == "reported"  # stored when re-run on its own
    assert committer.batches == 0  # the batch's one transaction stored nothing
    with pytest.raises(IllegalStep):  # re-run alone, it meets the stored diversion
        stale.result(10)
    assert flow.get(incident).stage == "diverted"
    assert [type(e).__name__ for e in flow.app.events.get(incident)] == [
        "Discovered",
        "Reported",
        "Diverted",
    ]
    other.app.close()


def test_concurrent_callers_get_every_command_stored_exactly_once(
    flow: IncidentFlow, committer: GroupCommitter
) -> None:
    incident = UUID(report(flow).incident_id)
    results: list[Any] = []

    def race() -> None:
        try:
            results.append(committer.call(flow.take, "accept", demo.OFFICER_XF, incident))
        except DomainError as refused:
            results.append(refused)

    threads = [threading.Thread(target=race) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(isinstance(r, Ack) for r in results) == 1
    assert sum(isinstance(r, IllegalStep) for r in results) == 11
    assert flow.get(incident).version == 3


def test_an_event_loop_awaits_its_acknowledgement(
    flow: IncidentFlow, committer: GroupCommitter
) -> None:
    import asyncio

    async def main() -> list[Ack]:
        return await asyncio.gather(*(committer.run(report, flow, f"{n}") for n in range(8)))

    acks = asyncio.run(main())
    assert len({a.incident_id for a in acks}) == 8
    assert all(a.position for a in acks)


# -- the writer's aggregate cache -----------------------------------------------------


def at_station(flow: IncidentFlow, committer: GroupCommitter) -> UUID:
    """An incident the station handles (open to chasing), its last step stored by
    the writer."""
    incident = UUID(report(flow).incident_id)
    flow.take("escalate", demo.OFFICER_XF, incident, reason="需要派出所协调")
    committer.call(flow.take, "accept", demo.STATION_OFFICER, incident)
    return incident


def chase(flow: IncidentFlow, incident: UUID, answer: str = "正在协调") -> Ack:
    return flow.take("chase", demo.OFFICER_XF, incident, asked=demo.STATION, answer=answer)


def test_the_writer_keeps_what_it_stored_and_decodes_only_newer_events(
    flow: IncidentFlow, committer: GroupCommitter
) -> None:
    incident = at_station(flow, committer)
    states = flow.app.batch_repository.states
    assert states is not None
    version, state = states.get(incident)
    kept = pickle.loads(state)
    assert (version, kept.version, kept.stage, kept.pending_events) == (
        4,
        4,
        "handling_station",
        [],
    )
    assert committer.call(chase, flow, incident).version == 5
    assert states.get(incident)[0] == 5
    assert pickle.loads(state).version == 4  # a kept state is replaced, never changed


def test_a_cached_aggregate_meets_what_another_process_stored_since(
    flow: IncidentFlow, committer: GroupCommitter, tmp_path: Path
) -> None:
    incident = at_station(flow, committer)
    other = build_loop(Settings(database_url=f"sqlite:///{tmp_path}/lishu.db")).incidents
    try:
        other.take("record_outcome", demo.STATION_OFFICER, incident, summary="已处置")
    finally:
        other.app.close()
    with pytest.raises(IllegalStep):  # cached while the station handled it, since decided
        committer.call(chase, flow, incident)
    proposed = committer.call(
        flow.take,
        "propose_score",
        demo.CADRE_XF,
        incident,
        items=[{"item": "隐患排查", "points": 5}],
        basis="考评办法",
    )
    assert (proposed.version, proposed.stage) == (6, "score_proposed")


def test_a_refused_command_leaves_the_kept_state_as_stored(
    flow: IncidentFlow, committer: GroupCommitter
) -> None:
    incident = at_station(flow, committer)

    half_done = refused_half_way(flow, incident)

    with pytest.raises(DomainError):
        committer.call(half_done)
    states = flow.app.batch_repository.states
    assert states is not None
    assert states.get(incident)[0] == 4
    assert committer.call(chase, flow, incident).version == 5
    stored = [type(e).__name__ for e in flow.app.events.get(incident)][3:]
    assert stored == ["AcceptedForHandling", "FollowUpChased"]


def test_a_conflicting_batch_forgets_its_aggregates(
    flow: IncidentFlow, committer: GroupCommitter, tmp_path: Path
) -> None:
    incident = at_station(flow, committer)
    states = flow.app.batch_repository.states
    assert states is not None
    other = build_loop(Settings(database_url=f"sqlite:///{tmp_path}/lishu.db")).incidents
    gate = held(committer)

    others: list[Ack] = []

    def chase_after_the_other_process() -> Ack:
        flow.get(incident)  # loaded at version 4, then another process moves on
        if not others:
            others.append(chase(other, incident, "第一次"))
        return chase(flow, incident, "第二次")

    raced = committer.submit(chase_after_the_other_process)
    gate.set()
    assert raced.result(10).version == 6  # re-run alone: after the other's, and its own
    with pytest.raises(KeyError):  # the batch failed: nothing of it is kept
        states.get(incident)
    other.app.close()


def test_forgetting_a_person_empties_the_writers_cache(
    flow: IncidentFlow, committer: GroupCommitter
) -> None:
    from aggregates.actor import Actor
    from loop.services.personal import forget

    incident = UUID(
        flow.report_new(
            demo.RIDER,
            channel="app",
            module="hazard_screening",
            sense="seen",
            what="井盖丢失",
            where="幸福路",
            informant={"name": "王秀兰", "subject_id": "person-wang"},
        ).incident_id
    )
    committer.call(flow.take, "accept", demo.OFFICER_XF, incident)
    forget(flow.app, Actor("admin-ls", "admin", demo.COUNTY), "person-wang", "本人申请")
    seen = committer.call(lambda: flow.get(incident).informant)
    assert seen.erased


def test_the_cache_is_sized_by_the_settings_and_can_be_turned_off(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/sized.db"
    for size, expected in ((7, 7), (0, None)):
        app = build_loop(Settings(database_url=url, aggregate_cache_size=size)).app
        try:
            states = app.batch_repository.states
            assert (states.maxsize if states else None) == expected
        finally:
            app.close()
