"""Units as paths from the county bureau down.

``lishu`` is a county bureau, ``lishu/chaoyang`` one of its stations and
``lishu/chaoyang/xingfu`` a community under that station. A unit's scope
contains itself and every unit below it.
"""

from __future__ import annotations

LEVELS = {1: "county", 2: "station", 3: "community"}


def level(unit: str) -> str | None:
    parts = unit.split("/")
    if not all(parts):
        return None
    return LEVELS.get(len(parts))


def is_community(unit: str) -> bool:
    return level(unit) == "community"


def ancestor(unit: str, tier: str) -> str:
    """The unit at ``tier`` (community, station or county) above or at ``unit``."""
    depth = {name: depth for depth, name in LEVELS.items()}[tier]
    return "/".join(unit.split("/")[:depth])


def within(unit: str, scope: str) -> bool:
    """Whether ``unit`` is ``scope`` or lies below it."""
    return unit == scope or unit.startswith(scope + "/")
