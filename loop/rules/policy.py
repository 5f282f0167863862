"""Policy as data: who may take each step within which scope, and deadlines.

A step is permitted when any rule for it names the actor's role, allows the
incident's current stage, and the actor stands in the rule's scope to the
incident (``loop.rules.access``: the one vocabulary every rule is written in;
``loop.rules.permissions`` looks the rules up with the others).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from loop.rules.access import Grant, Scope, grant
from loop.rules.vocabulary import Role, Urgency


@dataclass(frozen=True)
class Rule:
    step: str
    roles: frozenset[Role]
    scope: Scope
    stages: frozenset[str] | None = None

    @property
    def grant(self) -> Grant:
        return Grant(self.roles, self.scope, self.stages)


def rule(step: str, roles: Iterable[Role], scope: Scope, stages: Iterable[str] = ()) -> Rule:
    granted = grant(roles, scope, stages)
    return Rule(step, granted.roles, granted.scope, granted.stages)


R = Role
S = Scope
RULES: tuple[Rule, ...] = (
    rule("discover", [R.VOLUNTEER], S.SELF),
    rule("discover", [R.COMMUNITY_OFFICER, R.AUXILIARY], S.COMMUNITY),
    rule("report", [R.VOLUNTEER], S.SELF),
    rule("report", [R.COMMUNITY_OFFICER, R.AUXILIARY], S.COMMUNITY),
    rule("accept", [R.COMMUNITY_OFFICER], S.OWNER, ["reported"]),
    rule("accept", [R.STATION_OFFICER], S.OWNER, ["escalated_to_station"]),
    rule("accept", [R.COUNTY_OFFICER], S.OWNER, ["escalated_to_county"]),
    rule("escalate", [R.COMMUNITY_OFFICER], S.OWNER, ["reported", "handling_community"]),
    rule("escalate", [R.STATION_OFFICER], S.OWNER, ["handling_station"]),
    rule("return", [R.STATION_OFFICER], S.OWNER, ["escalated_to_station", "handling_station"]),
    rule("return", [R.COUNTY_OFFICER], S.OWNER, ["escalated_to_county", "handling_county"]),
    rule("divert", [R.COMMUNITY_OFFICER], S.OWNER),
    rule("hand_over", [R.COMMUNITY_CADRE, R.COMMUNITY_DIRECTOR], S.OWNER),
    rule(
        "chase",
        [R.COMMUNITY_OFFICER],
        S.COMMUNITY,
        ["escalated_to_station", "handling_station", "escalated_to_county", "handling_county"],
    ),
    rule("chase", [R.COMMUNITY_CADRE, R.COMMUNITY_DIRECTOR], S.COMMUNITY, ["handed_over"]),
    rule("record_outcome", [R.COMMUNITY_OFFICER], S.OWNER, ["handling_community"]),
    rule("record_outcome", [R.STATION_OFFICER], S.OWNER, ["handling_station"]),
    rule("record_outcome", [R.COUNTY_OFFICER], S.OWNER, ["handling_county"]),
    rule(
        "record_outcome",
        [R.COMMUNITY_OFFICER],
        S.COMMUNITY,
        ["handling_station", "handling_county"],
    ),
    rule(
        "record_outcome",
        [R.COMMUNITY_CADRE, R.COMMUNITY_DIRECTOR],
        S.COMMUNITY,
        ["handed_over"],
    ),
    rule("confirm_self_handled", [R.COMMUNITY_OFFICER], S.OWNER),
    rule("propose_score", [R.COMMUNITY_CADRE, R.COMMUNITY_OFFICER], S.COMMUNITY),
    rule("sign_score", [R.COMMUNITY_DIRECTOR, R.COMMUNITY_OFFICER], S.COMMUNITY),
    rule("reward", [R.COMMUNITY_OFFICER, R.COMMUNITY_CADRE, R.COMMUNITY_DIRECTOR], S.COMMUNITY),
    rule("publicize", [R.PUBLICITY_OFFICER], S.COUNTY),
    rule("close", [R.COMMUNITY_OFFICER], S.COMMUNITY),
    rule("reject", [R.COMMUNITY_OFFICER], S.OWNER, ["reported", "handling_community"]),
    rule("reject", [R.COMMUNITY_OFFICER], S.COMMUNITY, ["rewarded", "publicized", "closed"]),
)


def step_grants() -> dict[str, tuple[Grant, ...]]:
    """The rules as grants, by step (a new incident is ``discover``)."""
    found: dict[str, list[Grant]] = {}
    for each in RULES:
        found.setdefault(each.step, []).append(each.grant)
    return {step: tuple(grants) for step, grants in found.items()}


# -- ownership and deadlines ---------------------------------------------------

STAGE_OWNERS: dict[str, tuple[str, Role]] = {
    "discovered": ("community", R.VOLUNTEER),
    "reported": ("community", R.COMMUNITY_OFFICER),
    "handling_community": ("community", R.COMMUNITY_OFFICER),
    "escalated_to_station": ("station", R.STATION_OFFICER),
    "handling_station": ("station", R.STATION_OFFICER),
    "escalated_to_county": ("county", R.COUNTY_OFFICER),
    "handling_county": ("county", R.COUNTY_OFFICER),
    "diverted": ("community", R.COMMUNITY_CADRE),
    "handed_over": ("community", R.COMMUNITY_CADRE),
    "outcome_recorded": ("community", R.COMMUNITY_CADRE),
    "score_proposed": ("community", R.COMMUNITY_DIRECTOR),
    "scored": ("community", R.COMMUNITY_OFFICER),
    "rewarded": ("community", R.COMMUNITY_OFFICER),
    "publicized": ("community", R.COMMUNITY_OFFICER),
}


def _hours(n: float) -> timedelta:
    return timedelta(hours=n)


@dataclass(frozen=True)
class Policy:
    """Deadlines per stage (general reports) with urgent overrides, score limits,
    and the window a moment entered as a fact (when it happened, when a department
    received it) must fall in: not before the county's records begin, not after
    now by more than a clock's drift."""

    name: str
    deadlines: dict[str, timedelta]
    urgent_deadlines: dict[str, timedelta] = field(default_factory=dict)
    max_points_per_incident: int = 150
    records_begin: datetime = datetime(2020, 1, 1, tzinfo=timezone(timedelta(hours=8)))
    clock_tolerance: timedelta = timedelta(minutes=5)

    def window(self, now: datetime) -> tuple[datetime, datetime]:
        """The earliest and latest moment a fact may name, ``now``."""
        return self.records_begin, now + self.clock_tolerance

    def deadline(self, stage: str, urgency: str | None) -> timedelta:
        if urgency == Urgency.URGENT and stage in self.urgent_deadlines:
            return self.urgent_deadlines[stage]
        return self.deadlines[stage]


LISHU = Policy(
    name="lishu",
    # records_begin and clock_tolerance: the defaults (records from 1 January 2020).
    deadlines={
        "discovered": _hours(24),  # feed the discovery back within a day
        "reported": _hours(24),  # triage by the community police office
        "handling_community": _hours(24 * 7),
        "escalated_to_station": _hours(24),  # the station accepts or returns
        "handling_station": _hours(24 * 15),
        "escalated_to_county": _hours(24),
        "handling_county": _hours(24 * 30),
        "diverted": _hours(24),  # handed over to the department with a record
        "handed_over": _hours(24 * 15),  # cadre obtains the department's outcome
        "outcome_recorded": _hours(24 * 3),  # score proposed
        "score_proposed": _hours(24 * 3),  # director and officer sign
        "scored": _hours(24),  # points deposited
        "rewarded": _hours(24 * 7),  # publicized or closed
        "publicized": _hours(24),
    },
    # The 1-3-5-minute response circle for urgent phone reports: the community
    # office responds within 1 minute, the station within 3, the county within 5.
    urgent_deadlines={
        "discovered": timedelta(minutes=1),
        "reported": timedelta(minutes=1),
        "escalated_to_station": timedelta(minutes=3),
        "escalated_to_county": timedelta(minutes=5),
        "handling_community": _hours(2),
        "handling_station": _hours(12),
        "handling_county": _hours(24),
    },
)

PRESETS = {"lishu": LISHU}
