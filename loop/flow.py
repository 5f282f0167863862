"""``IncidentFlow``: the application service driving incidents around the loop.

Every command validates its input, loads the incident, asks the declared loop
whether the step is legal from the current stage, asks the policy table whether
this actor may take it here, records the step with its route (the next owner and
due time) and saves. A refused command raises before anything is saved.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, datetime_now_with_tzinfo
from eventsourcing.persistence import JSONTranscoder, RecordConflictError, Recording

from aggregates.actor import Actor
from aggregates.errors import DomainError
from aggregates.incident import CLOSED_STAGES, SIGNER_ROLES, Incident, Route
from aggregates.points_account import PointsAccount, account_id
from aggregates.reward_item import RewardItem
from aggregates.volunteer import Volunteer
from loop import inputs, personal, units
from loop.errors import (
    AccountNotFound,
    ConcurrencyConflict,
    IncidentNotFound,
    InvalidInput,
    NotPermitted,
)
from loop.group_commit import Batch, BatchRepository
from loop.keys import InMemoryKeyStore, KeyStore, NoKeyStore
from loop.personal_cipher import PersonalDataAsCiphertext
from loop.policy import LISHU, SCOPE_LABELS, STAGE_OWNERS, Policy, permits, rules_for
from loop.scoring import LISHU_SCORING, ScoringPolicy
from loop.stages import LOOP, STAGES, STEPS, StepTarget
from loop.transcodings import ActorAsList
from loop.vocabulary import (
    Channel,
    Module,
    OutcomeSource,
    RejectionKind,
    Role,
    Sense,
    Urgency,
    label,
)

# Records one step on the incident; returns any other aggregate the step changed
# (the volunteer's points account), saved in the same transaction.
Recorder = Callable[[Incident, datetime, Route], Sequence[Aggregate] | None]

AGGREGATE_LABELS = {
    "Incident": ("警情", "incident"),
    "PointsAccount": ("幸福银行账户", "points account"),
    "RewardItem": ("兑换物品", "reward item"),
    "Volunteer": ("义警档案", "volunteer record"),
}

OUTCOME_SOURCES = {
    "handling_community": OutcomeSource.HANDLED_LOCALLY,
    "handling_station": OutcomeSource.STATION,
    "handling_county": OutcomeSource.COUNTY,
    "handed_over": OutcomeSource.DEPARTMENT,
}


class Ack(NamedTuple):
    """What a command returns: the incident, its new version and stage, and the
    notification position its last event was stored at (for read-your-writes)."""

    incident_id: str
    version: int
    stage: str
    position: int | None


class IncidentFlow(Application[UUID]):
    """One method per step of the loop; reads for audit live in ``loop.audit``.

    The one event store of Lishu Loop: volunteers (``loop.volunteers``) and the
    Happiness Bank (``loop.bank``) keep their aggregates here too, and every
    command of any of them saves through :meth:`commit`.
    """

    name = "LishuLoop"
    snapshotting_intervals = {  # noqa: RUF012 (library class attribute)
        Incident: 50,
        PointsAccount: 50,
        RewardItem: 50,
        Volunteer: 50,
    }

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        policy: Policy = LISHU,
        scoring: ScoringPolicy = LISHU_SCORING,
        clock: Callable[[], datetime] = datetime_now_with_tzinfo,
        key_store: KeyStore | None = None,
    ) -> None:
        # The per-person keys come from the composition root (loop.bootstrap); an
        # in-memory flow may keep them in memory, a persistent one holds no personal
        # data without a key store.
        module = self.construct_env(self.name, env).get("PERSISTENCE_MODULE")
        persistent = module not in (None, "", "eventsourcing.popo")
        self.key_store: KeyStore = key_store or (NoKeyStore() if persistent else InMemoryKeyStore())
        super().__init__(env)
        self.policy = policy
        self.scoring = scoring
        self.clock = clock

    def close(self) -> None:
        super().close()
        self.key_store.close()

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(ActorAsList())
        transcoder.register(PersonalDataAsCiphertext(self.key_store))

    # -- discover and feed back ------------------------------------------------

    def discover(self, actor: Actor, **details: Any) -> Ack:
        """A volunteer records a discovery (or the office logs it on his behalf)."""
        incident = self._discovered(actor, **details)
        return self._ack(incident, self.commit(incident))

    def report_new(
        self,
        actor: Actor,
        *,
        channel: str,
        urgency: str = Urgency.GENERAL,
        self_handled_note: str | None = None,
        **details: Any,
    ) -> Ack:
        """Discover and feed back in one atomic step: the usual app or phone report."""
        report = self._report_facts(actor, channel, urgency, self_handled_note)
        incident = self._discovered(actor, urgency=report["urgency"], **details)
        self._apply_step(
            incident,
            "report",
            actor,
            incident.created_on,
            lambda inc, at, route: inc.step(Incident.Reported, actor, at, route, **report),
            urgency=report["urgency"],
        )
        return self._ack(incident, self.commit(incident))

    def report(
        self,
        actor: Actor,
        incident_id: UUID,
        *,
        channel: str,
        urgency: str = Urgency.GENERAL,
        self_handled_note: str | None = None,
        expected_version: int | None = None,
    ) -> Ack:
        """Feed a recorded discovery back to the community police office."""
        report = self._report_facts(actor, channel, urgency, self_handled_note)
        return self._step(
            actor,
            incident_id,
            "report",
            expected_version,
            lambda inc, at, route: inc.step(Incident.Reported, actor, at, route, **report),
            urgency=report["urgency"],
        )

    # -- handle ------------------------------------------------------------------

    def accept(
        self, actor: Actor, incident_id: UUID, *, expected_version: int | None = None
    ) -> Ack:
        """The owning tier (community, station or county) accepts the incident."""
        return self._step(
            actor,
            incident_id,
            "accept",
            expected_version,
            lambda inc, at, route: inc.step(
                Incident.AcceptedForHandling, actor, at, route, tier=STAGE_OWNERS[route.stage][0]
            ),
        )

    def escalate(
        self, actor: Actor, incident_id: UUID, *, reason: str, expected_version: int | None = None
    ) -> Ack:
        """Submit the incident to the station, or the station to the county bureau."""
        reason = inputs.text("reason", reason)
        return self._step(
            actor,
            incident_id,
            "escalate",
            expected_version,
            lambda inc, at, route: inc.step(
                Incident.Escalated,
                actor,
                at,
                route,
                reason=reason,
                from_tier=STAGE_OWNERS[inc.stage][0],
                to_tier=STAGE_OWNERS[route.stage][0],
            ),
        )

    def return_(
        self, actor: Actor, incident_id: UUID, *, reason: str, expected_version: int | None = None
    ) -> Ack:
        """A tier sends the incident back down one tier, with its reason."""
        reason = inputs.text("reason", reason)
        return self._step(
            actor,
            incident_id,
            "return",
            expected_version,
            lambda inc, at, route: inc.step(
                Incident.Returned,
                actor,
                at,
                route,
                reason=reason,
                from_tier=STAGE_OWNERS[inc.stage][0],
                to_tier=STAGE_OWNERS[route.stage][0],
            ),
        )

    # -- divert ------------------------------------------------------------------

    def divert(
        self, actor: Actor, incident_id: UUID, *, reason: str, expected_version: int | None = None
    ) -> Ack:
        """Not police jurisdiction: return it to the community for a department."""
        reason = inputs.text("reason", reason)
        return self._step(
            actor,
            incident_id,
            "divert",
            expected_version,
            lambda inc, at, route: inc.step(
                Incident.Diverted,
                actor,
                at,
                route,
                reason=reason,
                after_arrival=inc.stage == "handling_community",
            ),
        )

    def hand_over(
        self,
        actor: Actor,
        incident_id: UUID,
        *,
        department: str,
        received_by: str,
        received_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Ack:
        """The community hands the diverted matter to a department; the handover
        is recorded (from whom, to which department, received by whom, when)."""
        department = inputs.text("department", department, max_len=100)
        received_by = inputs.text("received_by", received_by, max_len=100)
        if received_at is not None:
            inputs.moment("received_at", received_at)
        return self._step(
            actor,
            incident_id,
            "hand_over",
            expected_version,
            lambda inc, at, route: inc.step(
                Incident.HandedOver,
                actor,
                at,
                route,
                department=department,
                received_by=received_by,
                received_at=received_at or at,
            ),
        )

    # -- follow up -----------------------------------------------------------------

    def chase(
        self,
        actor: Actor,
        incident_id: UUID,
        *,
        asked: str,
        answer: str,
        expected_version: int | None = None,
    ) -> Ack:
        """Ask the handling tier or department for its outcome and note the answer."""
        asked = inputs.text("asked", asked, max_len=100)
        answer = inputs.text("answer", answer)
        return self._step(
            actor,
            incident_id,
            "chase",
            expected_version,
            lambda inc, at, route: inc.step(
                Incident.FollowUpChased, actor, at, route, asked=asked, answer=answer
            ),
        )

    def record_outcome(
        self, actor: Actor, incident_id: UUID, *, summary: str, expected_version: int | None = None
    ) -> Ack:
        """Record the outcome: handled locally, or obtained from station, county or
        department."""
        summary = inputs.text("summary", summary)

        def record(inc: Incident, at: datetime, route: Route) -> None:
            source = OUTCOME_SOURCES[inc.stage]
            obtained_from = (
                inc.handover["department"]
                if inc.handover and source is OutcomeSource.DEPARTMENT
                else units.ancestor(inc.community, STAGE_OWNERS[inc.stage][0])
            )
            inc.step(
                Incident.OutcomeRecorded,
                actor,
                at,
                route,
                source=source,
                obtained_from=obtained_from,
                summary=summary,
            )

        return self._step(actor, incident_id, "record_outcome", expected_version, record)

    def confirm_self_handled(
        self, actor: Actor, incident_id: UUID, *, summary: str, expected_version: int | None = None
    ) -> Ack:
        """The officer confirms the volunteer handled it on site; that is the outcome."""
        summary = inputs.text("summary", summary)
        return self._step(
            actor,
            incident_id,
            "confirm_self_handled",
            expected_version,
            lambda inc, at, route: inc.step(
                Incident.OutcomeRecorded,
                actor,
                at,
                route,
                source=OutcomeSource.SELF_HANDLED,
                obtained_from=inc.community,
                summary=summary,
            ),
        )

    # -- score, reward, publicize, close ---------------------------------------------

    def propose_score(
        self,
        actor: Actor,
        incident_id: UUID,
        *,
        items: list[dict[str, Any]],
        basis: str,
        expected_version: int | None = None,
    ) -> Ack:
        """Community cadre or officer proposes the volunteer's score; any earlier
        proposal and its signatures are replaced."""
        checked = inputs.score_items(
            items, min(self.policy.max_points_per_incident, self.scoring.max_points_per_incident)
        )
        basis = inputs.text("basis", basis)
        return self._step(
            actor,
            incident_id,
            "propose_score",
            expected_version,
            lambda inc, at, route: inc.step(
                Incident.ScoreProposed,
                actor,
                at,
                route,
                items=checked,
                points=sum(i["points"] for i in checked),
                basis=basis,
            ),
        )

    def sign_score(
        self, actor: Actor, incident_id: UUID, *, expected_version: int | None = None
    ) -> Ack:
        """Co-sign as community director or community officer; the score takes
        effect when both have signed."""
        return self._step(
            actor,
            incident_id,
            "sign_score",
            expected_version,
            lambda inc, at, route: inc.sign_score(actor, at, route),
        )

    def reward(
        self, actor: Actor, incident_id: UUID, *, expected_version: int | None = None
    ) -> Ack:
        """Credit the effective score's points to the reporting volunteer's Happiness
        Bank account (奖励兑现): the incident's step and the deposit are saved together.

        The volunteer must have been admitted (admission opens the account); a
        reporter without an account is refused with :class:`AccountNotFound`, and
        the incident stays scored until the reward can be made. Points beyond the
        scoring policy's cap for the period are not credited (the deposit records
        what was asked and what was paid)."""

        def record(inc: Incident, at: datetime, route: Route) -> Sequence[Aggregate]:
            account = self.points_account(inc.reporter_id)
            credited = account.deposit(
                actor,
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
            account.restar(actor, at, self.scoring.star_level(account.score))
            inc.step(
                Incident.Rewarded, actor, at, route, points=inc.score["points"], credited=credited
            )
            return (account,)

        return self._step(actor, incident_id, "reward", expected_version, record)

    def publicize(
        self,
        actor: Actor,
        incident_id: UUID,
        *,
        title: str,
        redaction_note: str,
        expected_version: int | None = None,
    ) -> Ack:
        """The county publicity section features the case (典型宣传), after its
        redaction review: ``redaction_note`` says what was checked for personal
        data, and a title holding any personal data of the incident is refused."""
        title = inputs.text("title", title, max_len=200)
        redaction_note = inputs.text("redaction_note", redaction_note, max_len=500)

        def record(inc: Incident, at: datetime, route: Route) -> None:
            personal.check_redacted("title", title, inc)
            inc.step(
                Incident.Publicized, actor, at, route, title=title, redaction_note=redaction_note
            )

        return self._step(actor, incident_id, "publicize", expected_version, record)

    def close_incident(
        self,
        actor: Actor,
        incident_id: UUID,
        *,
        note: str = "",
        expected_version: int | None = None,
    ) -> Ack:
        """Close the loop once the reward is made."""
        return self._step(
            actor,
            incident_id,
            "close",
            expected_version,
            lambda inc, at, route: inc.step(Incident.Closed, actor, at, route, note=note.strip()),
        )

    def reject(
        self,
        actor: Actor,
        incident_id: UUID,
        *,
        kind: str,
        reason: str,
        related_id: UUID | str | None = None,
        expected_version: int | None = None,
    ) -> Ack:
        """Reject as a duplicate of, merged into (both name the other incident) or
        unfounded, with a reason. A rejected incident is closed. Rejecting a case
        already rewarded reverses its deposit with a compensating entry in the
        volunteer's account, saved with the rejection."""
        rejection = inputs.choice("kind", kind, RejectionKind)
        reason = inputs.text("reason", reason)
        related: str | None = None
        if rejection is not RejectionKind.UNFOUNDED:
            if related_id is None:
                raise InvalidInput(
                    "重复或合并须指明对应警情", "name the related incident", field="related_id"
                )
            other = inputs.incident_id("related_id", related_id)
            if other == incident_id:
                raise InvalidInput(
                    "不能与自身重复或合并",
                    "an incident cannot duplicate itself",
                    field="related_id",
                )
            related = str(self.get(other).id)

        def record(inc: Incident, at: datetime, route: Route) -> Sequence[Aggregate]:
            changed = self._reverse_reward(inc, actor, at, rejection, reason, related)
            inc.step(
                Incident.Rejected,
                actor,
                at,
                route,
                kind=rejection,
                reason=reason,
                related_id=related,
            )
            return changed

        return self._step(actor, incident_id, "reject", expected_version, record)

    def _reverse_reward(
        self,
        incident: Incident,
        actor: Actor,
        at: datetime,
        kind: str,
        reason: str,
        related: str | None,
    ) -> Sequence[Aggregate]:
        """The compensating entry for a rewarded incident being rejected, if any."""
        if incident.rewarded_points is None:
            return ()
        account = self._find_account(incident.reporter_id)
        if account is None:  # rewarded before the Happiness Bank kept accounts
            return ()
        taken = account.reverse(
            actor,
            at,
            incident_id=str(incident.id),
            reason=reason,
            period=self.scoring.period_of(at),
            basis={"incident_id": str(incident.id), "rejection": kind, "related_id": related},
        )
        if taken is None:
            return ()
        account.restar(actor, at, self.scoring.star_level(account.score))
        return (account,)

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
        legal from its stage under the loop's conditions, permitted by the policy
        table for the actor's role and unit, a signature the co-signature rules
        accept, a reward into an account the reporter holds. Raises the refusal;
        returns where the step leads."""
        target = LOOP.target(incident.stage, step, self._facts(incident, actor))
        self._check_permitted(step, incident.stage, actor, **self._where(incident))
        if step == "sign_score":
            incident.check_can_sign(actor)
        elif step == "reward":
            self.points_account(incident.reporter_id)
        return target

    def get(self, incident_id: UUID, version: int | None = None) -> Incident:
        """The incident, now or at ``version``; :class:`IncidentNotFound` if absent."""
        try:
            incident: object = self.repository.get(incident_id, version=version)
        except AggregateNotFoundError:
            incident = None
        if not isinstance(incident, Incident):
            raise IncidentNotFound("警情不存在", "No such incident", incident_id=str(incident_id))
        return incident

    def points_account(self, volunteer_id: str) -> PointsAccount:
        """The volunteer's Happiness Bank account; :class:`AccountNotFound` if the
        volunteer was never admitted."""
        account = self._find_account(volunteer_id)
        if account is None:
            raise AccountNotFound(
                f"义警 {volunteer_id} 尚未通过审核吸纳，没有幸福银行账户",
                f"Volunteer {volunteer_id} has not been admitted and has no Happiness Bank account",
                volunteer_id=volunteer_id,
            )
        return account

    def _find_account(self, volunteer_id: str) -> PointsAccount | None:
        try:
            account: object = self.repository.get(account_id(volunteer_id))
        except AggregateNotFoundError:
            return None
        return account if isinstance(account, PointsAccount) else None

    def route(self, stage: str, community: str, urgency: str | None, at: datetime) -> Route:
        """Who owns an incident entering ``stage`` and by when it is due."""
        if stage in CLOSED_STAGES:
            return Route(stage, None, None, None)
        tier, role = STAGE_OWNERS[stage]
        return Route(
            stage, units.ancestor(community, tier), role, at + self.policy.deadline(stage, urgency)
        )

    # -- the one path every step takes ---------------------------------------------

    def _step(
        self,
        actor: Actor,
        incident_id: UUID,
        step: str,
        expected_version: int | None,
        record: Recorder,
        urgency: str | None = None,
    ) -> Ack:
        incident = self.get(inputs.incident_id("incident_id", incident_id))
        if expected_version is not None and expected_version != incident.version:
            raise self._conflict(incident)
        changed = self._apply_step(incident, step, actor, self.clock(), record, urgency)
        return self._ack(incident, self.commit(incident, *changed))

    def _apply_step(
        self,
        incident: Incident,
        step: str,
        actor: Actor,
        at: datetime,
        record: Recorder,
        urgency: str | None = None,
    ) -> Sequence[Aggregate]:
        """Check and record one step; ``urgency`` is the one being reported, if any.
        Returns the other aggregates the step changed."""
        target = self.check_step(actor, incident, step)
        if target.dest == incident.stage:  # a step within the stage keeps owner and due
            route = Route(incident.stage, incident.owner_unit, incident.owner_role, incident.due_at)
            if target.dest == "score_proposed":  # but a score is awaited by its missing signer
                route = route._replace(owner_role=self._awaited_signer(incident, step, actor))
        else:
            route = self.route(target.dest, incident.community, urgency or incident.urgency, at)
        return record(incident, at, route) or ()

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
    ) -> Incident:
        checked = {
            "module": inputs.choice("module", module, Module),
            "sense": inputs.choice("sense", sense, Sense),
            "what": inputs.text("what", what),
            "where": inputs.text("where", where, max_len=200),
        }
        named = (
            None if informant is None else personal.person("informant", informant, self.key_store)
        )
        affected = personal.people("victims", victims, self.key_store)
        if not units.is_community(actor.unit):
            raise NotPermitted(
                "只有社区内的义警或社区民辅警可以录入警情",
                "Only a community's volunteers or police record discoveries",
                unit=actor.unit,
            )
        reporter = actor.id if actor.role == Role.VOLUNTEER else reporter_id
        reporter = inputs.text("reporter_id", reporter, max_len=100)
        self._check_permitted(
            "discover", None, actor, owner_unit=None, community=actor.unit, reporter_id=reporter
        )
        at = self.clock()
        return Incident.discover(
            actor,
            at,
            self.route("discovered", actor.unit, urgency, at),
            occurred_at=inputs.moment("occurred_at", occurred_at) if occurred_at else at,
            reporter_id=reporter,
            community=actor.unit,
            incident_id=incident_id,
            informant=named,
            victims=affected,
            **checked,
        )

    @staticmethod
    def _where(incident: Incident) -> dict[str, Any]:
        """Where an incident stands, as the policy's scopes need it."""
        return {
            "owner_unit": incident.owner_unit,
            "community": incident.community,
            "reporter_id": incident.reporter_id,
        }

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
            "completes_signatures": incident.signature_completes_score(
                SIGNER_ROLES.get(actor.role, "")
            ),
        }

    @staticmethod
    def _report_facts(actor: Actor, channel: str, urgency: str, note: str | None) -> dict[str, Any]:
        via = inputs.choice("channel", channel, Channel)
        level = inputs.choice("urgency", urgency, Urgency)
        if via is Channel.APP and level is Urgency.URGENT:
            raise InvalidInput(
                "正在发生、急需处置的警情须电话反馈到社区警务室民辅警",
                "Urgent, ongoing matters are reported by phone to the community police office",
                field="channel",
            )
        if (via is Channel.PHONE) != (actor.role in (Role.COMMUNITY_OFFICER, Role.AUXILIARY)):
            raise InvalidInput(
                "电话反馈由社区警务室民辅警代为录入；义警本人通过APP录入",
                "Phone reports are logged by the community police office; volunteers use the app",
                field="channel",
            )
        return {
            "channel": via,
            "urgency": level,
            "self_handled_note": inputs.optional_text("self_handled_note", note),
        }

    @staticmethod
    def _check_permitted(
        step: str,
        stage: str | None,
        actor: Actor,
        *,
        owner_unit: str | None,
        community: str,
        reporter_id: str,
    ) -> None:
        if permits(
            step, stage, actor, owner_unit=owner_unit, community=community, reporter_id=reporter_id
        ):
            return
        rules = rules_for(step, stage)
        allowed_zh = "；".join(
            f"{'、'.join(sorted(Role(x).label for x in r.roles))}（{SCOPE_LABELS[r.scope]}）"
            for r in rules
        )
        raise NotPermitted(
            f"「{label(actor.role)}」"
            f"（{actor.unit}）无权在「{STAGES.get(stage or '', '新建')}」阶段执行"
            f"「{STEPS.get(step, '录入警情')}」；可执行者：{allowed_zh}",
            f"Role '{actor.role}' in unit '{actor.unit}' may not '{step}' here; allowed: "
            + "; ".join(f"{', '.join(sorted(r.roles))} ({r.scope})" for r in rules),
            step=step,
            stage=stage,
            allowed=[{"roles": sorted(r.roles), "scope": str(r.scope)} for r in rules],
        )

    def commit(self, *aggregates: Aggregate) -> int | None:
        """Store the pending events of ``aggregates`` in one transaction: all or none.

        Every command of the loop, the volunteers and the Happiness Bank saves
        through here. Returns the notification position of the last event stored
        (None if there was nothing to store). If another command stored events for
        one of them first, nothing is stored and :class:`ConcurrencyConflict` names
        what changed."""
        batch = self.batch_repository.batch
        if batch is not None:  # under group commit, stored with the whole batch
            for aggregate in aggregates:
                batch.collect(aggregate)
            return None
        loaded = {a.id: (a, a.version - len(a.pending_events)) for a in aggregates}
        alone = Batch()
        for aggregate in aggregates:
            alone.collect(aggregate)
        if not alone.events:
            return None
        try:
            recordings = self.record_batch(alone)
        except RecordConflictError:
            raise self._conflicts(loaded) from None
        return recordings[-1].notification.id

    def construct_repository(self) -> BatchRepository:
        """The library's repository, able to answer loads from a group-commit batch."""
        base = super().construct_repository()
        maxsize = self.env.get(self.AGGREGATE_CACHE_MAXSIZE)
        return BatchRepository(
            base.event_store,
            snapshot_store=base.snapshot_store,
            cache_size=int(maxsize) if maxsize else 0,
        )

    @property
    def batch_repository(self) -> BatchRepository:
        repository = self.repository
        assert isinstance(repository, BatchRepository)
        return repository

    def record_batch(self, batch: Batch) -> list[Recording[UUID]]:
        """Store a group-commit batch's events in one transaction (see
        ``loop.group_commit``); raises :class:`RecordConflictError` unchanged."""
        processing = batch.processing_event()
        recordings = self._record(processing)
        self._take_snapshots(processing)
        self._notify(recordings)
        return recordings

    @staticmethod
    def _ack(incident: Incident, position: int | None) -> Ack:
        return Ack(str(incident.id), incident.version, incident.stage, position)

    def _conflicts(self, loaded: Mapping[UUID, tuple[Aggregate, int]]) -> ConcurrencyConflict:
        changed = []
        for aggregate_id, (aggregate, version) in loaded.items():
            head = self.recorder.select_events(aggregate_id, desc=True, limit=1)
            current = head[0].originator_version if head else 0
            if current != version:
                changed.append((type(aggregate).__name__, aggregate_id, current))
        incidents = [c for c in changed if c[0] == "Incident"]
        if incidents:
            _, aggregate_id, current = incidents[0]
            error = self._conflict_with(aggregate_id, current)
        else:
            first_id, (first, first_version) = next(iter(loaded.items()))
            kind, aggregate_id, current = (
                changed[0] if changed else (type(first).__name__, first_id, first_version)
            )
            zh, en = AGGREGATE_LABELS.get(kind, ("记录", "record"))
            error = ConcurrencyConflict(
                f"{zh}已被他人更新，请刷新后重试",
                f"The {en} was changed by someone else; reload and retry",
                aggregate=kind,
                aggregate_id=str(aggregate_id),
                current_version=current,
            )
        error.details["conflicts"] = [
            {"aggregate": k, "id": str(i), "current_version": v} for k, i, v in changed
        ]
        return error

    @classmethod
    def _conflict(cls, current: Incident) -> ConcurrencyConflict:
        return cls._conflict_with(current.id, current.version)

    @staticmethod
    def _conflict_with(incident_id: UUID, current_version: int) -> ConcurrencyConflict:
        return ConcurrencyConflict(
            "警情已被他人更新，请刷新后重试",
            "The incident was changed by someone else; reload and retry",
            incident_id=str(incident_id),
            current_version=current_version,
        )
