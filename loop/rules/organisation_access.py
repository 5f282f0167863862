"""Who may change the organisation and manage log-in accounts: their table in
the one permission model (``loop.rules.access``, looked up by
``loop.rules.permissions``).

An administrator registers, renames, moves, merges and retires the units within
his own unit, and manages the accounts whose role is held there (creating them,
giving and taking roles, disabling, enabling, resetting passwords, importing a
roll); what is not within his unit is not found. Everyone reads the units of
his own county and their history. A unit's record stands at the unit the loop
reads it as: a station, community or village by its own code, a work station
or department by the station or county bureau it hangs under
(``loop.rules.organisation.record_unit``).
"""

from __future__ import annotations

from loop.rules.access import Grant, Record, grant
from loop.rules.vocabulary import Role

R = Role
ADMINISTRATION = grant([R.ADMIN], "within")

ORGANISATION_GRANTS: dict[str, tuple[Grant, ...]] = {
    "organise": (ADMINISTRATION,),
    "manage_account": (ADMINISTRATION,),
    "import_roll": (ADMINISTRATION,),
    "read_login": (ADMINISTRATION,),
    "read_organisation": (grant(list(Role), "home"),),
}

ORGANISATION_COMMANDS = {
    "organise": ("变更单位 {unit}", "change the unit {unit}"),
    "manage_account": ("管理单位 {unit} 的账号", "manage the accounts of unit {unit}"),
    "import_roll": ("向单位 {unit} 导入义警名册", "import a roll into unit {unit}"),
    "read_login": ("查看该账号", "read this account"),
    "read_organisation": ("查看单位 {unit}", "read the unit {unit}"),
}

GRANTABLE: dict[Role, frozenset[Role]] = {R.ADMIN: frozenset(Role)}
"""Which roles each role may give (within the scope its grants name)."""


def organisation_record(unit: str) -> Record:
    """A unit of the organisation (read at its county: everyone there reads it)."""
    return Record("organisation", unit)


def login_record(username: str, unit: str) -> Record:
    """A log-in account holding its role in ``unit``."""
    return Record("login", unit, person=username)
