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
from loop.rules import units
from loop.rules.vocabulary import Role

MASKED = "已隐藏"


class Section(StrEnum):
    REPORTER = "reporter"
    INFORMANT = "informant"
    VICTIMS = "victims"
    RESIDENT = "resident"


class Audience(StrEnum):
    POLICE_IN_SCOPE = "police_in_scope"  # community, station or county police above it
    AUDITOR_IN_SCOPE = "auditor_in_scope"  # an auditor whose unit contains the incident
    COMMUNITY_STAFF = "community_staff"  # cadre or director of the incident's community
    REPORTER = "reporter"  # the volunteer who discovered it


POLICE = frozenset(
    {Role.COMMUNITY_OFFICER, Role.AUXILIARY, Role.STATION_OFFICER, Role.COUNTY_OFFICER}
)
COMMUNITY_STAFF = frozenset({Role.COMMUNITY_CADRE, Role.COMMUNITY_DIRECTOR})

VISIBLE_TO: dict[Section, frozenset[Audience]] = {
    # Cadres and directors score the volunteer, so they know who reported.
    Section.REPORTER: frozenset(Audience),
    # Whoever told the volunteer stays with the police and the audit.
    Section.INFORMANT: frozenset(
        {Audience.POLICE_IN_SCOPE, Audience.AUDITOR_IN_SCOPE, Audience.REPORTER}
    ),
    # A resident who reported it is reached by the police, never by a department
    # or the publicity section (nor by volunteers: he is not one of them).
    Section.RESIDENT: frozenset({Audience.POLICE_IN_SCOPE, Audience.AUDITOR_IN_SCOPE}),
    # The community handling a diverted matter needs to know who is affected.
    Section.VICTIMS: frozenset(Audience),
}


def audiences(viewer: Actor | None, community: str, reporter_id: str) -> frozenset[Audience]:
    """The audiences ``viewer`` belongs to for an incident in ``community``."""
    if viewer is None:
        return frozenset()
    found = set()
    if viewer.role in POLICE and units.within(community, viewer.unit):
        found.add(Audience.POLICE_IN_SCOPE)
    if viewer.role == Role.AUDITOR and units.within(community, viewer.unit):
        found.add(Audience.AUDITOR_IN_SCOPE)
    if viewer.role in COMMUNITY_STAFF and viewer.unit == community:
        found.add(Audience.COMMUNITY_STAFF)
    if viewer.role == Role.VOLUNTEER and viewer.id == reporter_id:
        found.add(Audience.REPORTER)
    return frozenset(found)


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
    who = audiences(viewer, community, reporter_id)
    return View(frozenset(s for s, allowed in VISIBLE_TO.items() if who & allowed))


def view_of(viewer: Actor | None, incident: Any) -> View:
    """:func:`view_for` an incident (anything with ``community`` and ``reporter_id``)."""
    return view_for(viewer, incident.community, incident.reporter_id)


# -- volunteers' own personal details ------------------------------------------


class VolunteerAudience(StrEnum):
    SELF = "self"  # the volunteer himself
    COMMUNITY_STAFF = "community_staff"  # cadre or director of his community
    COMMUNITY_POLICE = "community_police"  # community officer or auxiliary of his community
    STATION = "station"  # an officer of the station his community belongs to
    AUDITOR_IN_SCOPE = "auditor_in_scope"  # an auditor whose unit contains his community


COMMUNITY_POLICE = frozenset({Role.COMMUNITY_OFFICER, Role.AUXILIARY})

# Which audiences see each of a volunteer's fields. Not listed, not seen: other
# volunteers, departments, publicity, county officers and administrators see
# the volunteer's id and service record, never who he is.
VOLUNTEER_FIELDS_VISIBLE_TO: dict[str, frozenset[VolunteerAudience]] = {
    "name": frozenset(VolunteerAudience),
    "phone": frozenset(VolunteerAudience),
    "id_number": frozenset(VolunteerAudience),
    "address": frozenset(VolunteerAudience),
}


def volunteer_audiences(
    viewer: Actor | None, community: str, volunteer_id: str
) -> frozenset[VolunteerAudience]:
    """The audiences ``viewer`` belongs to for volunteer ``volunteer_id`` of
    ``community``."""
    if viewer is None:
        return frozenset()
    found = set()
    if viewer.role == Role.VOLUNTEER and viewer.id == volunteer_id:
        found.add(VolunteerAudience.SELF)
    if viewer.role in COMMUNITY_STAFF and viewer.unit == community:
        found.add(VolunteerAudience.COMMUNITY_STAFF)
    if viewer.role in COMMUNITY_POLICE and viewer.unit == community:
        found.add(VolunteerAudience.COMMUNITY_POLICE)
    if viewer.role == Role.STATION_OFFICER and units.within(community, viewer.unit):
        found.add(VolunteerAudience.STATION)
    if viewer.role == Role.AUDITOR and units.within(community, viewer.unit):
        found.add(VolunteerAudience.AUDITOR_IN_SCOPE)
    return frozenset(found)


def volunteer_fields_seen(
    viewer: Actor | None, community: str, volunteer_id: str
) -> frozenset[str]:
    """The names of the volunteer's fields ``viewer`` may read."""
    who = volunteer_audiences(viewer, community, volunteer_id)
    return frozenset(name for name, allowed in VOLUNTEER_FIELDS_VISIBLE_TO.items() if who & allowed)


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
