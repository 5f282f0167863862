"""The oracle's fold of the organisation registry and the log-in accounts, mixed
into ``tests.oracle.fold.Fold``.

Deliberately naive and independent of ``projections/`` and of the loop's rules:
each unit keeps every name it had with the moment it took it (so its name at
any moment is the last taken at or before it: a rename shows the old name up
to the moment before it), its parent, when it was registered, retired or
merged, and every event that names it; each account keeps its role and unit,
whether it is disabled, whether its password must be changed, and its events.
The rules restated here (which kind sits under which, which role is held in
which kind of unit, what a command needs of the tree and of the accounts) are
checked against each event; where an event says otherwise, the fold notes it
in ``broken`` (the comparison reports each as a disagreement).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

PARENT_KINDS = {
    "county": (),
    "station": ("county",),
    "work_station": ("station",),
    "community": ("station", "work_station"),
    "village": ("station", "work_station"),
    "department": ("county",),
}
"""The kinds each kind of unit may sit under."""
COMMUNITY_ROLES = (
    "volunteer",
    "auxiliary",
    "community_officer",
    "community_cadre",
    "community_director",
)
ROLE_KINDS = {
    **dict.fromkeys(COMMUNITY_ROLES, ("community", "village")),
    "station_officer": ("station",),
    **dict.fromkeys(("county_officer", "publicity_officer", "auditor", "admin"), ("county",)),
}
"""The kinds of unit each role is held in."""


@dataclass
class UnitRecord:
    code: str
    kind: str
    parent: str | None
    names: list[tuple[datetime, str, str]]  # (since, zh-CN, English), oldest first
    centre: list[float] | None
    registered_at: datetime
    retired_at: datetime | None = None
    merged_into: str | None = None
    history: list[tuple[int, str, datetime, dict[str, Any]]] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.retired_at is None

    def name_at(self, at: datetime | None, lang: str = "zh") -> str:
        """Its name at ``at`` (now if None; its first name before it was registered)."""
        taken = [n for n in self.names if at is None or n[0] <= at] or self.names[:1]
        _, zh, en = taken[-1]
        return (en or zh) if lang == "en" else zh


@dataclass
class Login:
    username: str
    display_name: str
    created_at: datetime
    created_by: str
    must_change_password: bool
    role: str | None = None
    unit: str | None = None
    disabled: bool = False
    changed_at: datetime | None = None
    version: int = 1
    history: list[tuple[int, str, datetime, dict[str, Any]]] = field(default_factory=list)


class OrgFold:
    """Units and log-in accounts; mixed into the fold."""

    units: dict[str, UnitRecord]
    logins: dict[str, Login]  # aggregate id -> the account
    broken: list[str]

    touched_units: set[str]  # named by an event since the comparison last read them
    touched_logins: set[str]  # user names, likewise

    def _open_org(self) -> None:
        self.units, self.logins = {}, {}
        self.touched_units, self.touched_logins = set(), set()

    def chain(self, code: str) -> list[str]:
        """``code`` and the units above it, up to its county."""
        found: list[str] = []
        current: str | None = code
        while current is not None and current not in found and current in self.units:
            found.append(current)
            current = self.units[current].parent
        return found

    def holders(self, code: str) -> list[str]:
        """The enabled accounts holding a role in the unit."""
        return sorted(a.username for a in self.logins.values() if a.unit == code and not a.disabled)

    def _refuse(self, rule: str) -> None:
        self.broken.append(rule)

    # -- the registry --------------------------------------------------------------------

    def _organisation(self, what: str, event: Any) -> bool:
        if what == "Founded":
            return True
        handler = getattr(self, f"_unit_{what.lower()}", None)
        if handler is None:
            return False
        at: datetime = event.timestamp
        if what != "UnitRegistered" and event.code not in self.units:
            self._refuse(f"unit {event.code}: {what} before it was registered")
            return True
        handler(event, at)
        named = ("code", "parent", "into") + (("previous",) if what != "UnitRenamed" else ())
        told = {getattr(event, f, None) for f in named}  # a renaming's previous is a name
        for code in sorted(str(c) for c in told if c in self.units):
            self.touched_units.add(code)
            entry = (event.originator_version, what, at, vars(event.actor))
            self.units[code].history.append(entry)
        return True

    def _active_parent(self, code: str, parent: str | None, kind: str) -> None:
        """Only a county has no parent; any other sits under an active unit of a
        kind it may sit under."""
        above = self.units.get(parent) if parent is not None else None
        if (parent is None) != (kind == "county") or (
            parent is not None
            and (above is None or not above.active or above.kind not in PARENT_KINDS[kind])
        ):
            self._refuse(f"unit {code}: a {kind} under {parent}")

    def _unit_unitregistered(self, event: Any, at: datetime) -> None:
        if event.code in self.units:
            self._refuse(f"unit {event.code}: registered twice")
        self._active_parent(event.code, event.parent, event.kind)
        self.units[event.code] = UnitRecord(
            event.code,
            event.kind,
            event.parent,
            [(at, event.name, event.name_en or "")],
            list(event.centre) if event.centre else None,
            at,
        )

    def _changed(self, unit: UnitRecord, what: str) -> None:
        if not unit.active:
            self._refuse(f"unit {unit.code}: {what} after it was retired")

    def _unit_unitrenamed(self, event: Any, at: datetime) -> None:
        unit = self.units[event.code]
        self._changed(unit, "renamed")
        _, zh, en = unit.names[-1]
        if event.previous != zh or (event.name, event.name_en or "") == (zh, en):
            self._refuse(f"unit {unit.code}: renamed from {event.previous!r}, it was {zh!r}")
        unit.names.append((at, event.name, event.name_en or ""))

    def _unit_unitmoved(self, event: Any, at: datetime) -> None:  # noqa: ARG002
        unit = self.units[event.code]
        self._changed(unit, "moved")
        self._active_parent(unit.code, event.parent, unit.kind)
        if unit.code in self.chain(event.parent) or event.parent == unit.parent:
            self._refuse(f"unit {unit.code}: moved under {event.parent}")
        if event.previous != unit.parent:
            self._refuse(f"unit {unit.code}: moved from {event.previous}, it was {unit.parent}")
        unit.parent = event.parent

    def _unit_unitmerged(self, event: Any, at: datetime) -> None:
        unit, into = self.units[event.code], self.units.get(event.into)
        self._changed(unit, "merged")
        if into is None or not into.active or (unit.kind, into.kind) != ("department",) * 2:
            self._refuse(f"unit {unit.code}: merged into {event.into}")
        if self.holders(unit.code):
            self._refuse(f"unit {unit.code}: merged while {self.holders(unit.code)} hold roles")
        if event.previous != unit.parent:
            self._refuse(f"unit {unit.code}: merged from {event.previous}, it was {unit.parent}")
        unit.parent, unit.merged_into, unit.retired_at = event.into, event.into, at

    def _unit_unitretired(self, event: Any, at: datetime) -> None:
        unit = self.units[event.code]
        self._changed(unit, "retired")
        below = [u.code for u in self.units.values() if u.parent == unit.code and u.active]
        if below or self.holders(unit.code):
            self._refuse(f"unit {unit.code}: retired over {below} {self.holders(unit.code)}")
        unit.retired_at = at

    # -- accounts -------------------------------------------------------------------------

    def _account(self, what: str, event: Any) -> bool:
        key, at = str(event.originator_id), event.timestamp
        if what == "Created":
            if any(a.username == event.username for a in self.logins.values()):
                self._refuse(f"account {event.username}: created twice")
            self.logins[key] = Login(
                event.username,
                event.display_name,
                at,
                event.actor.id,
                bool(event.must_change_password),
            )
        elif what not in ACCOUNT_EVENTS:
            return False
        account = self.logins[key]
        self.touched_logins.add(account.username)
        self.touched_units |= {u for u in (account.unit, getattr(event, "unit", None)) if u}
        account.changed_at, account.version = at, event.originator_version
        account.history.append((event.originator_version, what, at, vars(event.actor)))
        getattr(self, f"_login_{what.lower()}")(account, event)
        return True

    def _login_created(self, account: Login, event: Any) -> None:
        pass

    def _login_rolegranted(self, account: Login, event: Any) -> None:
        unit = self.units.get(event.unit)
        if account.role is not None:
            self._refuse(f"account {account.username}: granted while holding {account.role}")
        if unit is None or not unit.active or unit.kind not in ROLE_KINDS[event.role]:
            self._refuse(f"account {account.username}: {event.role} in {event.unit}")
        account.role, account.unit = event.role, event.unit

    def _login_rolerevoked(self, account: Login, event: Any) -> None:
        if (event.role, event.unit) != (account.role, account.unit):
            self._refuse(f"account {account.username}: revoked {event.role} in {event.unit}")
        account.role = account.unit = None

    def _login_disabled(self, account: Login, event: Any) -> None:  # noqa: ARG002
        if account.disabled:
            self._refuse(f"account {account.username}: disabled twice")
        account.disabled = True

    def _login_enabled(self, account: Login, event: Any) -> None:  # noqa: ARG002
        if not account.disabled:
            self._refuse(f"account {account.username}: enabled while enabled")
        account.disabled = False

    def _login_passwordreset(self, account: Login, event: Any) -> None:
        account.must_change_password = bool(event.one_time)

    def _login_passwordchanged(self, account: Login, event: Any) -> None:  # noqa: ARG002
        account.must_change_password = False


ACCOUNT_EVENTS = (
    "Created",
    "RoleGranted",
    "RoleRevoked",
    "Disabled",
    "Enabled",
    "PasswordReset",
    "PasswordChanged",
)
