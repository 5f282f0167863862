"""The step table is the one declaration of the loop's steps: the machine's
transitions, the policy's rules, the narration and the service's commands all
read it, and a step takes only the input it declares."""

from __future__ import annotations

from uuid import UUID

import pytest

from aggregates.incident import Incident
from loop import demo
from loop.bootstrap import open_loop
from loop.errors import InvalidInput
from loop.rules.fields import Kind
from loop.rules.narration import TEMPLATES
from loop.rules.policy import RULES
from loop.rules.stages import LOOP, REGULATIONS, STAGES, TRANSITIONS
from loop.rules.steps import STEPS
from loop.services.incidents import IncidentFlow
from tests.builders import reported, valid_input
from tests.support import FakeClock


@pytest.fixture
def flow() -> IncidentFlow:
    return open_loop(clock=FakeClock()).incidents


def test_each_step_has_one_name_label_path_and_regulation() -> None:
    regulations = {r.key for r in REGULATIONS}
    assert len({s.path for s in STEPS.values()}) == len(STEPS)
    assert len({s.zh for s in STEPS.values()}) == len(STEPS)
    assert len({s.en for s in STEPS.values()}) == len(STEPS)
    for name, step in STEPS.items():
        assert step.name == name
        assert step.name.isidentifier(), name
        assert step.regulation in regulations, name
        assert " / " in step.summary or "）/ " in step.summary, name
        assert all(f.label[0] and f.label[1] for f in step.fields), name


def test_the_eight_regulations_hold_every_stage_once_in_the_loops_order() -> None:
    assert len(REGULATIONS) == 9  # the eight, then the loop's end
    stages = [s.name for r in REGULATIONS for s in r.stages]
    assert stages == list(STAGES)
    assert len(set(stages)) == len(stages)


def test_the_machines_transitions_are_exactly_the_steps_moves() -> None:
    declared = {
        (step.name, source, move.dest or source)
        for step in STEPS.values()
        for move in step.moves
        for source in move.sources
    }
    machine = {
        (t.get("trigger"), source, t["dest"] or source)
        for t in TRANSITIONS
        for source in t["source"]
    }
    assert machine == declared
    for step, source, dest in declared:
        assert source in STAGES, (step, source)
        assert dest in STAGES, (step, dest)
        assert LOOP.machine.get_transitions(step, source=source), (step, source)
    # every stage but the ends is left by some step, and every stage is reached
    assert {s for _, s, _ in declared} == set(STAGES) - {"rejected"}
    assert {d for _, _, d in declared} == set(STAGES) - {"discovered"}


def test_the_policy_rules_name_only_declared_steps_and_every_step_has_one() -> None:
    assert {r.step for r in RULES} == set(STEPS) | {"discover"}


def test_every_steps_event_is_told_and_steps_sharing_an_event_tell_it_alike() -> None:
    for step in STEPS.values():
        assert issubclass(step.event, Incident.Stepped)
        assert TEMPLATES[step.event.__name__] is step.narrate, step.name
    assert STEPS["record_outcome"].event is STEPS["confirm_self_handled"].event


def test_the_steps_with_effects_beyond_their_incident_are_declared(flow: IncidentFlow) -> None:
    assert set(flow._effects) <= set(STEPS)


def test_a_step_refuses_a_field_it_does_not_declare_and_stores_nothing(
    flow: IncidentFlow,
) -> None:
    incident = reported(flow, demo.RIDER)
    head = flow.app.recorder.max_notification_id()
    with pytest.raises(InvalidInput) as refused:
        flow.take("escalate", demo.OFFICER_XF, incident, reason="需派出所", summary="多余")
    assert refused.value.details["field"] == "summary"
    assert refused.value.details["fields"] == ["reason"]
    with pytest.raises(InvalidInput) as unknown:
        flow.take("send_back", demo.OFFICER_XF, incident)
    assert unknown.value.details["steps"] == list(STEPS)
    assert flow.app.recorder.max_notification_id() == head


@pytest.mark.parametrize("step", [s for s in STEPS if any(f.required for f in STEPS[s].fields)])
def test_a_required_field_left_out_is_refused_by_name(flow: IncidentFlow, step: str) -> None:
    incident = reported(flow, demo.RIDER)
    for field in [f for f in STEPS[step].fields if f.required]:
        given = valid_input(step, demo.OFFICER_XF)
        del given[field.name]
        with pytest.raises(InvalidInput) as refused:
            flow.take(step, demo.OFFICER_XF, incident, **given)
        assert refused.value.details["field"] == field.name, step


def test_a_text_longer_than_its_declared_limit_is_refused(flow: IncidentFlow) -> None:
    incident = reported(flow, demo.RIDER)
    flow.take("divert", demo.OFFICER_XF, incident, reason="属物业")
    limit = next(f for f in STEPS["hand_over"].fields if f.name == "department").max_len
    assert limit is not None
    with pytest.raises(InvalidInput) as refused:
        flow.take(
            "hand_over", demo.CADRE_XF, incident, department="局" * (limit + 1), received_by="刘"
        )
    assert refused.value.details["field"] == "department"
    done = flow.take(
        "hand_over", demo.CADRE_XF, incident, department="局" * limit, received_by="刘"
    )
    assert done.stage == "handed_over"


def test_more_score_items_than_declared_are_refused(flow: IncidentFlow) -> None:
    field = STEPS["propose_score"].fields[0]
    assert field.kind is Kind.SCORE_ITEMS
    assert field.max_len is not None
    incident = reported(flow, demo.RIDER)
    flow.take("accept", demo.OFFICER_XF, incident)
    flow.take("record_outcome", demo.OFFICER_XF, incident, summary="已处置")
    many = [{"item": "排查", "points": 1}] * (field.max_len + 1)
    with pytest.raises(InvalidInput):
        flow.take("propose_score", demo.CADRE_XF, incident, items=many, basis="考评")
    ack = flow.take(
        "propose_score", demo.CADRE_XF, incident, items=many[: field.max_len], basis="考评"
    )
    assert flow.get(UUID(ack.incident_id)).score["points"] == field.max_len
