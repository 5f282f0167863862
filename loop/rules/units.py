"""Units: the organisation's tree as an immutable snapshot the rules are given.

A unit is known by its code, which never changes; its kind, parent and names
over time come from the organisation registry (``aggregates.organisation``),
handed to the rules as a :class:`UnitTree`. A unit's scope contains itself and
every unit below it. A unit merged into another is part of it from then on: it
sits under it, and whatever belonged to it belongs to the other.

Codes stored before the registry existed are paths from the county down
(``county/station/community``). A code the tree has not registered is read as
such a path (its depth gives its tier), so old events and installations that
have not registered their units keep their meaning; registering those paths as
codes (``lishu org adopt``) lets them be renamed and moved like any unit.

The module functions (:func:`level`, :func:`within`, :func:`ancestor`,
:func:`is_community`) read a code as a path only; rules take a tree.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

LEVELS = {1: "county", 2: "station", 3: "community"}

KINDS: dict[str, tuple[str, str]] = {
    "county": ("县公安局", "county bureau"),
    "station": ("派出所", "police station"),
    "work_station": ("警务站", "work station"),
    "community": ("社区", "community"),
    "village": ("村", "village"),
    "department": ("管辖部门", "department"),
}
"""The kinds of unit, with their zh-CN and English names."""

TIERS = {"county": "county", "station": "station", "community": "community", "village": "community"}
"""The tier of the loop (who owns an incident, who may act) each kind stands at; a
work station and a department stand at none."""


# -- the path reading of a code (before the registry) ------------------------------------


def level(unit: str) -> str | None:
    """The tier of ``unit`` read as a path (``a``, ``a/b``, ``a/b/c``)."""
    parts = unit.split("/")
    if not all(parts):
        return None
    return LEVELS.get(len(parts))


def is_community(unit: str) -> bool:
    return level(unit) == "community"


def ancestor(unit: str, tier: str) -> str:
    """The unit at ``tier`` (community, station or county) above or at the path."""
    depth = {name: depth for depth, name in LEVELS.items()}[tier]
    return "/".join(unit.split("/")[:depth])


def within(unit: str, scope: str) -> bool:
    """Whether the path ``unit`` is ``scope`` or lies below it."""
    return unit == scope or unit.startswith(scope + "/")


# -- the registered tree -----------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """One registered unit as the registry holds it."""

    code: str
    kind: str
    parent: str | None
    names: tuple[tuple[datetime, str, str], ...]
    """``(since, zh-CN name, English name)``, oldest first."""
    registered_at: datetime
    retired_at: datetime | None = None
    merged_into: str | None = None
    centre: tuple[float, float] | None = None

    @property
    def name(self) -> str:
        return self.names[-1][1]

    @property
    def name_en(self) -> str:
        return self.names[-1][2] or self.names[-1][1]

    @property
    def active(self) -> bool:
        return self.retired_at is None

    def name_at(self, at: datetime | None, lang: str = "zh") -> str:
        """The name it had at ``at`` (its first name before it was registered)."""
        chosen = self.names[0]
        if at is not None:
            for entry in self.names:
                if entry[0] <= at:
                    chosen = entry
        else:
            chosen = self.names[-1]
        return (chosen[2] or chosen[1]) if lang == "en" else chosen[1]


class UnitTree:
    """The registered units at one version of the registry: immutable.

    Every question takes a code; a code not registered is read as a path."""

    def __init__(self, units: Mapping[str, Unit] | None = None, version: int = 0) -> None:
        self._units: dict[str, Unit] = dict(units or {})
        self.version = version
        self._children: dict[str | None, list[str]] = {}
        for code, unit in sorted(self._units.items()):
            self._children.setdefault(unit.parent, []).append(code)

    @classmethod
    def from_state(cls, units: Mapping[str, Mapping[str, Any]], version: int) -> UnitTree:
        """The tree of the registry aggregate's state (``Organisation.units``)."""
        made = {}
        for code, u in units.items():
            centre = u.get("centre")
            made[code] = Unit(
                code=code,
                kind=u["kind"],
                parent=u["parent"],
                names=tuple((at, zh, en) for at, zh, en in u["names"]),
                registered_at=u["registered_at"],
                retired_at=u["retired_at"],
                merged_into=u["merged_into"],
                centre=(float(centre[0]), float(centre[1])) if centre else None,
            )
        return cls(made, version)

    def __len__(self) -> int:
        return len(self._units)

    def __iter__(self) -> Iterator[Unit]:
        return iter(self._units.values())

    def get(self, code: str | None) -> Unit | None:
        return None if code is None else self._units.get(code)

    def registered(self, code: str) -> bool:
        return code in self._units

    def kind(self, code: str) -> str | None:
        """The unit's kind (a path's tier when not registered)."""
        unit = self._units.get(code)
        return unit.kind if unit is not None else level(code)

    def tier(self, code: str) -> str | None:
        """county, station or community: where the unit stands in the loop."""
        kind = self.kind(code)
        return TIERS.get(kind) if kind else None

    def is_community(self, code: str) -> bool:
        """Whether incidents are discovered and volunteers serve here (社区 or 村)."""
        return self.tier(code) == "community"

    def parent(self, code: str) -> str | None:
        unit = self._units.get(code)
        if unit is not None:
            return unit.parent
        if "/" not in code or level(code) is None:
            return None
        return code.rsplit("/", 1)[0]

    def chain(self, code: str) -> list[str]:
        """``code`` and every unit above it, nearest first."""
        found: list[str] = []
        current: str | None = code
        while current is not None and current not in found:
            found.append(current)
            current = self.parent(current)
        return found

    def within(self, unit: str, scope: str) -> bool:
        """Whether ``unit`` is ``scope`` or lies below it."""
        return scope in self.chain(unit)

    def current(self, code: str) -> str:
        """The unit standing for ``code`` now: the one it was merged into, if any."""
        seen = {code}
        unit = self._units.get(code)
        while unit is not None and unit.merged_into is not None and unit.merged_into not in seen:
            seen.add(unit.merged_into)
            code = unit.merged_into
            unit = self._units.get(code)
        return code

    def ancestor(self, unit: str, tier: str) -> str | None:
        """The nearest unit at ``tier`` at or above ``unit`` (a unit merged away is
        passed over: the one it was merged into stands for it)."""
        for code in self.chain(unit):
            found = self._units.get(code)
            if found is not None and found.merged_into is not None:
                continue
            if self.tier(code) == tier:
                return code
        return None

    def same(self, one: str | None, other: str | None) -> bool:
        """Whether two codes name the same unit now (through mergers)."""
        return one is not None and other is not None and self.current(one) == self.current(other)

    def children(self, code: str | None) -> list[Unit]:
        return [self._units[c] for c in self._children.get(code, [])]

    def descendants(self, code: str) -> list[str]:
        """``code`` and every registered unit below it."""
        found, stack = [], [code]
        while stack:
            current = stack.pop()
            if current in found:
                continue
            found.append(current)
            stack.extend(reversed(self._children.get(current, [])))
        return found

    def roots(self) -> list[Unit]:
        return self.children(None)

    def departments(self, unit: str) -> list[Unit]:
        """The active departments registered for the county of ``unit``."""
        county = self.ancestor(unit, "county")
        return (
            [u for u in self.children(county) if u.kind == "department" and u.active]
            if county
            else []
        )

    def name(self, code: str | None, at: datetime | None = None, lang: str = "zh") -> str:
        """The unit's name at ``at`` (now if None); an unregistered code as it is."""
        if code is None:
            return ""
        unit = self._units.get(code)
        return code if unit is None else unit.name_at(at, lang)


PATHS = UnitTree()
"""No registered unit: every code read as a path."""
