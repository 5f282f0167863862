"""Who manages the apps that pass residents' reports on (Open311 clients), in the
vocabulary of ``loop.rules.access``: the administrator of the client's county."""

from __future__ import annotations

from loop.rules.access import Grant, Record, grant
from loop.rules.vocabulary import Role

INTAKE_GRANTS: dict[str, tuple[Grant, ...]] = {
    "register_client": (grant([Role.ADMIN], "county"),),
    "revoke_client": (grant([Role.ADMIN], "county"),),
}

INTAKE_COMMANDS = {
    "register_client": ("登记外部应用", "register a client app"),
    "revoke_client": ("吊销外部应用", "revoke a client app"),
}


def client_record(jurisdiction: str) -> Record:
    """A client app of ``jurisdiction`` (a county)."""
    return Record("intake_client", jurisdiction)
