"""Who may read what: a station sees its own and its communities' incidents,
volunteers their own reports and account, auditors everything in their county.

Commands are authorised by the loop's own policy tables (``loop.rules.policy`` and
``loop.rules.permissions``); these rules cover the reads the service offers.
"""

from __future__ import annotations

from api.accounts import User
from api.errors import Forbidden
from loop.rules import units
from loop.rules.vocabulary import Role

UNIT_READERS = frozenset(
    {
        Role.AUXILIARY,
        Role.COMMUNITY_OFFICER,
        Role.COMMUNITY_CADRE,
        Role.COMMUNITY_DIRECTOR,
        Role.STATION_OFFICER,
        Role.COUNTY_OFFICER,
        Role.PUBLICITY_OFFICER,
        Role.AUDITOR,
    }
)
"""Roles that read the incidents, backlogs and figures of the units in their scope."""


def may_read_unit(user: User, unit: str) -> bool:
    return user.role in UNIT_READERS and units.within(unit, user.unit)


def check_unit(user: User, unit: str) -> None:
    if not may_read_unit(user, unit):
        raise Forbidden(
            f"无权查看单位 {unit} 的数据", f"You may not read the data of unit {unit}", unit=unit
        )


def may_read_incident(user: User, community: str, reporter_id: str) -> bool:
    if user.role == Role.VOLUNTEER:
        return user.username == reporter_id
    return may_read_unit(user, community)


def check_incident(user: User, community: str, reporter_id: str, incident_id: str) -> None:
    if not may_read_incident(user, community, reporter_id):
        raise Forbidden("无权查看该警情", "You may not read this incident", incident_id=incident_id)


def may_read_volunteer(user: User, volunteer_id: str, community: str) -> bool:
    if user.role == Role.VOLUNTEER:
        return user.username == volunteer_id
    return may_read_unit(user, community)


def check_volunteer(user: User, volunteer_id: str, community: str) -> None:
    if not may_read_volunteer(user, volunteer_id, community):
        raise Forbidden(
            "无权查看该义警的记录",
            "You may not read this volunteer's records",
            volunteer_id=volunteer_id,
        )


def may_read_item(user: User, bank: str) -> bool:
    """The goods of a Happiness Bank: a volunteer sees his community's and its
    station's, staff those of the units in their scope."""
    if user.role == Role.VOLUNTEER:
        return bank in (user.unit, units.ancestor(user.unit, "station"))
    return may_read_unit(user, bank)


def check_item(user: User, bank: str) -> None:
    if not may_read_item(user, bank):
        raise Forbidden("无权查看该物品", "You may not read this item", bank=bank)


def check_auditor(user: User) -> None:
    if user.role != Role.AUDITOR:
        raise Forbidden("仅审计员可执行", "Auditors only")
