"""A random workload driven through the real services, for the oracle.

Two application instances on one database stand for two processes, each with
its own group-commit writer, as the served API runs commands. Between commands
a shared clock moves by seconds to days, so deadlines pass and months turn.
Commands are drawn from everything the services do: reports by app and by
phone (urgent ones too), discoveries fed back later, self-handled reports,
every step the loop allows now (all branches: handled, escalated and
returned, diverted and handed over, chased, scored and co-signed, rewarded up
to the monthly cap and beyond, publicized, closed, rejected, also after the
reward), steps refused (which must write nothing), applications with the joint
review, admissions, refusals and status changes, donations, restocks,
redemptions, deductions and month evaluations, and bursts of steps sent to
both writers at once (concurrency conflicts among them). Between them, each on a
random stream of its own: duty tasks and notices (``duty_workload``), the
organisation and the accounts (``org_workload``) and training
(``training_workload``).
"""

from __future__ import annotations

import random
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import timedelta
from operator import attrgetter
from typing import Any
from uuid import UUID

from aggregates.actor import Actor
from aggregates.errors import DomainError
from aggregates.incident import Incident
from loop import demo
from loop.bootstrap import Loop
from loop.rules.stages import LOOP
from loop.storage.group_commit import GroupCommitter
from tests.oracle.duty_workload import Duties
from tests.oracle.org_workload import Organising
from tests.oracle.training_workload import Trainings
from tests.support import CHINA, FakeClock

OFFICIALS = [
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
]
COMMUNITIES = (demo.XINGFU, demo.HEPING)
MODULES = (
    "dispute_screening",
    "information_collection",
    "anti_fraud",
    "hazard_screening",
    "traffic_safety",
    "patrol_prevention",
)
PAYLOAD: dict[str, dict[str, Any]] = {
    "escalate": {"reason": "警力不足，需上级处置"},
    "return": {"reason": "属下级处置范围"},
    "divert": {"reason": "非公安管辖"},
    "hand_over": {"department": "县住建局", "received_by": "刘科长"},
    "chase": {"asked": "承办单位", "answer": "正在处理"},
    "record_outcome": {"summary": "已处置"},
    "confirm_self_handled": {"summary": "劝导有效"},
    "publicize": {"title": "义警及时发现隐患", "redaction_note": "已核对，无个人信息"},
    "close": {"note": "闭环"},
}
STEPS_AT = (0, 0, 1, 1, 1, 5, 5, 30, 30, 120, 60 * 20, 60 * 24 * 3)
"""Minutes the clock moves before a command: mostly minutes, sometimes days."""
STATUSES = ("flexible", "suspended", "active", "retired")
PEOPLE = 60
"""Applications stop once this many people have applied (two communities' rolls)."""
DUTIES = 0.06
"""The share of commands followed by a few commands on duty tasks or notices."""
ORGANISING = 0.03
"""The share of commands followed by a few on the organisation and the accounts."""
TRAINING = 0.04
"""The share of commands followed by a few on training."""
DETOURS = {"reject": 0.15, "divert": 0.4, "escalate": 0.4, "return": 0.4, "chase": 0.4}
"""How often a step that does not bring the case nearer its end is drawn (1: as
often as any other), so most cases travel deep into the loop."""


@dataclass
class Tally:
    accepted: int = 0
    refused: int = 0
    conflicts: int = 0
    by_command: dict[str, int] = field(default_factory=dict)

    def count(self, name: str) -> None:
        self.accepted += 1
        self.by_command[name] = self.by_command.get(name, 0) + 1


class Workload:
    """Random commands through ``committers`` (one per application instance)."""

    def __init__(
        self,
        loops: list[Loop],
        clock: FakeClock,
        seed: int,
        *,
        pace: float = 1.0,
    ) -> None:
        self.loops = loops
        self.pace = pace
        self.flow = loops[0].incidents  # what the workload reads to choose
        self.committers = [GroupCommitter(each.app) for each in loops]
        self.clock = clock
        self.rng = random.Random(seed)
        self.tally = Tally()
        self.volunteers: list[Actor] = []  # admitted
        self.applicants: list[Actor] = []  # applied, reviews under way
        self.turned_down = 0
        self.open: list[UUID] = []
        self.rewarded: list[UUID] = []
        self.every: list[UUID] = []
        self.items: list[str] = []
        self.made = 0
        self.duties = Duties(self, seed + 100)  # a random stream of its own
        self.organising = Organising(self, seed + 200)  # and one more
        self.training = Trainings(self, seed + 300)  # and another
        for each in loops:
            each.app.clock = clock

    def close(self) -> None:
        for committer in self.committers:
            committer.close()

    # -- running commands ----------------------------------------------------------------

    def call(
        self,
        command: str,
        method: str,
        /,
        *args: Any,
        writer: random.Random | None = None,
        **kwargs: Any,
    ) -> Any:
        """One command (``method`` of a service, ``incidents.take``) on one of the
        writers, chosen at random (by ``writer``, default the workload's stream);
        None if refused."""
        n = (writer or self.rng).randrange(len(self.loops))
        try:
            result = self.committers[n].call(attrgetter(method)(self.loops[n]), *args, **kwargs)
        except DomainError:
            self.tally.refused += 1
            return None
        self.tally.count(command)
        return result

    def run(self, commands: int) -> None:
        for _ in range(commands):
            self.clock.advance(timedelta(minutes=self.rng.choice(STEPS_AT) * self.pace, seconds=1))
            roll = self.rng.random()
            if roll < 0.1 or not self.open:
                self.report()
            elif roll < 0.7:
                self.allowed_step()
            elif roll < 0.74:
                self.any_step()
            elif roll < 0.78:
                self.reject_after_reward()
            elif roll < 0.88:
                self.ledger()
            elif roll < 0.92:
                self.enrolment()
            else:
                self.burst()
            if self.duties.rng.random() < DUTIES:
                self.duties.session()
            if self.organising.rng.random() < ORGANISING:
                self.organising.session()
            if self.training.rng.random() < TRAINING:
                self.training.session()

    # -- the loop -------------------------------------------------------------------------

    def report(self) -> None:
        rng = self.rng
        community = rng.choice(COMMUNITIES)
        reporters = [v for v in self.volunteers if v.unit == community] or [demo.RIDER]
        details = {
            "module": rng.choice(MODULES),
            "sense": rng.choice(["seen", "heard", "smelled", "sensed"]),
            "what": f"隐患{self.made}",
            "where": "幸福路" if community == demo.XINGFU else "和平路",
        }
        self.made += 1
        roll = rng.random()
        if roll < 0.6:  # a volunteer by app
            volunteer = rng.choice(reporters)
            note = "当场劝导" if rng.random() < 0.2 else None
            ack = self.call(
                "report", "incidents.report_new", volunteer,
                channel="app", self_handled_note=note, **details,
            )  # fmt: skip
        elif roll < 0.85:  # the office logs a phone report, sometimes urgent
            office = demo.OFFICER_XF if community == demo.XINGFU else demo.OFFICER_HP
            if community == demo.XINGFU and rng.random() < 0.5:
                office = demo.AUXILIARY_XF
            reporter = rng.choice([*reporters, *self.applicants, Actor("r-1", "resident", "")])
            ack = self.call(
                "report", "incidents.report_new", office, channel="phone",
                urgency=rng.choice(["general", "urgent"]), reporter_id=reporter.id, **details,
            )  # fmt: skip
        else:  # discovered now, fed back later
            ack = self.call("discover", "incidents.discover", rng.choice(reporters), **details)
        if ack is not None:
            self.open.append(UUID(ack.incident_id))
            self.every.append(UUID(ack.incident_id))

    def _cast(self, incident: Incident) -> list[Actor]:
        return OFFICIALS + [v for v in self.volunteers if v.id == incident.reporter_id]

    def _options(self, incident: Incident) -> list[tuple[Actor, str]]:
        """Who may take which step now: what ``allowed_steps`` lists for each, read
        from one load of the incident (``check_step`` is the check it runs)."""
        options = []
        legal = LOOP.legal_steps(incident.stage)
        for actor in self._cast(incident):
            for step in legal:
                try:
                    self.flow.check_step(actor, incident, step)
                except DomainError:
                    continue
                options.append((actor, step))
        return options

    def _pick(self, incident: Incident, options: list[tuple[Actor, str]]) -> tuple[Actor, str]:
        weights = [
            0.2
            if step == "propose_score" and incident.stage == "score_proposed"
            else DETOURS.get(step, 1)
            for _, step in options
        ]
        return self.rng.choices(options, weights)[0]

    def _payload(self, actor: Actor, step: str, incident_id: UUID) -> dict[str, Any]:
        rng = self.rng
        payload = dict(PAYLOAD.get(step, {}))
        if step == "report":
            payload["channel"] = "app" if actor.role == "volunteer" else "phone"
            if rng.random() < 0.3:
                payload["self_handled_note"] = "已当场处置"
        elif step == "propose_score":
            points = rng.choice([rng.randint(1, 40), rng.randint(40, 150)])
            payload = {"items": [{"item": "发现隐患", "points": points}], "basis": "考评"}
        elif step == "reject":
            payload = self._rejection(incident_id)
        return payload

    def _rejection(self, incident_id: UUID) -> dict[str, Any]:
        kind = self.rng.choice(["duplicate", "merged", "unfounded"])
        others = [i for i in self.every if i != incident_id]
        if kind == "unfounded" or not others:
            return {"kind": "unfounded", "reason": "查无实据"}
        return {"kind": kind, "reason": "重复反馈", "related_id": self.rng.choice(others)}

    def _take(self, actor: Actor, step: str, incident_id: UUID, **extra: Any) -> Any:
        payload = self._payload(actor, step, incident_id) | extra
        ack = self.call(step, "incidents.take", step, actor, incident_id, **payload)
        self._after(step, incident_id)
        return ack

    def _after(self, step: str, incident_id: UUID) -> None:
        incident = self.flow.get(incident_id)
        if step == "reward" and incident.stage == "rewarded" and incident_id not in self.rewarded:
            self.rewarded.append(incident_id)
        if incident.is_closed and incident_id in self.open:
            self.open.remove(incident_id)

    def allowed_step(self) -> None:
        incident_id = self.rng.choice(self.open)
        incident = self.flow.get(incident_id)
        options = self._options(incident)
        if not options or self.rng.random() < 0.03:  # some incidents stay open for good
            self.open.remove(incident_id)
            return
        self._take(*self._pick(incident, options), incident_id)

    def any_step(self) -> None:
        """Anyone, any step, any incident: mostly refused, and then nothing is written."""
        incident_id = self.rng.choice(self.every)
        actor = self.rng.choice(self._cast(self.flow.get(incident_id)))
        step = self.rng.choice([*PAYLOAD, "accept", "sign_score", "reward", "reject"])
        self._take(actor, step, incident_id)

    def reject_after_reward(self) -> None:
        """A rewarded (publicized, closed) case found a duplicate or unfounded."""
        if not self.rewarded:
            return
        incident_id = self.rng.choice(self.rewarded)
        incident = self.flow.get(incident_id)
        officer = demo.DIRECTORS[incident.community][2]
        if self._take(officer, "reject", incident_id) is not None:
            self.rewarded.remove(incident_id)

    def burst(self) -> None:
        """Several steps sent at once to both writers, each with the version its
        sender saw: steps on one incident conflict, and only one of them is taken."""
        jobs: list[tuple[str, UUID, Future[Any]]] = []
        chosen = self.rng.sample(self.open, min(len(self.open), self.rng.randint(1, 3)))
        for incident_id in chosen:
            incident = self.flow.get(incident_id)
            options = self._options(incident)
            for n in range(self.rng.randint(1, 3) if options else 0):
                actor, step = self._pick(incident, options)
                payload = self._payload(actor, step, incident_id)
                writer = n % len(self.loops)
                future = self.committers[writer].submit(
                    self.loops[writer].incidents.take, step, actor, incident_id,
                    expected_version=incident.version, **payload,
                )  # fmt: skip
                jobs.append((step, incident_id, future))
        for step, incident_id, future in jobs:
            try:
                future.result()
            except DomainError as error:
                self.tally.refused += 1
                self.tally.conflicts += error.code == "concurrency_conflict"
            else:
                self.tally.count(step)
            self._after(step, incident_id)

    # -- volunteers and the Happiness Bank -----------------------------------------------

    def enrolment(self) -> None:
        rng = self.rng
        roll = rng.random()
        applied = len(self.volunteers) + len(self.applicants) + self.turned_down
        if (roll < 0.35 and applied < PEOPLE) or not (self.applicants or self.volunteers):
            community = rng.choice(COMMUNITIES)
            n = 500 + self.made + len(self.applicants) + len(self.volunteers)
            person = Actor(f"v-{community[-2:]}-{n}", "volunteer", community)
            cadre = demo.DIRECTORS[community][0]
            done = self.call(
                "apply", "volunteers.apply", cadre, volunteer_id=person.id, name=f"义警{n}",
                phone=f"139{n:08d}", id_number=demo.sample_id_number(n % 1000),
                address="幸福小区", employer="梨树县某单位", occupation="courier",
                party_member=rng.random() < 0.3,
            )  # fmt: skip
            if done is not None:
                self.applicants.append(person)
        elif roll < 0.8 and self.applicants:
            self._review(rng.choice(self.applicants))
        elif self.volunteers:
            person = rng.choice(self.volunteers)
            director = demo.DIRECTORS[person.unit][1]
            self.call(
                "change_status", "volunteers.change_status", director, person.id,
                status=rng.choice(STATUSES), reason="本人申请",
            )  # fmt: skip

    def _review(self, person: Actor) -> None:
        cadre, _, officer = demo.DIRECTORS[person.unit]
        reviews = self.loops[0].volunteers.get(person.id).reviews
        for reviewer, who in (
            ("employer", cadre),
            ("community", cadre),
            ("station", demo.STATION_OFFICER),
        ):
            if reviewer not in reviews:
                record = reviewer == "station" and self.rng.random() < 0.15
                self.call(
                    "review", "volunteers.review", who, person.id, reviewer=reviewer,
                    approved=True, criminal_record=record, note="审核意见",
                )  # fmt: skip
                if record:
                    self.applicants.remove(person)
                    self.turned_down += 1
                return
        if self.call("admit", "volunteers.admit", officer, person.id) is not None:
            self.applicants.remove(person)
            self.volunteers.append(person)

    def ledger(self) -> None:
        rng, bank = self.rng, self.loops[0].bank
        person = rng.choice(self.volunteers)
        _, director, officer = demo.DIRECTORS[person.unit]
        roll = rng.random()
        if roll < 0.45 and self.items:
            self.call(
                "redeem", "bank.redeem", person, person.id, rng.choice(self.items),
                quantity=rng.choice([1, 1, 2]),
            )  # fmt: skip
        elif roll < 0.65:
            kind = rng.choice(["manual", "discipline"])
            points = rng.randint(1, 30) if kind == "manual" or rng.random() < 0.5 else None
            self.call(
                "deduct", "bank.deduct", rng.choice([director, officer]), person.id,
                reason="未完成巡逻任务", points=points, kind=kind,
            )  # fmt: skip
        elif roll < 0.85:
            now = self.clock().astimezone(CHINA)
            self.call(
                "evaluate_month", "bank.evaluate_month", officer, person.id,
                month=f"{now.year}-{now.month:02d}", passed=rng.random() < 0.6, note="月考评",
            )  # fmt: skip
        elif roll < 0.95 and self.items:
            item_id = rng.choice(self.items)
            holder = bank.item(item_id).bank
            staff = demo.STATION_OFFICER if holder == demo.STATION else demo.DIRECTORS[holder][0]
            donor = rng.choice(["梨树县百货大楼", "梨树县爱心企业联合会"])
            self.call("restock", "bank.restock", staff, item_id, quantity=rng.randint(1, 5),
                      donor=donor)  # fmt: skip
        else:
            staff = rng.choice([demo.CADRE_XF, demo.CADRE_HP, demo.STATION_OFFICER])
            ack = self.call(
                "donate", "bank.donate", staff, name=f"大米{len(self.items)}", donor="梨树县粮油",
                stock=rng.randint(0, 10), price=rng.randint(5, 80),
                limit_per_volunteer=rng.choice([None, 1, 3]),
            )  # fmt: skip
            if ack is not None:
                self.items.append(ack.item_id)
