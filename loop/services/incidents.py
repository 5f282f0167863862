"""``IncidentFlow``: the application service driving incidents around the loop.

Every step is taken the same way (:meth:`IncidentFlow.take`): its input is
checked against the step's declared fields (``loop.rules.steps``), the incident
loaded, the declared loop asked whether the step is legal from the current
stage, the policy table whether this actor may take it here; the step is
recorded with its route (the next owner and due time) and saved. A refused
command raises before anything is saved. The few steps that change more than
their incident (a reward, a rejection reversing one) or check it against other
records (a publicity title against the incident's personal data) say so in
``IncidentFlow._effects``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

from eventsourcing.domain import Aggregate

from aggregates.actor import Actor
from aggregates.errors import DomainError
from aggregates.incident import CLOSED_STAGES, SIGNER_ROLES, Incident, Route
from aggregates.personal import PersonalData
from aggregates.points_account import PointsAccount
from aggregates.volunteer import ON_DUTY, Volunteer, volunteer_aggregate_id
from loop.errors import InvalidInput, UnknownReporter
from loop.rules import inputs, permissions, units
from loop.rules.access import Record, incident_record
from loop.rules.fields import Kind, check_all
from loop.rules.policy import LISHU, STAGE_OWNERS, Policy
from loop.rules.recording import Taken
from loop.rules.scoring import LISHU_SCORING, ScoringPolicy
from loop.rules.stages import LOOP, StepTarget
from loop.rules.steps import STEPS, Step
from loop.rules.vocabulary import Module, Role, Sense, Urgency
from loop.services import calls, personal
from loop.services.lookup import find_account, load_incident, points_account
from loop.storage.application import LoopApplication, incident_conflict


@dataclass(frozen=True)
class Effect:
    """What a step does beyond its own incident: the other aggregates it changed
    (saved in the same transaction) and the facts its event records of them."""

    changed: tuple[Aggregate, ...] = ()
    facts: dict[str, Any] = field(default_factory=dict)


class Ack(NamedTuple):
    """What a command returns: the incident, its new version and stage, and the
    notification position its last event was stored at (for read-your-writes)."""

    incident_id: str
    version: int
    stage: str
    position: int | None


class IncidentFlow:
    """The loop's commands: a new report or discovery, and :meth:`take` for every
    step; reads for audit live in ``loop.services.audit``.

    Its incidents live in the one application store (``app``) beside every other
    service's aggregates; each command saves through :meth:`LoopApplication.commit`.
    """

    def __init__(
        self,
        app: LoopApplication,
        *,
        policy: Policy = LISHU,
        scoring: ScoringPolicy = LISHU_SCORING,
    ) -> None:
        self.app = app
        self.policy = policy
        self.scoring = scoring
        self._effects: dict[str, Callable[[Taken], Effect]] = {
            "reward": self._credit,
            "reject": self._reverse_reward,
            "publicize": self._check_redacted,
            "hand_over": self._check_department,
        }
        self.departments: Callable[[str], list[tuple[str, str]]] = lambda _community: []
        """The (code, name) of the departments registered for a community's county
        (the composition root gives the organisation registry's)."""

    # -- discover and feed back ------------------------------------------------

    def discover(self, actor: Actor, **details: Any) -> Ack:
        """A volunteer records a discovery (or the office logs it on his behalf)."""
        incident = self._discovered(actor, **details)
        return self._ack(incident, self.app.commit(incident))

    def report_new(
        self,
        actor: Actor,
        *,
        channel: str,
        urgency: str = Urgency.GENERAL,
        self_handled_note: str | None = None,
        resident: Any = None,
        **details: Any,
    ) -> Ack:
        """Discover and feed back in one atomic step: the usual app or phone report,
        or (``resident``: his name and phone) a resident's call the office logs."""
        report = STEPS["report"]
        given = self._checked(
            report,
            actor,
            None,
            {"channel": channel, "urgency": urgency, "self_handled_note": self_handled_note},
        )
        caller = calls.resident_caller(
            resident, details.get("reporter_id"), given["channel"], self.app.key_store
        )
        incident = self._discovered(actor, urgency=given["urgency"], caller=caller, **details)
        changed = self._apply_step(incident, report, actor, incident.created_on, given)
        return self._ack(incident, self.app.commit(incident, *changed))

    # -- every step of the loop --------------------------------------------------

    def take(
        self,
        step: str,
        actor: Actor,
        incident_id: UUID | str,
        *,
        expected_version: int | None = None,
        **given: Any,
    ) -> Ack:
        """Take ``step`` (``loop.rules.steps``) on the incident with the step's input
        ``given``: checked, then legal from its stage by the loop, permitted by the
        policy table, recorded with its route (the next owner and due time) and
        saved with any other aggregate it changed, in one transaction.

        A role that may never take the step is refused before the incident is
        loaded; an incident the actor may not read is not found, exactly like one
        that does not exist (``loop.rules.permissions``)."""
        if step not in STEPS:
            raise InvalidInput(
                f"没有「{step}」这个步骤",
                f"there is no step '{step}'",
                step=step,
                steps=list(STEPS),
            )
        uid = inputs.incident_id("incident_id", incident_id)
        checked = self._checked(STEPS[step], actor, uid, given)
        permissions.check_role(step, actor)
        incident = self.get(uid, reader=actor)
        if expected_version is not None and expected_version != incident.version:
            raise incident_conflict(incident.id, incident.version)
        changed = self._apply_step(incident, STEPS[step], actor, self.app.clock(), checked)
        return self._ack(incident, self.app.commit(incident, *changed))

    def _checked(
        self, step: Step, actor: Actor, incident_id: UUID | None, given: dict[str, Any]
    ) -> dict[str, Any]:
        """The step's input, checked field by field and by the step's own rule; an
        incident it names must exist (and be one the actor may read)."""
        max_points = min(self.policy.max_points_per_incident, self.scoring.max_points_per_incident)
        window = self.policy.window(self.app.clock())
        checked = check_all(step.fields, given, max_points=max_points, window=window)
        step.check(actor, incident_id, checked)
        for each in step.fields:
            if each.kind is Kind.INCIDENT and checked[each.name] is not None:
                checked[each.name] = str(self.get(checked[each.name], reader=actor).id)
        return checked

    # -- what a step does beyond its incident ------------------------------------

    def _credit(self, taken: Taken) -> Effect:
        """奖励兑现: credit the effective score's points to the reporting volunteer's
        Happiness Bank account, saved with the step.

        The volunteer must have been admitted (admission opens the account); a
        reporter without an account is refused with :class:`NoPointsAccount`, and
        the incident stays scored until the reward can be made. Points beyond the
        scoring policy's cap for the period are not credited (the deposit records
        what was asked and what was paid)."""
        inc, at = taken.incident, taken.at
        account = self.points_account(inc.reporter_id)
        credited = account.deposit(
            taken.actor,
            at,
            incident_id=str(inc.id),
            points=inc.score["points"],
            period=self.scoring.period_of(at),
            cap=self.scoring.cap_per_period,
            basis={
                "incident_id": str(inc.id),
                "items": inc.score["items"],
                "basis": inc.score["basis"],
                "proposed_by": inc.score["proposed_by"],
                "signers": inc.score["signatures"],
                "scoring": self.scoring.name,
            },
        )
        account.restar(taken.actor, at, self.scoring.star_level(account.score))
        return Effect((account,), {"credited": credited})

    def _reverse_reward(self, taken: Taken) -> Effect:
        """Rejecting a case already rewarded (a duplicate, merged or unfounded after
        all) reverses its deposit with a compensating entry in the volunteer's
        account, saved with the rejection."""
        incident, actor, at = taken.incident, taken.actor, taken.at
        if incident.rewarded_points is None:
            return Effect()
        account = find_account(self.app, incident.reporter_id)
        if account is None:  # rewarded before the Happiness Bank kept accounts
            return Effect()
        taken_back = account.reverse(
            actor,
            at,
            incident_id=str(incident.id),
            reason=taken.given["reason"],
            period=self.scoring.period_of(at),
            basis={
                "incident_id": str(incident.id),
                "rejection": taken.given["kind"],
                "related_id": taken.given["related_id"],
            },
        )
        if taken_back is None:
            return Effect()
        account.restar(actor, at, self.scoring.star_level(account.score))
        return Effect((account,))

    def _check_department(self, taken: Taken) -> Effect:
        """警情分流 hands over to a department the county registered (by its code or
        name; the event records its name), once the county registers any."""
        registered = self.departments(taken.incident.community)
        given = taken.given["department"]
        for code, name in registered:
            if given in (code, name):
                taken.given["department"] = name
                return Effect()
        if not registered:
            return Effect()
        names = [name for _, name in registered]
        raise InvalidInput(
            f"「{given}」不是本县登记的管辖部门，须为：{'、'.join(names)}",
            f"'{given}' is not a department registered in this county: {', '.join(names)}",
            field="department",
            allowed=names,
        )

    @staticmethod
    def _check_redacted(taken: Taken) -> Effect:
        """典型宣传 after its redaction review: a title holding any personal data of
        the incident is refused."""
        personal.check_redacted("title", taken.given["title"], taken.incident)
        return Effect()

    # -- reading -------------------------------------------------------------------

    def allowed_steps(self, actor: Actor, incident_id: UUID) -> list[str]:
        """The steps ``actor`` may take on the incident now: exactly those that pass
        :meth:`check_step`, the check every step's command runs before it records
        anything (what the step's own input may still refuse aside)."""
        incident = self.get(incident_id)
        allowed = []
        for step in LOOP.legal_steps(incident.stage):  # the others fail its first test
            try:
                self.check_step(actor, incident, step)
            except DomainError:
                continue
            allowed.append(step)
        return allowed

    def check_step(self, actor: Actor, incident: Incident, step: str) -> StepTarget:
        """Whether ``actor`` may take ``step`` on ``incident`` now, whatever its input:
        legal from its stage under the loop's conditions, permitted by the one
        permission model for the actor's role and unit, a signature the co-signature
        rules accept, a reward into an account the reporter holds. Raises the refusal;
        returns where the step leads."""
        target = LOOP.target(incident.stage, step, self._facts(incident, actor))
        permissions.check(step, actor, incident_record(incident))
        if step == "sign_score":
            incident.check_can_sign(actor)
        elif step == "reward":
            self.points_account(incident.reporter_id)
        return target

    def get(
        self, incident_id: UUID, version: int | None = None, *, reader: Actor | None = None
    ) -> Incident:
        """The incident, now or at ``version``; :class:`IncidentNotFound` if absent,
        or if ``reader`` may not read it."""
        return load_incident(self.app, incident_id, version, reader=reader)

    def read(self, actor: Actor, incident_id: UUID, version: int | None = None) -> Incident:
        """The incident as ``actor`` reads it: refused to a role that reads no
        incident, not found if absent or outside what the actor may read."""
        permissions.check_role("read_incident", actor)
        return self.get(incident_id, version, reader=actor)

    def points_account(self, volunteer_id: str) -> PointsAccount:
        """The volunteer's Happiness Bank account; :class:`NoPointsAccount` if the
        volunteer was never admitted."""
        return points_account(self.app, volunteer_id)

    def route(self, stage: str, community: str, urgency: str | None, at: datetime) -> Route:
        """Who owns an incident entering ``stage`` and by when it is due."""
        if stage in CLOSED_STAGES:
            return Route(stage, None, None, None)
        tier, role = STAGE_OWNERS[stage]
        return Route(
            stage, units.ancestor(community, tier), role, at + self.policy.deadline(stage, urgency)
        )

    # -- the one path every step takes ---------------------------------------------

    def _apply_step(
        self, incident: Incident, step: Step, actor: Actor, at: datetime, given: dict[str, Any]
    ) -> Sequence[Aggregate]:
        """Check and record one step with its checked input ``given``; returns the
        other aggregates the step changed."""
        target = self.check_step(actor, incident, step.name)
        if target.dest == incident.stage:  # a step within the stage keeps owner and due
            route = Route(incident.stage, incident.owner_unit, incident.owner_role, incident.due_at)
            if target.dest == "score_proposed":  # but a score is awaited by its missing signer
                route = route._replace(owner_role=self._awaited_signer(incident, step.name, actor))
        else:  # a report routes by the urgency it reports
            urgency = given.get("urgency") or incident.urgency
            route = self.route(target.dest, incident.community, urgency, at)
            if incident.reported_by_resident and route.stage == "outcome_recorded":
                route = route._replace(owner_role=Role.COMMUNITY_OFFICER)  # who closes it
        taken = Taken(incident, actor, at, route, given)
        effect = self._effects[step.name](taken) if step.name in self._effects else Effect()
        incident.step(
            step.event, actor, at, route, **{**given, **step.facts(taken), **effect.facts}
        )
        return effect.changed

    def _discovered(
        self,
        actor: Actor,
        *,
        module: str,
        sense: str,
        what: str,
        where: str,
        occurred_at: datetime | None = None,
        reporter_id: str | None = None,
        urgency: str | None = None,
        incident_id: UUID | None = None,
        informant: Any = None,
        victims: Any = None,
        caller: PersonalData | None = None,
    ) -> Incident:
        checked: dict[str, Any] = {
            "module": inputs.choice("module", module, Module),
            "sense": inputs.choice("sense", sense, Sense),
            "what": inputs.prose("what", what),
            "where": inputs.text("where", where, max_len=200),
        }
        checked = calls.without_caller(checked, caller)
        at = self.app.clock()
        happened = (
            at
            if occurred_at is None
            else inputs.moment("occurred_at", occurred_at, window=self.policy.window(at))
        )
        named = (
            None
            if informant is None
            else personal.person("informant", informant, self.app.key_store)
        )
        affected = personal.people("victims", victims, self.app.key_store)
        if caller is None:
            reporter = self._reporter(actor, reporter_id)
        else:  # a resident's call the office logs
            reporter = caller.subject_id
            permissions.check("discover", actor, Record("incident", actor.unit, person=reporter))
        return Incident.discover(
            actor,
            at,
            self.route("discovered", actor.unit, urgency, at),
            occurred_at=happened,
            reporter_id=reporter,
            community=actor.unit,
            incident_id=incident_id,
            informant=named,
            victims=affected,
            reporter_kind=calls.reporter_kind(caller),
            resident=caller,
            **checked,
        )

    def _reporter(self, actor: Actor, reporter_id: str | None) -> str:
        """Who discovered it: a volunteer himself (he names nobody else: the policy
        refuses another's id); the office names one of the community's volunteers on
        duty, refused with :class:`UnknownReporter` otherwise (the same for an id of
        nobody, of another community's volunteer or of one not admitted)."""
        permissions.check_role("discover", actor)
        if reporter_id is None and actor.role == Role.VOLUNTEER:
            reporter = actor.id
        else:
            reporter = inputs.text("reporter_id", reporter_id, max_len=100)
        permissions.check("discover", actor, Record("incident", actor.unit, person=reporter))
        if actor.role == Role.VOLUNTEER:
            return reporter
        volunteer = self.app.find(volunteer_aggregate_id(reporter), Volunteer)
        if (
            volunteer is None
            or volunteer.community != actor.unit
            or volunteer.status not in ON_DUTY
        ):
            raise UnknownReporter(
                f"「reporter_id」须为本社区在岗义警的编号：{reporter}",
                f"'reporter_id' must name a volunteer on duty in this community: {reporter}",
                field="reporter_id",
                reporter_id=reporter,
            )
        return reporter

    @staticmethod
    def _awaited_signer(incident: Incident, step: str, actor: Actor) -> Role:
        """Who owns a score still awaiting signatures once ``step`` is taken: the
        community director until he has signed, then the community officer (a new
        proposal clears the signatures)."""
        signed = set() if step == "propose_score" else set(incident.score.get("signatures", {}))
        if step == "sign_score":
            signed.add(SIGNER_ROLES[actor.role])
        return Role.COMMUNITY_DIRECTOR if "director" not in signed else Role.COMMUNITY_OFFICER

    @staticmethod
    def _facts(incident: Incident, actor: Actor) -> dict[str, bool]:
        """The facts the loop's conditions name, for ``actor`` acting on ``incident``."""
        return {
            "claims_self_handled": incident.claims_self_handled,
            "reported_by_resident": incident.reported_by_resident,
            "completes_signatures": incident.signature_completes_score(
                SIGNER_ROLES.get(actor.role, "")
            ),
        }

    @staticmethod
    def _ack(incident: Incident, position: int | None) -> Ack:
        return Ack(str(incident.id), incident.version, incident.stage, position)
