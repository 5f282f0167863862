"""Who did it: every event records the actor's id, role and unit."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """An authenticated person acting in a role within a unit.

    ``unit`` is a path from the county bureau down: ``lishu``,
    ``lishu/chaoyang`` (a station), ``lishu/chaoyang/xingfu`` (a community).
    """

    id: str
    role: str
    unit: str
