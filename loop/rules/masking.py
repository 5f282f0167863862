"""Who may see whose identity on an incident.

Four sections of an incident identify people: the volunteer who reported it
(``reporter``), the informant the report names (``informant``), the victims
(``victims``) and a resident who reported it (``resident``, contact details).
Which viewers see each is data (:data:`VISIBLE_TO`); any viewer
not granted a section, and an unknown viewer, sees it masked. Departments
receiving a diverted case, the publicity section and other volunteers see the
matter, not who reported it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from aggregates.actor import Actor
from aggregates.personal import PersonalData
from loop.rules.access import Grant, Record, Scope, allows, grant, volunteer_record
from loop.rules.vocabulary import Role

MASKED = "已隐藏"


class Section(StrEnum):
    REPORTER = "reporter"
    INFORMANT = "informant"
    VICTIMS = "victims"
    RESIDENT = "resident"


# The audiences, in the one vocabulary of ``loop.rules.access``.
POLICE = (Role.COMMUNITY_OFFICER, Role.AUXILIARY, Role.STATION_OFFICER, Role.COUNTY_OFFICER)
POLICE_IN_SCOPE = grant(POLICE, Scope.WITHIN)  # community, station or county police above it
AUDITOR_IN_SCOPE = grant([Role.AUDITOR], Scope.WITHIN)  # an auditor whose unit contains it
COMMUNITY_STAFF = grant(  # cadre or director of its community
    [Role.COMMUNITY_CADRE, Role.COMMUNITY_DIRECTOR], Scope.COMMUNITY
)
REPORTER = grant([Role.VOLUNTEER], Scope.SELF)  # the volunteer who discovered it

VISIBLE_TO: dict[Section, tuple[Grant, ...]] = {
    # Cadres and directors score the volunteer, so they know who reported.
    Section.REPORTER: (POLICE_IN_SCOPE, AUDITOR_IN_SCOPE, COMMUNITY_STAFF, REPORTER),
    # Whoever told the volunteer stays with the police and the audit.
    Section.INFORMANT: (POLICE_IN_SCOPE, AUDITOR_IN_SCOPE, REPORTER),
    # A resident who reported it is reached by the police, never by a department
    # or the publicity section (nor by volunteers: he is not one of them).
    Section.RESIDENT: (POLICE_IN_SCOPE, AUDITOR_IN_SCOPE),
    # The community handling a diverted matter needs to know who is affected.
    Section.VICTIMS: (POLICE_IN_SCOPE, AUDITOR_IN_SCOPE, COMMUNITY_STAFF, REPORTER),
}


@dataclass(frozen=True)
class View:
    """What one viewer may see of one incident's people."""

    visible: frozenset[Section]

    def sees(self, section: Section) -> bool:
        return section in self.visible

    def reporter(self, reporter_id: str) -> str:
        return reporter_id if self.sees(Section.REPORTER) else MASKED

    def actor(self, actor: Actor, reporter_id: str) -> Actor:
        """The actor of an event, with the reporter's id masked if need be."""
        if actor.id == reporter_id and not self.sees(Section.REPORTER):
            return Actor(MASKED, actor.role, actor.unit)
        return actor

    def person(self, section: Section, held: PersonalData | None) -> dict[str, Any] | None:
        if held is None:
            return None
        if not self.sees(section):
            return {"masked": True, "shown": MASKED}
        return held.shown()

    def people(self, section: Section, held: Iterable[PersonalData]) -> list[dict[str, Any]]:
        return [v for v in (self.person(section, p) for p in held) if v is not None]


def view_for(viewer: Actor | None, community: str, reporter_id: str) -> View:
    """What ``viewer`` may see of the people of an incident in ``community``
    reported by ``reporter_id``; ``None`` (nobody in particular) sees nothing."""
    record = Record("incident", community, person=reporter_id)
    return View(frozenset(s for s, who in VISIBLE_TO.items() if allows(who, viewer, record)))


def view_of(viewer: Actor | None, incident: Any) -> View:
    """:func:`view_for` an incident (anything with ``community`` and ``reporter_id``)."""
    return view_for(viewer, incident.community, incident.reporter_id)


# -- volunteers' own personal details ------------------------------------------

SELF = grant([Role.VOLUNTEER], Scope.SELF)  # the volunteer himself
COMMUNITY_POLICE = grant(  # community officer or auxiliary of his community
    [Role.COMMUNITY_OFFICER, Role.AUXILIARY], Scope.COMMUNITY
)
STATION = grant([Role.STATION_OFFICER], Scope.WITHIN)  # an officer of his station
EVERY_VOLUNTEER_AUDIENCE = (SELF, COMMUNITY_STAFF, COMMUNITY_POLICE, STATION, AUDITOR_IN_SCOPE)

# Which audiences see each of a volunteer's fields. Not listed, not seen: other
# volunteers, departments, publicity, county officers and administrators see
# the volunteer's id and service record, never who he is.
VOLUNTEER_FIELDS_VISIBLE_TO: dict[str, tuple[Grant, ...]] = {
    "name": EVERY_VOLUNTEER_AUDIENCE,
    "phone": EVERY_VOLUNTEER_AUDIENCE,
    "id_number": EVERY_VOLUNTEER_AUDIENCE,
    "address": EVERY_VOLUNTEER_AUDIENCE,
}


def volunteer_fields_seen(
    viewer: Actor | None, community: str, volunteer_id: str
) -> frozenset[str]:
    """The names of the volunteer's fields ``viewer`` may read."""
    record = volunteer_record(volunteer_id, community)
    return frozenset(
        name for name, who in VOLUNTEER_FIELDS_VISIBLE_TO.items() if allows(who, viewer, record)
    )


def sees() -> dict[str, tuple[Grant, ...]]:
    """Who sees what, as actions ``loop.rules.permissions`` looks up:
    ``see_<section>`` of an incident, ``see_volunteer_<field>`` of a volunteer."""
    return {
        **{f"see_{section}": who for section, who in VISIBLE_TO.items()},
        **{f"see_volunteer_{name}": who for name, who in VOLUNTEER_FIELDS_VISIBLE_TO.items()},
    }


def volunteer_personal(
    viewer: Actor | None, community: str, held: PersonalData, *, forgotten: bool = False
) -> dict[str, Any]:
    """A volunteer's details as ``viewer`` may see them: each field shown, masked
    (已隐藏) or erased (已删除); ``forgotten`` shows a value as erased even if it
    still decodes (details stored before they were encrypted)."""
    if forgotten and not held.erased:
        held = PersonalData.erased_of(held.subject_id, held.names)
    shown = held.shown()
    seen = volunteer_fields_seen(viewer, community, held.subject_id)
    masked = sorted(n for n in held.names if n not in seen)
    if not held.erased:
        shown["fields"] = {n: MASKED if n in masked else v for n, v in shown["fields"].items()}
    return {**shown, "masked": masked}
