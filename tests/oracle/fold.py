"""The oracle's fold: every stored event, read back through the application's
notification log, kept as plain records.

Deliberately naive and independent of ``projections/`` (it imports none of it):
no tables, no batches, no counters kept up to date. It keeps each incident's
steps, each account's ledger entries and each item's changes as they were
recorded, and derives a stage, an owner and a due time from the regulations
restated here (not from the routes the events carry), so a mistake in the
loop's routing shows as a disagreement too. ``tests.oracle.reads`` answers each
read from these records by looking at all of them every time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from eventsourcing.persistence import ApplicationRecorder, Mapper

from tests.oracle.duty_fold import Duty, DutyFold, NoticeRecord

CHINA = timezone(timedelta(hours=8))
SIGNERS = ("director", "officer")  # the co-signature: community director AND officer

# Who owns an open incident in each stage: (tier of the incident's community, role).
# The score awaiting signatures is owned by whichever signer has not signed yet.
OWNERS: dict[str, tuple[str, str]] = {
    "discovered": ("community", "volunteer"),
    "reported": ("community", "community_officer"),
    "handling_community": ("community", "community_officer"),
    "escalated_to_station": ("station", "station_officer"),
    "handling_station": ("station", "station_officer"),
    "escalated_to_county": ("county", "county_officer"),
    "handling_county": ("county", "county_officer"),
    "diverted": ("community", "community_cadre"),
    "handed_over": ("community", "community_cadre"),
    "outcome_recorded": ("community", "community_cadre"),
    "score_proposed": ("community", "community_director"),
    "scored": ("community", "community_officer"),
    "rewarded": ("community", "community_officer"),
    "publicized": ("community", "community_officer"),
}
SIGNER_OWNERS = {"director": "community_director", "officer": "community_officer"}
ENDED = ("closed", "rejected")
TIERS = {"county": 1, "station": 2, "community": 3}


def month(moment: datetime) -> str:
    local = moment.astimezone(CHINA)
    return f"{local.year}-{local.month:02d}"


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def ancestor(unit: str, tier: str) -> str:
    return "/".join(unit.split("/")[: TIERS[tier]])


def within(unit: str | None, scope: str) -> bool:
    return unit is not None and (unit == scope or unit.startswith(scope + "/"))


def level(unit: str) -> str:
    return {1: "county", 2: "station", 3: "community"}[len(unit.split("/"))]


@dataclass
class Step:
    name: str
    at: datetime
    facts: dict[str, Any]


@dataclass
class Case:
    """One incident as the oracle reads its events."""

    incident_id: str
    community: str
    module: str
    sense: str
    what: str
    place: str
    reporter_id: str
    opened_at: datetime
    by_resident: bool = False  # a resident's report: closed by the officer once handled
    steps: list[Step] = field(default_factory=list)
    # derived while folding, from the regulations restated above:
    stage: str = "discovered"
    stage_since: datetime | None = None
    urgency: str | None = None
    due_at: datetime | None = None
    signed: set[str] = field(default_factory=set)
    timeline: list[tuple[datetime, dict[str, Any] | None]] = field(default_factory=list)

    def first(self, name: str) -> Step | None:
        return next((s for s in self.steps if s.name == name), None)

    def last(self, name: str) -> Step | None:
        return next((s for s in reversed(self.steps) if s.name == name), None)

    @property
    def is_open(self) -> bool:
        return self.stage not in ENDED

    def owner(self) -> tuple[str | None, str | None]:
        if not self.is_open:
            return None, None
        tier, role = OWNERS[self.stage]
        if self.stage == "outcome_recorded" and self.by_resident:
            role = "community_officer"  # no score: the officer closes it
        if self.stage == "score_proposed":
            missing = [s for s in SIGNERS if s not in self.signed]
            role = SIGNER_OWNERS[missing[0]]
        return ancestor(self.community, tier), role

    def standing(self) -> dict[str, Any] | None:
        """What a backlog shows of it now (None once it has ended)."""
        unit, role = self.owner()
        if unit is None:
            return None
        return {
            "incident_id": self.incident_id,
            "stage": self.stage,
            "owner_unit": unit,
            "owner_role": role,
            "tier": level(unit),
            "community": self.community,
            "module": self.module,
            "urgency": self.urgency,
            "opened_at": self.opened_at,
            "due_at": self.due_at,
        }


@dataclass
class Person:
    volunteer_id: str
    community: str | None = None
    status: str | None = None
    squad: str | None = None
    account: str | None = None
    base: int = 0
    entries: list[dict[str, Any]] = field(default_factory=list)
    evaluations: dict[str, tuple[bool, str]] = field(default_factory=dict)


@dataclass
class Item:
    item_id: str
    bank: str
    name: str
    donors: list[str]
    stock: int
    price: int
    limit: int | None
    handed_out: int = 0


class Deadlines:
    """The policy's deadlines, as data: general, and urgent where it sets one."""

    def __init__(self, general: Mapping[str, timedelta], urgent: Mapping[str, timedelta]) -> None:
        self.general = dict(general)
        self.urgent = dict(urgent)

    def of(self, stage: str, urgency: str | None) -> timedelta:
        if urgency == "urgent" and stage in self.urgent:
            return self.urgent[stage]
        return self.general[stage]


class Fold(DutyFold):
    """Reads the notification log from where it stopped and folds each event."""

    def __init__(self, recorder: ApplicationRecorder, mapper: Mapper[Any], deadlines: Deadlines):
        self.recorder = recorder
        self.mapper = mapper
        self.deadlines = deadlines
        self.position = 0
        self.events = 0
        self.cases: dict[str, Case] = {}
        self.people: dict[str, Person] = {}
        self.accounts: dict[str, str] = {}  # account id -> volunteer id
        self.volunteer_keys: dict[str, str] = {}  # volunteer aggregate id -> volunteer id
        self.items: dict[str, Item] = {}
        self.duties: dict[str, Duty] = {}
        self.notices: dict[str, NoticeRecord] = {}
        self.touched_tasks: set[str] = set()
        self.touched_notices: set[str] = set()
        self.broken: list[str] = []  # events that say otherwise than the rules restated
        self.read_marks: dict[str, dict[str, datetime]] = {}  # person -> message -> when
        self.touched: set[str] = set()  # incidents changed since ``touched`` was cleared
        self.told: dict[str, list[tuple[str, str]]] = {}  # volunteer -> (kind, incident) told
        self.forgotten: set[str] = set()  # people erased: told nothing after
        self.unknown: list[str] = []  # event names met that nothing here reads

    def read(self, limit: int = 1000) -> int:
        """Fold every notification after the last one read; how many were read."""
        count = 0
        while True:
            page = self.recorder.select_notifications(
                start=self.position, limit=limit, inclusive_of_start=False
            )
            if not page:
                return count
            for notification in page:
                event = self.mapper.to_domain_event(notification)
                self.apply(type(event).__qualname__, event)
                self.position = notification.id
                count += 1
            self.events += len(page)

    def apply(self, name: str, event: Any) -> None:
        kind, _, what = name.partition(".")
        handler = getattr(self, f"_{kind.lower()}", None)
        if handler is None or not handler(what, event):
            self.unknown.append(name)

    # -- incidents -----------------------------------------------------------------

    def _incident(self, what: str, event: Any) -> bool:
        incident_id = str(event.originator_id)
        at: datetime = event.timestamp
        if what == "Discovered":
            case = Case(
                incident_id,
                event.community,
                event.module,
                event.sense,
                event.what,
                event.where,
                event.reporter_id,
                at,
                by_resident=event.reporter_kind == "resident",
            )
            self.cases[incident_id] = case
            self._enter(case, "discovered", at)
        else:
            case = self.cases[incident_id]
            facts = {
                k: v
                for k, v in vars(event).items()
                if k not in ("originator_id", "originator_version", "timestamp", "actor")
            }
            case.steps.append(Step(what, at, facts))
            self._tell_reporter(case, what, facts)
            if what == "Reported":
                case.urgency = event.urgency
            if what == "ScoreProposed":
                case.signed = set()
            if what == "ScoreSigned":
                case.signed.add(event.signer_role)
            stage = self._next_stage(case, what)
            if stage != case.stage:
                self._enter(case, stage, at)
        case.timeline.append((at, case.standing()))
        self.touched.add(incident_id)
        return what in STEP_NAMES

    def _tell_reporter(self, case: Case, what: str, facts: dict[str, Any]) -> None:
        """The volunteer is told when his report is accepted, its score takes effect
        (both signatures) and it is rewarded ("已兑现30积分"), unless he was forgotten."""
        kind = REPORTER_TOLD.get(what)
        if what == "ScoreSigned" and facts.get("stage") != "scored":
            kind = None
        if kind is not None and case.reporter_id not in self.forgotten:
            self.told.setdefault(case.reporter_id, []).append((kind, case.incident_id))

    def _enter(self, case: Case, stage: str, at: datetime) -> None:
        case.stage = stage
        case.stage_since = at
        case.due_at = None if stage in ENDED else at + self.deadlines.of(stage, case.urgency)

    @staticmethod
    def _next_stage(case: Case, what: str) -> str:
        stage = case.stage
        if what == "AcceptedForHandling":
            return {
                "reported": "handling_community",
                "escalated_to_station": "handling_station",
                "escalated_to_county": "handling_county",
            }[stage]
        if what == "Escalated":
            return "escalated_to_county" if stage == "handling_station" else "escalated_to_station"
        if what == "Returned":
            to_station = stage in ("escalated_to_county", "handling_county")
            return "handling_station" if to_station else "handling_community"
        if what == "FollowUpChased":
            return stage
        if what == "ScoreSigned":
            return "scored" if case.signed >= set(SIGNERS) else "score_proposed"
        return STEP_STAGES[what]

    # -- volunteers and their accounts ---------------------------------------------------

    def _person(self, volunteer_id: str) -> Person:
        return self.people.setdefault(volunteer_id, Person(volunteer_id))

    def _volunteer(self, what: str, event: Any) -> bool:
        key = str(event.originator_id)
        if what == "Applied":
            self.volunteer_keys[key] = event.volunteer_id
            person = self._person(event.volunteer_id)
            person.community, person.status = event.community, "applied"
            return True
        person = self._person(self.volunteer_keys[key])
        if what == "Admitted":
            person.status, person.squad = "active", event.squad
        elif what == "Rejected":
            person.status = "rejected"
        elif what == "StatusChanged":
            person.status = event.status
        return what in VOLUNTEER_EVENTS

    def _pointsaccount(self, what: str, event: Any) -> bool:
        key = str(event.originator_id)
        if what == "Opened":
            self.accounts[key] = event.volunteer_id
            person = self._person(event.volunteer_id)
            person.account, person.community, person.base = key, event.community, event.base_points
            return True
        person = self._person(self.accounts[key])
        if what == "MonthEvaluated":
            person.evaluations[event.period] = (bool(event.passed), event.note)
            return True
        if what in ("Deposited", "Redeemed", "Deducted", "Reversed"):
            entry = {"kind": what, "amount": int(event.amount), "period": event.period}
            entry["at"] = event.timestamp
            if what == "Deposited":  # for an incident, or a duty task (v2 names the source)
                entry["source"], entry["incident_id"] = event.source, event.source_id
                if event.source == "task":
                    self.task_deposit(event)
            if what == "Reversed":
                entry["incident_id"] = event.incident_id
            if what in ("Deducted", "Reversed"):
                entry["shortfall"] = int(event.shortfall)
            person.entries.append(entry)
            return True
        return what == "StarLevelChanged"

    # -- the catalogue ---------------------------------------------------------------------

    def _rewarditem(self, what: str, event: Any) -> bool:
        key = str(event.originator_id)
        if what == "Donated":
            self.items[key] = Item(
                key,
                event.bank,
                event.name,
                [event.donor],
                int(event.stock),
                int(event.price),
                event.limit_per_volunteer,
            )
            return True
        item = self.items[key]
        if what == "Restocked":
            item.stock += int(event.quantity)
            if event.donor not in item.donors:
                item.donors.append(event.donor)
            return True
        if what == "HandedOut":
            item.stock -= int(event.quantity)
            item.handed_out += int(event.quantity)
            return True
        return False

    def _erasure(self, what: str, event: Any) -> bool:  # personal data erased: told no more
        if what == "Erased":
            self.forgotten.add(event.subject_id)
        return what == "Erased"


REPORTER_TOLD = {
    "AcceptedForHandling": "report_accepted",
    "ScoreSigned": "report_scored",
    "Rewarded": "report_rewarded",
}
"""The steps that tell the reporting volunteer, and what (a score: once in effect)."""

STEP_STAGES = {
    "Reported": "reported",
    "Diverted": "diverted",
    "HandedOver": "handed_over",
    "OutcomeRecorded": "outcome_recorded",
    "ScoreProposed": "score_proposed",
    "Rewarded": "rewarded",
    "Publicized": "publicized",
    "Closed": "closed",
    "Rejected": "rejected",
}
STEP_NAMES = {
    "Discovered",
    "AcceptedForHandling",
    "Escalated",
    "Returned",
    "FollowUpChased",
    "ScoreSigned",
    *STEP_STAGES,
}
VOLUNTEER_EVENTS = {
    "Admitted",
    "Rejected",
    "StatusChanged",
    "Reviewed",
    "JoinedTeam",
    "HonourAwarded",
}
"""What a volunteer's record may hold besides the application (the last three
change nothing the read models show)."""
