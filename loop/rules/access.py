"""The vocabulary of who may do what, where: scopes, records and grants.

Every rule about people acting on records is written in these words, whatever
the domain: a loop step (``loop.rules.policy``), a volunteer, Happiness Bank,
task or notice command and every read (``loop.rules.permissions``), and who
sees whose identity (``loop.rules.masking``). A :class:`Grant` names roles and
the :class:`Scope` their unit or person must stand in to the :class:`Record`;
``loop.rules.permissions`` looks them up by action and builds the refusal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from aggregates.actor import Actor
from loop.rules import units
from loop.rules.vocabulary import Role


class Scope(StrEnum):
    """Where the actor must stand to the record."""

    OWNER = "owner"  # his unit owns the record now (an open incident's owner)
    COMMUNITY = "community"  # he works at the record's community
    STATION = "station"  # he works at the station above the record
    COUNTY = "county"  # he works at the county bureau above the record
    WITHIN = "within"  # the record lies within his unit (it or any unit below it)
    HOME = "home"  # the record belongs to his own unit or one above it
    SELF = "self"  # the record is about him: his report, his record, his account

    @property
    def label(self) -> str:
        return SCOPE_LABELS[self][0]

    @property
    def en(self) -> str:
        return SCOPE_LABELS[self][1]


UNIT_READERS = (
    Role.AUXILIARY,
    Role.COMMUNITY_OFFICER,
    Role.COMMUNITY_CADRE,
    Role.COMMUNITY_DIRECTOR,
    Role.STATION_OFFICER,
    Role.COUNTY_OFFICER,
    Role.PUBLICITY_OFFICER,
    Role.AUDITOR,
)
"""Staff: the roles that read the records and figures of the units in their scope."""

SCOPE_LABELS: dict[Scope, tuple[str, str]] = {
    Scope.OWNER: ("当前承办单位", "the unit owning it now"),
    Scope.COMMUNITY: ("所在社区", "its community"),
    Scope.STATION: ("所属派出所", "its station"),
    Scope.COUNTY: ("所属县局", "its county bureau"),
    Scope.WITHIN: ("本单位辖区", "within their unit"),
    Scope.HOME: ("本人所在社区及上级单位", "their own unit or one above it"),
    Scope.SELF: ("本人", "themselves"),
}


@dataclass(frozen=True)
class Record:
    """What a rule needs to know of a record: the unit it belongs to (an incident's
    or volunteer's community, an item's bank, a unit read), the person it is about
    (an incident's reporter, the volunteer), the unit owning it now and its stage."""

    kind: str
    unit: str
    person: str | None = None
    owner: str | None = None
    stage: str | None = None


def incident_record(incident: Any) -> Record:
    """An incident (anything with ``community``, ``reporter_id``, ``owner_unit`` and
    ``stage``) as a :class:`Record`."""
    return Record(
        "incident",
        incident.community,
        person=incident.reporter_id,
        owner=incident.owner_unit,
        stage=incident.stage,
    )


def volunteer_record(volunteer_id: str, community: str) -> Record:
    return Record("volunteer", community, person=volunteer_id)


def account_record(account: Any) -> Record:
    """A Happiness Bank account (``volunteer_id``, ``community``)."""
    return Record("account", account.community, person=account.volunteer_id)


def item_record(bank: str) -> Record:
    """A catalogue item of the Happiness Bank run by ``bank``."""
    return Record("item", bank)


def unit_record(unit: str) -> Record:
    """A unit's lists and figures."""
    return Record("unit", unit)


@dataclass(frozen=True)
class Grant:
    """These roles, standing in this scope to the record (at one of these stages,
    if any are named), may."""

    roles: frozenset[Role]
    scope: Scope
    stages: frozenset[str] | None = None

    def allows(self, actor: Actor, record: Record) -> bool:
        return (
            actor.role in self.roles
            and (self.stages is None or record.stage in self.stages)
            and in_scope(self.scope, actor, record)
        )

    def shown(self) -> dict[str, Any]:
        """As a refusal lists it: its roles and scope."""
        return {"roles": sorted(self.roles), "scope": str(self.scope)}


def grant(roles: Iterable[Role | str], scope: Scope | str, stages: Iterable[str] = ()) -> Grant:
    return Grant(frozenset(Role(r) for r in roles), Scope(scope), frozenset(stages) or None)


def in_scope(scope: Scope, actor: Actor, record: Record) -> bool:
    """Whether ``actor`` stands in ``scope`` to ``record``."""
    if scope is Scope.OWNER:
        return record.owner is not None and actor.unit == record.owner
    if scope is Scope.SELF:
        return record.person is not None and actor.id == record.person
    if scope is Scope.WITHIN:
        return units.within(record.unit, actor.unit)
    if scope is Scope.HOME:
        return units.within(actor.unit, record.unit)
    level = str(scope)  # community, station or county: he works at that unit above it
    return units.level(actor.unit) == level and actor.unit == units.ancestor(record.unit, level)


def allows(grants: Iterable[Grant], actor: Actor | None, record: Record) -> bool:
    """Whether any of ``grants`` lets ``actor`` (``None``: nobody in particular)."""
    return actor is not None and any(g.allows(actor, record) for g in grants)
