"""The steps an incident's view offers are exactly the steps its commands accept:
for incidents in random states, every demo user and every step, the view lists
the step if and only if the API's own route takes it. Each step is tried in a
throwaway batch of the writer (its events collected, then dropped), so nothing
is stored and every trial starts from the same state."""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import pytest

from aggregates.actor import Actor
from aggregates.errors import DomainError
from loop import demo
from loop.rules.steps import STEPS
from loop.storage.batch_loads import load_together
from loop.storage.batch_repository import Batch
from tests.api.conftest import Api
from tests.api.served import DEMO_USERS
from tests.builders import valid_input

OFFICIALS = [u for u in DEMO_USERS if u.role not in ("volunteer", "auditor", "admin")]
REPORTERS = [demo.RIDER, demo.COURIER, demo.TAXI]
STATES = 10  # incidents, each left after a random walk of its own length


def body(user: Actor, step: str) -> dict[str, Any]:
    """A valid input of ``step`` as ``user`` sends it (a rejection: unfounded)."""
    return valid_input(step, user)


class Throwaway:
    """Stands in for the group-commit writer: runs a command in a batch of its own
    and drops the batch, so what the command recorded is never stored."""

    def __init__(self, services: Any) -> None:
        self.repository = services.loop.app.batch_repository

    async def run(self, fn: Any, *args: Any, loads: Iterable[UUID] = (), **kwargs: Any) -> Any:
        batch = Batch()
        with self.repository.batching(batch):
            load_together(self.repository, batch, loads)  # as the writer does
            return fn(*args, **kwargs)


@contextmanager
def dry_runs(api: Api) -> Iterator[None]:
    services = api.services
    writer, services.committer = services.committer, Throwaway(services)
    try:
        yield
    finally:
        services.committer = writer


def random_states(api: Api, rng: random.Random) -> list[UUID]:
    """Incidents walked through random allowed steps (reports with and without a
    self-handled note, discoveries not yet fed back among them)."""
    flow, call = api.services.flow, api.services.committer.call
    made = []
    for n in range(STATES):
        reporter = rng.choice(REPORTERS)
        details = {
            "module": "hazard_screening",
            "sense": "seen",
            "what": f"隐患{n}",
            "where": "路口",
        }
        if n % 6 == 5:
            ack = call(flow.discover, reporter, **details)
        else:
            note = "当场劝导" if n % 3 == 0 else None
            ack = call(flow.report_new, reporter, channel="app", self_handled_note=note, **details)
        incident = UUID(ack.incident_id)
        for _ in range(n):  # walks of every length, each step drawn at random
            options = [
                (u, s)
                for u in [*OFFICIALS, reporter]
                for s in flow.allowed_steps(u, incident)
                if s != "reject" or rng.random() < 0.3
            ]
            if not options:
                break
            user, step = rng.choice(options)
            call(flow.take, step, user, incident, **body(user, step))
        made.append(incident)
    return made


def test_a_step_is_offered_if_and_only_if_its_command_is_accepted(api: Api) -> None:
    incidents = random_states(api, random.Random(19))
    stages = {api.services.flow.get(i).stage for i in incidents}
    assert len(stages) >= 8, stages  # reported, handling, escalated, scored, closed…
    head = api.services.loop.app.recorder.max_notification_id()
    mismatches = []
    offered_in_all = 0
    with dry_runs(api):
        for incident in incidents:
            for user in DEMO_USERS:
                view = api.get(user.id, f"/api/incidents/{incident}")
                offered = view.json()["allowed_steps"] if view.status_code == 200 else []
                offered_in_all += len(offered)
                for step in STEPS:
                    path = f"/api/incidents/{incident}/{STEPS[step].path}"
                    answer = api.post(user.id, path, body(user, step))
                    accepted = answer.status_code == 200
                    if accepted != (step in offered):
                        mismatches.append((str(incident), user.id, step, answer.text[:200]))
    assert not mismatches, mismatches[:5]
    assert offered_in_all > len(incidents), "steps were offered at all"
    assert api.services.loop.app.recorder.max_notification_id() == head, "a trial stored nothing"


def test_a_confirmation_of_self_handling_is_offered_only_for_a_report_that_claims_it(
    api: Api,
) -> None:
    flow, call = api.services.flow, api.services.committer.call
    details = {"module": "traffic_safety", "sense": "seen", "what": "电动车逆行", "where": "路口"}
    plain = call(flow.report_new, demo.RIDER, channel="app", **details).incident_id
    claimed = call(
        flow.report_new, demo.RIDER, channel="app", self_handled_note="当场劝导", **details
    ).incident_id
    for incident, offered in ((plain, False), (claimed, True)):
        view = api.get("o-xf-li", f"/api/incidents/{incident}").json()
        assert ("confirm_self_handled" in view["allowed_steps"]) is offered
        assert ("confirm_self_handled" in view["legal_steps"]) is offered
        answer = api.post("o-xf-li", f"/api/incidents/{incident}/confirm-self-handled",
                          {"summary": "核实"})  # fmt: skip
        assert (answer.status_code == 200) is offered, answer.text
    with pytest.raises(DomainError) as refusal:  # the one check, as the command runs it
        flow.check_step(demo.OFFICER_XF, flow.get(UUID(plain)), "confirm_self_handled")
    assert refusal.value.details["unmet"] == ["claims_self_handled"]
