"""Random command sequences against the loop (hypothesis stateful testing).

Checked after every command: a refused command wrote no event and changed no
state; an accepted one wrote exactly one event per step on the incident, plus
the entry a reward or a later rejection makes in the reporter's Happiness Bank
account; every open incident is owned by exactly one unit with a due time;
every rewarded incident was deposited once, and reversed once if rejected
after; no balance is below zero; replaying the stored events gives the state
the application holds.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from aggregates.actor import Actor
from aggregates.errors import DomainError
from aggregates.points_account import account_id
from loop import demo
from loop.bootstrap import open_loop
from loop.rules import units
from loop.rules.fields import Field, Kind
from loop.rules.steps import STEPS
from loop.services import audit
from tests.builders import valid_input
from tests.support import FakeClock
from tests.unit.bank_helpers import admit

CAST = [
    demo.RIDER,
    demo.COURIER,
    demo.TAXI,
    demo.OFFICER_XF,
    demo.OFFICER_HP,
    demo.AUXILIARY_XF,
    demo.CADRE_XF,
    demo.DIRECTOR_XF,
    demo.CADRE_HP,
    demo.DIRECTOR_HP,
    demo.STATION_OFFICER,
    demo.COUNTY_OFFICER,
    demo.PUBLICITY,
    Actor(demo.DIRECTOR_XF.id, "community_officer", demo.XINGFU),  # one person, two roles
    Actor("s-sy-feng", "station_officer", "lishu/shuangyang"),
]
# Rider and meter reader are admitted (they have accounts); courier and taxi
# driver are not, so rewarding their reports is refused.
ADMITTED = [demo.RIDER, demo.METER]
REPORTERS = [demo.RIDER, demo.COURIER, demo.TAXI, demo.METER]
words = st.sampled_from(["理由", "已处理", "县住建局", "", "  ", "刘科长"])
items = st.lists(
    st.fixed_dictionaries(
        {"item": st.sampled_from(["发现隐患", ""]), "points": st.integers(-5, 160)}
    ),
    max_size=2,
)


def drawn(field: Field) -> st.SearchStrategy[Any] | None:
    """Values of a step's field, valid or not; None for an optional field left out
    (a duplicate's related incident is drawn from the incidents made)."""
    if field.kind in (Kind.TEXT, Kind.PROSE):
        return words
    if field.kind is Kind.CHOICE and field.required:
        assert field.vocabulary is not None
        return st.sampled_from([*(v.value for v in field.vocabulary), "bogus"])
    if field.kind is Kind.SCORE_ITEMS:
        return items
    return None


PAYLOADS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    name: st.fixed_dictionaries({f.name: s for f in step.fields if (s := drawn(f)) is not None})
    for name, step in STEPS.items()
}
"""Any step's input, from the fields the step table declares."""


def logged_for(actor: Actor) -> str | None:
    """Whom a report names: a volunteer himself (no id), the office a volunteer on duty."""
    return None if actor.role == "volunteer" else demo.METER.id


class LoopMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.flow = open_loop(clock=self.clock).incidents
        admit(self.flow, *ADMITTED)
        self.ids: list[UUID] = []
        self.accepted = 0

    def _ledgers(self) -> int:
        """The versions of every account, summed (0 for those never opened)."""
        total = 0
        for person in ADMITTED:
            total += self.flow.points_account(person.id).version
        return total

    def _attempt(self, command: Any, *args: Any, **kwargs: Any) -> None:
        step = args[0] if command == self.flow.take else None
        incident = args[2] if step else None
        before = (
            self.flow.get(incident).version if incident else None,
            self.flow.app.recorder.max_notification_id(),
        )
        ledgers = self._ledgers()
        before_state = audit.describe(self.flow.get(incident)) if incident else None
        self.clock.advance(timedelta(minutes=7))
        try:
            ack = command(*args, **kwargs)
        except DomainError:
            after = (
                self.flow.get(incident).version if incident else None,
                self.flow.app.recorder.max_notification_id(),
            )
            assert after == before, "a refused command wrote an event"
            if incident:
                assert audit.describe(self.flow.get(incident)) == before_state
            return
        self.accepted += 1
        written = (self.flow.app.recorder.max_notification_id() or 0) - (before[1] or 0)
        entries = self._ledgers() - ledgers
        if incident:
            assert written == 1 + entries
            assert ack.version == before[0] + 1
            if step == "reward":
                assert entries == 1  # the deposit, saved with the step
            elif step != "reject":
                assert entries == 0
        else:
            assert ack.version == written  # discover writes 1 event, report_new writes 2
            self.ids.append(UUID(ack.incident_id))

    @precondition(lambda self: len(self.ids) < 3)
    @rule(
        actor=st.sampled_from(CAST),
        channel=st.sampled_from(["app", "phone"]),
        urgency=st.sampled_from(["general", "urgent"]),
        self_handled=st.booleans(),
        module=st.sampled_from(["hazard_screening", "anti_fraud", "nonsense"]),
    )
    def report_new(
        self, actor: Actor, channel: str, urgency: str, self_handled: bool, module: str
    ) -> None:
        self._attempt(
            self.flow.report_new,
            actor,
            channel=channel,
            urgency=urgency,
            module=module,
            sense="seen",
            what="井盖丢失",
            where="幸福路",
            reporter_id=logged_for(actor),
            self_handled_note="当场劝导" if self_handled else None,
        )

    @precondition(lambda self: len(self.ids) < 3)
    @rule(actor=st.sampled_from(CAST))
    def discover(self, actor: Actor) -> None:
        self._attempt(
            self.flow.discover,
            actor,
            module="traffic_safety",
            sense="heard",
            what="路口事故多发",
            where="和平路",
            reporter_id=logged_for(actor),
        )

    @precondition(lambda self: self.ids)
    @rule(data=st.data())
    def allowed_step(self, data: st.DataObject) -> None:
        """Mostly legal and permitted steps, so incidents travel deep into the loop."""
        incident = data.draw(st.sampled_from(self.ids))
        options = [(a, s) for a in CAST for s in self.flow.allowed_steps(a, incident)]
        if not options:
            return
        actor, step = data.draw(st.sampled_from(options))
        self._step(data, actor, incident, step)

    @precondition(lambda self: self.ids)
    @rule(data=st.data(), actor=st.sampled_from(CAST), step=st.sampled_from(list(STEPS)))
    def any_step(self, data: st.DataObject, actor: Actor, step: str) -> None:
        """Any actor, any step, any incident: mostly refused."""
        self._step(data, actor, data.draw(st.sampled_from(self.ids)), step)

    @precondition(lambda self: self.ids)
    @rule(data=st.data(), actor=st.sampled_from(CAST), step=st.sampled_from(list(STEPS)))
    def allowed_steps_are_exactly_what_succeeds(
        self, data: st.DataObject, actor: Actor, step: str
    ) -> None:
        """With valid input, a step succeeds if and only if it was offered as allowed."""
        incident = data.draw(st.sampled_from(self.ids))
        offered = step in self.flow.allowed_steps(actor, incident)
        before = self.accepted
        self._attempt(self.flow.take, step, actor, incident, **valid_input(step, actor))
        assert (self.accepted == before + 1) == offered, (step, actor, offered)

    def _step(self, data: st.DataObject, actor: Actor, incident: UUID, step: str) -> None:
        payload = dict(data.draw(PAYLOADS[step]))
        if step == "reject" and payload["kind"] != "unfounded":
            payload["related_id"] = data.draw(st.sampled_from(self.ids))
        self._attempt(self.flow.take, step, actor, incident, **payload)

    @invariant()
    def closed_loop(self) -> None:
        for incident_id in self.ids:
            incident = self.flow.get(incident_id)
            if incident.is_closed:
                assert (incident.owner_unit, incident.owner_role, incident.due_at) == (
                    None,
                    None,
                    None,
                )
            else:
                assert incident.owner_unit
                assert incident.owner_role
                assert incident.due_at is not None
                assert incident.due_at > incident.created_on
                assert units.within(incident.community, incident.owner_unit)

    @invariant()
    def every_reward_is_deposited_once_and_reversed_if_rejected(self) -> None:
        incidents = [self.flow.get(i) for i in self.ids]
        for person in ADMITTED:
            account = self.flow.points_account(person.id)
            assert account.balance >= 0
            rewarded = {
                str(i.id)
                for i in incidents
                if i.reporter_id == person.id and i.rewarded_points is not None
            }
            assert set(account.deposits) == rewarded
            rejected = {
                str(i.id) for i in incidents if str(i.id) in rewarded and i.stage == "rejected"
            }
            assert set(account.reversed_incidents) == rejected
            assert len(account.reversed_incidents) == len(rejected)
            assert account.balance == account.earned  # nothing redeemed here
        for person in REPORTERS:
            if person not in ADMITTED:
                assert account_id(person.id) not in self.flow.app.repository

    @invariant()
    def replay_gives_the_same_state(self) -> None:
        for incident_id in self.ids:
            replayed = None
            for event in self.flow.app.events.get(incident_id):
                replayed = event.mutate(replayed)
            assert replayed is not None
            assert audit.describe(replayed) == audit.describe(self.flow.get(incident_id))
        for person in ADMITTED:
            account = self.flow.points_account(person.id)
            replayed = None
            for event in self.flow.app.events.get(account.id):
                replayed = event.mutate(replayed)
            assert vars(replayed) == vars(account)


LoopMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestLoopProperties = LoopMachine.TestCase


def test_random_walks_reach_the_end_of_the_loop() -> None:
    """The generator is strong enough to matter: legal walks close incidents."""
    flow = open_loop(clock=FakeClock()).incidents
    admit(flow, demo.RIDER)
    ack = flow.report_new(
        demo.RIDER,
        channel="app",
        module="hazard_screening",
        sense="seen",
        what="井盖丢失",
        where="幸福路",
    )
    incident = UUID(ack.incident_id)
    preferred = ["accept", "record_outcome", "sign_score", "reward", "close", "propose_score"]
    for _ in range(12):
        options = [(a, s) for a in CAST for s in flow.allowed_steps(a, incident) if s in preferred]
        if not options:
            break
        actor, step = min(options, key=lambda o: preferred.index(o[1]))
        flow.take(step, actor, incident, **valid_input(step, actor))
    assert flow.get(incident).stage == "closed"
