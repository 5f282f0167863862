"""Policy as data: who may take each step within which unit, and deadlines.

A step is permitted when any rule for it names the actor's role, allows the
incident's current stage, and the actor's unit satisfies the rule's scope.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from aggregates.actor import Actor
from loop.rules import units
from loop.rules.vocabulary import Role, Urgency


class Scope(StrEnum):
    OWNER = "owner"  # the actor's unit owns the incident now
    COMMUNITY = "community"  # the actor belongs to the incident's community
    COUNTY = "county"  # the actor's unit is the county bureau above the incident
    REPORTER = "reporter"  # the actor is the volunteer who discovered it


SCOPE_LABELS = {
    Scope.OWNER: "当前承办单位",
    Scope.COMMUNITY: "警情所在社区",
    Scope.COUNTY: "警情所属县局",
    Scope.REPORTER: "发现警情的义警本人",
}


@dataclass(frozen=True)
class Rule:
    step: str
    roles: frozenset[Role]
    scope: Scope
    stages: frozenset[str] | None = None


def rule(step: str, roles: Iterable[Role], scope: Scope, stages: Iterable[str] = ()) -> Rule:
    return Rule(step, frozenset(roles), scope, frozenset(stages) or None)


R = Role
RULES: tuple[Rule, ...] = (
    rule("discover", [R.VOLUNTEER], Scope.REPORTER),
    rule("discover", [R.COMMUNITY_OFFICER, R.AUXILIARY], Scope.COMMUNITY),
    rule("report", [R.VOLUNTEER], Scope.REPORTER),
    rule("report", [R.COMMUNITY_OFFICER, R.AUXILIARY], Scope.COMMUNITY),
    rule("accept", [R.COMMUNITY_OFFICER], Scope.OWNER, ["reported"]),
    rule("accept", [R.STATION_OFFICER], Scope.OWNER, ["escalated_to_station"]),
    rule("accept", [R.COUNTY_OFFICER], Scope.OWNER, ["escalated_to_county"]),
    rule("escalate", [R.COMMUNITY_OFFICER], Scope.OWNER, ["reported", "handling_community"]),
    rule("escalate", [R.STATION_OFFICER], Scope.OWNER, ["handling_station"]),
    rule("return", [R.STATION_OFFICER], Scope.OWNER, ["escalated_to_station", "handling_station"]),
    rule("return", [R.COUNTY_OFFICER], Scope.OWNER, ["escalated_to_county", "handling_county"]),
    rule("divert", [R.COMMUNITY_OFFICER], Scope.OWNER),
    rule("hand_over", [R.COMMUNITY_CADRE, R.COMMUNITY_DIRECTOR], Scope.OWNER),
    rule(
        "chase",
        [R.COMMUNITY_OFFICER],
        Scope.COMMUNITY,
        ["escalated_to_station", "handling_station", "escalated_to_county", "handling_county"],
    ),
    rule("chase", [R.COMMUNITY_CADRE, R.COMMUNITY_DIRECTOR], Scope.COMMUNITY, ["handed_over"]),
    rule("record_outcome", [R.COMMUNITY_OFFICER], Scope.OWNER, ["handling_community"]),
    rule("record_outcome", [R.STATION_OFFICER], Scope.OWNER, ["handling_station"]),
    rule("record_outcome", [R.COUNTY_OFFICER], Scope.OWNER, ["handling_county"]),
    rule(
        "record_outcome",
        [R.COMMUNITY_OFFICER],
        Scope.COMMUNITY,
        ["handling_station", "handling_county"],
    ),
    rule(
        "record_outcome",
        [R.COMMUNITY_CADRE, R.COMMUNITY_DIRECTOR],
        Scope.COMMUNITY,
        ["handed_over"],
    ),
    rule("confirm_self_handled", [R.COMMUNITY_OFFICER], Scope.OWNER),
    rule("propose_score", [R.COMMUNITY_CADRE, R.COMMUNITY_OFFICER], Scope.COMMUNITY),
    rule("sign_score", [R.COMMUNITY_DIRECTOR, R.COMMUNITY_OFFICER], Scope.COMMUNITY),
    rule("reward", [R.COMMUNITY_OFFICER, R.COMMUNITY_CADRE, R.COMMUNITY_DIRECTOR], Scope.COMMUNITY),
    rule("publicize", [R.PUBLICITY_OFFICER], Scope.COUNTY),
    rule("close", [R.COMMUNITY_OFFICER], Scope.COMMUNITY),
    rule("reject", [R.COMMUNITY_OFFICER], Scope.OWNER, ["reported", "handling_community"]),
    rule("reject", [R.COMMUNITY_OFFICER], Scope.COMMUNITY, ["rewarded", "publicized", "closed"]),
)


def in_scope(
    scope: Scope, actor: Actor, *, owner_unit: str | None, community: str, reporter_id: str
) -> bool:
    if scope is Scope.OWNER:
        return owner_unit is not None and actor.unit == owner_unit
    if scope is Scope.COMMUNITY:
        return actor.unit == community
    if scope is Scope.COUNTY:
        return units.level(actor.unit) == "county" and units.within(community, actor.unit)
    return actor.id == reporter_id


def rules_for(step: str, stage: str | None) -> list[Rule]:
    return [r for r in RULES if r.step == step and (r.stages is None or stage in r.stages)]


def permits(
    step: str,
    stage: str | None,
    actor: Actor,
    *,
    owner_unit: str | None,
    community: str,
    reporter_id: str,
) -> bool:
    """Whether any rule lets ``actor`` take ``step`` from ``stage`` on this incident."""
    return any(
        actor.role in r.roles
        and in_scope(
            r.scope, actor, owner_unit=owner_unit, community=community, reporter_id=reporter_id
        )
        for r in rules_for(step, stage)
    )


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
    """Deadlines per stage (general reports) with urgent overrides, and score limits."""

    name: str
    deadlines: dict[str, timedelta]
    urgent_deadlines: dict[str, timedelta] = field(default_factory=dict)
    max_points_per_incident: int = 150

    def deadline(self, stage: str, urgency: str | None) -> timedelta:
        if urgency == Urgency.URGENT and stage in self.urgent_deadlines:
            return self.urgent_deadlines[stage]
        return self.deadlines[stage]


LISHU = Policy(
    name="lishu",
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
