"""The Organisation aggregate: a county's units as one history.

Every unit (the county bureau, its stations, work stations, communities and
villages, and the departments that receive diverted matters) is registered
here under a code that never changes; its kind, parent and name come from
these events, so a unit is renamed, moved, merged and retired without any
stored event elsewhere being rewritten, and its name at any past moment is
known. One aggregate holds the whole tree, so a unique code and a tree without
cycles are checked against one version and saved atomically.

Which kind may sit under which, and who may change the tree, are the rules'
(``loop.rules.organisation``); the aggregate keeps the structure sound: codes
unique, parents registered and active, no cycles, nothing retired twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from aggregates.actor import Actor
from aggregates.errors import OrganisationRefused, UnitNotFound

ORGANISATION_ID: UUID = uuid5(NAMESPACE_URL, "lishu:organisation")
"""The one organisation of an installation (a deployment serves one county)."""


def _unknown(code: str) -> UnitNotFound:
    return UnitNotFound(f"没有编码为 {code} 的单位", f"No unit has the code {code}", unit=code)


class Organisation(Aggregate):
    """The registered units, each with its kind, parent and names over time."""

    class Event(Aggregate.Event):
        actor: Actor

    class Founded(Event, Aggregate.Created):
        """The registry begins (with the first county registered beside it)."""

    class UnitRegistered(Event):
        code: str
        kind: str
        parent: str | None
        name: str
        name_en: str
        centre: list[float] | None

        def apply(self, aggregate: Any) -> None:
            aggregate.units[self.code] = {
                "kind": self.kind,
                "parent": self.parent,
                "names": [[self.timestamp, self.name, self.name_en]],
                "registered_at": self.timestamp,
                "retired_at": None,
                "merged_into": None,
                "centre": self.centre,
            }

    class UnitRenamed(Event):
        code: str
        name: str
        name_en: str
        previous: str
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.units[self.code]["names"].append([self.timestamp, self.name, self.name_en])

    class UnitMoved(Event):
        code: str
        parent: str
        previous: str | None
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.units[self.code]["parent"] = self.parent

    class UnitMerged(Event):
        """``code`` became part of ``into``: it stays as a retired unit under it, so
        its records are ``into``'s from now on and its name stays in history."""

        code: str
        into: str
        previous: str | None
        reason: str

        def apply(self, aggregate: Any) -> None:
            unit = aggregate.units[self.code]
            unit["parent"] = self.into
            unit["merged_into"] = self.into
            unit["retired_at"] = self.timestamp

    class UnitRetired(Event):
        code: str
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.units[self.code]["retired_at"] = self.timestamp

    def __init__(self, actor: Actor) -> None:  # noqa: ARG002 (the event keeps it)
        self.units: dict[str, dict[str, Any]] = {}

    @classmethod
    def found(cls, actor: Actor, at: datetime) -> Organisation:
        return cls._create(cls.Founded, id=ORGANISATION_ID, timestamp=at, actor=actor)

    # -- reading ------------------------------------------------------------------------

    def unit(self, code: str) -> dict[str, Any]:
        """The unit's state; :class:`UnitNotFound` if no unit has the code."""
        found = self.units.get(code)
        if found is None:
            raise _unknown(code)
        return found

    def chain(self, code: str) -> list[str]:
        """``code`` and its ancestors, up to its root."""
        found, seen = [], set()
        current: str | None = code
        while current is not None and current not in seen:
            found.append(current)
            seen.add(current)
            current = self.units[current]["parent"] if current in self.units else None
        return found

    def _active(self, code: str) -> dict[str, Any]:
        unit = self.unit(code)
        if unit["retired_at"] is not None:
            raise OrganisationRefused(
                f"单位 {code} 已撤销", f"The unit {code} has been retired", unit=code
            )
        return unit

    # -- commands -------------------------------------------------------------------------

    def register(
        self,
        actor: Actor,
        at: datetime,
        *,
        code: str,
        kind: str,
        parent: str | None,
        name: str,
        name_en: str = "",
        centre: list[float] | None = None,
    ) -> None:
        """A new unit under an active ``parent`` (a county has none)."""
        if code in self.units:
            raise OrganisationRefused(
                f"单位编码 {code} 已被使用（编码永不重复使用）",
                f"The unit code {code} is taken (codes are never reused)",
                field="code",
                unit=code,
            )
        if (parent is None) != (kind == "county"):
            raise OrganisationRefused(
                "只有县公安局没有上级单位", "Only a county bureau has no parent", field="parent"
            )
        if parent is not None:
            self._active(parent)
        self.trigger_event(
            self.UnitRegistered,
            actor=actor,
            timestamp=at,
            code=code,
            kind=kind,
            parent=parent,
            name=name,
            name_en=name_en,
            centre=centre,
        )

    def rename(
        self, actor: Actor, at: datetime, *, code: str, name: str, name_en: str, reason: str
    ) -> None:
        unit = self._active(code)
        previous = unit["names"][-1][1]
        if name == previous and name_en == unit["names"][-1][2]:
            raise OrganisationRefused(
                f"单位已叫「{name}」", f"The unit is already named '{name}'", field="name"
            )
        self.trigger_event(
            self.UnitRenamed,
            actor=actor,
            timestamp=at,
            code=code,
            name=name,
            name_en=name_en,
            previous=previous,
            reason=reason,
        )

    def move(self, actor: Actor, at: datetime, *, code: str, parent: str, reason: str) -> None:
        """Place the unit under another active ``parent``: never under itself or a
        unit below it."""
        unit = self._active(code)
        self._active(parent)
        if code in self.chain(parent):
            raise OrganisationRefused(
                f"不能把单位 {code} 移到它自己或其下级单位之下",
                f"The unit {code} cannot move under itself or a unit below it",
                field="parent",
                unit=code,
                parent=parent,
            )
        if unit["parent"] == parent:
            raise OrganisationRefused(
                f"单位 {code} 已在 {parent} 之下", f"{code} is already under {parent}"
            )
        self.trigger_event(
            self.UnitMoved,
            actor=actor,
            timestamp=at,
            code=code,
            parent=parent,
            previous=unit["parent"],
            reason=reason,
        )

    def merge(self, actor: Actor, at: datetime, *, code: str, into: str, reason: str) -> None:
        """``code`` becomes part of the active unit ``into`` (not one below it)."""
        unit = self._active(code)
        self._active(into)
        if code in self.chain(into):
            raise OrganisationRefused(
                f"不能把单位 {code} 并入它自己或其下级单位",
                f"The unit {code} cannot merge into itself or a unit below it",
                field="into",
                unit=code,
                into=into,
            )
        self.trigger_event(
            self.UnitMerged,
            actor=actor,
            timestamp=at,
            code=code,
            into=into,
            previous=unit["parent"],
            reason=reason,
        )

    def retire(self, actor: Actor, at: datetime, *, code: str, reason: str) -> None:
        """Retire a unit with no active unit below it."""
        self._active(code)
        below = sorted(
            c for c, u in self.units.items() if u["parent"] == code and u["retired_at"] is None
        )
        if below:
            raise OrganisationRefused(
                f"单位 {code} 下还有未撤销的单位：{'、'.join(below)}",
                f"The unit {code} still has active units below it: {', '.join(below)}",
                unit=code,
                units=below,
            )
        self.trigger_event(self.UnitRetired, actor=actor, timestamp=at, code=code, reason=reason)
