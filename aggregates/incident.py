"""The Incident aggregate: one reported hazard travelling the Lishu closed loop.

The aggregate records facts. Which step is legal from which stage, who may
take it and when it falls due are decided by ``loop/`` before a method here is
called; every step event therefore carries the stage it moved the incident to,
the unit and role that own it next and their due time (the closed-loop
invariant), so the events alone describe the loop.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from aggregates.actor import Actor
from aggregates.errors import SignatureRefused
from aggregates.personal import PersonalData

CLOSED_STAGES = frozenset({"closed", "rejected"})
VOLUNTEER_REPORTER = "volunteer"
RESIDENT_REPORTER = "resident"
REPORTER_KINDS = (VOLUNTEER_REPORTER, RESIDENT_REPORTER)
SIGNER_ROLES = {"community_director": "director", "community_officer": "officer"}


class Route(NamedTuple):
    """Where a step leaves the incident: its stage and who owns it until when."""

    stage: str
    owner_unit: str | None
    owner_role: str | None
    due_at: datetime | None


class Incident(Aggregate):
    """A hazard or situation a volunteer discovered, driven around the loop."""

    class_version = 3  # v2: the informant and victims; v3: who reported, from where

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """A snapshot taken before reports named people names none (nor a
        redaction review)."""
        state.setdefault("informant", None)
        state.setdefault("victims", [])
        state.setdefault("redaction_note", None)

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        """A snapshot taken before residents reported was a volunteer's report."""
        _reported_by_volunteer(state)

    class Event(Aggregate.Event):
        actor: Actor

    class Stepped(Event):
        """Base of every step: it moves the incident and hands ownership on."""

        stage: str
        owner_unit: str | None
        owner_role: str | None
        due_at: datetime | None

        def apply(self, aggregate: Any) -> None:
            incident: Incident = aggregate
            incident.stage = self.stage
            incident.owner_unit = self.owner_unit
            incident.owner_role = self.owner_role
            incident.due_at = self.due_at
            incident.last_actor = self.actor
            self.record(incident)

        def record(self, incident: Incident) -> None:
            """Apply this step's own facts; the routing is already set."""

    class Discovered(Event, Aggregate.Created):
        """v2 adds the informant and victims the report names (personal data); v3
        whether a volunteer or a resident reported it, the resident's contact
        details (personal data), the point (WGS84) and where the report came in
        (``intake``: the public form or another app, never personal data)."""

        class_version = 3

        module: str
        sense: str
        what: str
        where: str
        occurred_at: datetime
        reporter_id: str
        community: str
        stage: str
        owner_unit: str | None
        owner_role: str | None
        due_at: datetime | None
        informant: PersonalData | None
        victims: list[PersonalData]
        reporter_kind: str
        resident: PersonalData | None
        point: dict[str, float] | None
        intake: dict[str, str | None] | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Discoveries recorded before reports named people name none."""
            state.setdefault("informant", None)
            state.setdefault("victims", [])

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            """Discoveries recorded before residents reported were volunteers'."""
            _reported_by_volunteer(state)

    class Reported(Stepped):
        channel: str
        urgency: str
        self_handled_note: str | None

        def record(self, incident: Incident) -> None:
            incident.channel = self.channel
            incident.urgency = self.urgency
            incident.self_handled_note = self.self_handled_note

    class AcceptedForHandling(Stepped):
        tier: str

        def record(self, incident: Incident) -> None:
            incident.tier = self.tier

    class Escalated(Stepped):
        from_tier: str
        to_tier: str
        reason: str

        def record(self, incident: Incident) -> None:
            incident.escalations.append(
                {"from": self.from_tier, "to": self.to_tier, "reason": self.reason}
            )

    class Returned(Stepped):
        from_tier: str
        to_tier: str
        reason: str

        def record(self, incident: Incident) -> None:
            incident.tier = self.to_tier
            incident.returns.append(
                {"from": self.from_tier, "to": self.to_tier, "reason": self.reason}
            )

    class Diverted(Stepped):
        reason: str
        after_arrival: bool

        def record(self, incident: Incident) -> None:
            incident.diversion = {"reason": self.reason, "after_arrival": self.after_arrival}

    class HandedOver(Stepped):
        department: str
        received_by: str
        received_at: datetime

        def record(self, incident: Incident) -> None:
            incident.handover = {
                "from": self.actor.id,
                "from_unit": self.actor.unit,
                "department": self.department,
                "received_by": self.received_by,
                "received_at": self.received_at,
            }

    class FollowUpChased(Stepped):
        asked: str
        answer: str

        def record(self, incident: Incident) -> None:
            incident.follow_ups.append(
                {"by": self.actor.id, "asked": self.asked, "answer": self.answer}
            )

    class OutcomeRecorded(Stepped):
        source: str
        obtained_from: str
        summary: str

        def record(self, incident: Incident) -> None:
            incident.outcome = {
                "source": self.source,
                "obtained_from": self.obtained_from,
                "summary": self.summary,
            }

    class ScoreProposed(Stepped):
        items: list[dict[str, Any]]
        points: int
        basis: str

        def record(self, incident: Incident) -> None:
            incident.score = {
                "items": self.items,
                "points": self.points,
                "basis": self.basis,
                "proposed_by": self.actor.id,
                "signatures": {},
            }

    class ScoreSigned(Stepped):
        signer_role: str

        def record(self, incident: Incident) -> None:
            incident.score["signatures"][self.signer_role] = self.actor.id

    class Rewarded(Stepped):
        """The effective score rewarded; ``credited`` is what the volunteer's account
        received (less than ``points`` when the period's cap was reached)."""

        points: int
        credited: int
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["credited"] = state["points"]  # before accounts, all was credited

        def record(self, incident: Incident) -> None:
            incident.rewarded_points = self.points

    class Publicized(Stepped):
        """v2 adds the redaction review: what was checked for personal data."""

        class_version = 2

        title: str
        redaction_note: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Publicity before the redaction review existed recorded none."""
            state.setdefault("redaction_note", None)

        def record(self, incident: Incident) -> None:
            incident.publicity_title = self.title
            incident.redaction_note = self.redaction_note

    class Closed(Stepped):
        note: str

        def record(self, incident: Incident) -> None:
            incident.closing_note = self.note

    class Rejected(Stepped):
        kind: str
        reason: str
        related_id: str | None

        def record(self, incident: Incident) -> None:
            incident.rejection = {
                "kind": self.kind,
                "reason": self.reason,
                "related_id": self.related_id,
            }

    def __init__(
        self,
        actor: Actor,
        module: str,
        sense: str,
        what: str,
        where: str,
        occurred_at: datetime,
        reporter_id: str,
        community: str,
        stage: str,
        owner_unit: str | None,
        owner_role: str | None,
        due_at: datetime | None,
        informant: PersonalData | None = None,
        victims: list[PersonalData] | None = None,
        reporter_kind: str = VOLUNTEER_REPORTER,
        resident: PersonalData | None = None,
        point: dict[str, float] | None = None,
        intake: dict[str, str | None] | None = None,
    ) -> None:
        self.module = module
        self.sense = sense
        self.what = what
        self.where = where
        self.occurred_at = occurred_at
        self.reporter_id = reporter_id
        self.community = community
        self.stage = stage
        self.owner_unit = owner_unit
        self.owner_role = owner_role
        self.due_at = due_at
        self.informant = informant
        self.victims = list(victims or [])
        self.reporter_kind = reporter_kind
        self.resident = resident
        self.point = point
        self.intake = intake
        self.last_actor = actor
        self.channel: str | None = None
        self.urgency: str | None = None
        self.self_handled_note: str | None = None
        self.tier: str | None = None
        self.escalations: list[dict[str, str]] = []
        self.returns: list[dict[str, str]] = []
        self.diversion: dict[str, Any] | None = None
        self.handover: dict[str, Any] | None = None
        self.follow_ups: list[dict[str, str]] = []
        self.outcome: dict[str, str] | None = None
        self.score: dict[str, Any] = {}
        self.rewarded_points: int | None = None
        self.publicity_title: str | None = None
        self.redaction_note: str | None = None
        self.closing_note: str | None = None
        self.rejection: dict[str, str | None] | None = None

    # -- creation -------------------------------------------------------------

    @classmethod
    def discover(
        cls,
        actor: Actor,
        at: datetime,
        route: Route,
        *,
        module: str,
        sense: str,
        what: str,
        where: str,
        occurred_at: datetime,
        reporter_id: str,
        community: str,
        informant: PersonalData | None = None,
        victims: list[PersonalData] | None = None,
        incident_id: UUID | None = None,
        reporter_kind: str = VOLUNTEER_REPORTER,
        resident: PersonalData | None = None,
        point: dict[str, float] | None = None,
        intake: dict[str, str | None] | None = None,
    ) -> Incident:
        return cls._create(
            cls.Discovered,
            id=incident_id or uuid4(),
            timestamp=at,
            actor=actor,
            module=module,
            sense=sense,
            what=what,
            where=where,
            occurred_at=occurred_at,
            reporter_id=reporter_id,
            community=community,
            informant=informant,
            victims=list(victims or []),
            reporter_kind=reporter_kind,
            resident=resident,
            point=point,
            intake=intake,
            **route._asdict(),
        )

    # -- facts derived from state ---------------------------------------------

    @property
    def is_closed(self) -> bool:
        return self.stage in CLOSED_STAGES

    @property
    def reported_by_resident(self) -> bool:
        """A member of the public reported it: no points account, no reward."""
        return self.reporter_kind == RESIDENT_REPORTER

    @property
    def claims_self_handled(self) -> bool:
        return bool(self.self_handled_note)

    def signature_completes_score(self, signer_role: str) -> bool:
        """Whether a signature in ``signer_role`` would make the score take effect."""
        signed = set(self.score.get("signatures", {}))
        return signed | {signer_role} == set(SIGNER_ROLES.values())

    # -- steps ----------------------------------------------------------------

    def step(
        self, event_class: type[Stepped], actor: Actor, at: datetime, route: Route, **facts: Any
    ) -> None:
        """Record one step of the loop as ``event_class``."""
        self.trigger_event(event_class, actor=actor, timestamp=at, **route._asdict(), **facts)

    def check_can_sign(self, actor: Actor) -> str:
        """The role ``actor`` signs in, or :class:`SignatureRefused`."""
        refusal = self.signature_refusal(actor)
        if refusal is not None:
            raise refusal
        return SIGNER_ROLES[actor.role]

    def signature_refusal(self, actor: Actor) -> SignatureRefused | None:
        """Why ``actor`` may not co-sign the proposed score, if he may not."""
        signer_role = SIGNER_ROLES.get(actor.role)
        if signer_role is None:
            return SignatureRefused(
                "只有社区主任和社区民警可以签字",
                "Only the community director and the community officer sign scores",
                role=actor.role,
            )
        signatures: dict[str, str] = self.score.get("signatures", {})
        if actor.id in signatures.values():
            return SignatureRefused(
                "同一人不能重复签字，也不能同时以两种身份签字",
                "One person cannot sign twice or sign in both roles",
                signer=actor.id,
            )
        if signer_role in signatures:
            return SignatureRefused(
                "该身份已签字",
                f"The {signer_role} has already signed",
                signer_role=signer_role,
            )
        return None


def _reported_by_volunteer(state: dict[str, Any]) -> None:
    """The defaults of a report recorded before residents could report."""
    state.setdefault("reporter_kind", VOLUNTEER_REPORTER)
    state.setdefault("resident", None)
    state.setdefault("point", None)
    state.setdefault("intake", None)
