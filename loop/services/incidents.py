"""``IncidentFlow``: the application service driving incidents around the loop.

Every command validates its input, loads the incident, asks the declared loop
whether the step is legal from the current stage, asks the policy table whether
this actor may take it here, records the step with its route (the next owner and
due time) and saves. A refused command raises before anything is saved.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

from eventsourcing.domain import Aggregate

from aggregates.actor import Actor
from aggregates.incident import CLOSED_STAGES, SIGNER_ROLES, Incident, Route
from aggregates.points_account import PointsAccount
from loop.errors import (
    InvalidInput,
    NotPermitted,
)
from loop.rules import inputs, units
from loop.rules.policy import LISHU, SCOPE_LABELS, STAGE_OWNERS, Policy, permits, rules_for
from loop.rules.scoring import LISHU_SCORING, ScoringPolicy
from loop.rules.stages import LOOP, STAGES, STEPS
from loop.rules.vocabulary import (
    Channel,
    Module,
    OutcomeSource,
    RejectionKind,
    Role,
    Sense,
    Urgency,
    label,
)
from loop.services import personal
from loop.services.lookup import find_account, load_incident, points_account
from loop.storage.application import LoopApplication, incident_conflict

# Records one step on the incident; returns any other aggregate the step changed
# (the volunteer's points account), saved in the same transaction.
Recorder = Callable[[Incident, datetime, Route], Sequence[Aggregate] | None]

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


class IncidentFlow:
    """One method per step of the loop; reads for audit live in ``loop.services.audit``.

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
        return self._ack(incident, self.app.commit(incident))

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
        account = find_account(self.app, incident.reporter_id)
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
        """The steps ``actor`` may take on the incident now: legal from its stage,
        permitted by the policy table for the actor's role and unit, and (for a
        signature) not refused by the co-signature rules."""
        incident = self.get(incident_id)
        return [
            step
            for step in LOOP.legal_steps(incident.stage, self._facts(incident, actor))
            if permits(step, incident.stage, actor, **self._where(incident))
            and (step != "sign_score" or incident.signature_refusal(actor) is None)
            and (step != "reward" or find_account(self.app, incident.reporter_id) is not None)
        ]

    def get(self, incident_id: UUID, version: int | None = None) -> Incident:
        """The incident, now or at ``version``; :class:`IncidentNotFound` if absent."""
        return load_incident(self.app, incident_id, version)

    def points_account(self, volunteer_id: str) -> PointsAccount:
        """The volunteer's Happiness Bank account; :class:`AccountNotFound` if the
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
            raise incident_conflict(incident.id, incident.version)
        changed = self._apply_step(incident, step, actor, self.app.clock(), record, urgency)
        return self._ack(incident, self.app.commit(incident, *changed))

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
        target = LOOP.target(incident.stage, step, self._facts(incident, actor))
        self._check_permitted(step, incident.stage, actor, **self._where(incident))
        if target.dest == incident.stage:  # a step within the stage keeps owner and due
            route = Route(incident.stage, incident.owner_unit, incident.owner_role, incident.due_at)
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
            None
            if informant is None
            else personal.person("informant", informant, self.app.key_store)
        )
        affected = personal.people("victims", victims, self.app.key_store)
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
        at = self.app.clock()
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

    @staticmethod
    def _ack(incident: Incident, position: int | None) -> Ack:
        return Ack(str(incident.id), incident.version, incident.stage, position)
