"""Names of the units the service knows, for display: the organisation registry's
(``loop.services.organisation``), a code it has not registered shown as it is."""

from __future__ import annotations

from loop.rules.units import PATHS, UnitTree


def unit_label(unit: str, tree: UnitTree = PATHS, lang: str = "zh") -> str:
    """The unit's name now (its code when the registry does not know it)."""
    return tree.name(unit, lang=lang)


def units_within(unit: str, tree: UnitTree) -> list[str]:
    """The active registered units at or below ``unit``, the unit itself first."""
    below = [
        code
        for code in tree.descendants(unit)
        if code != unit and (found := tree.get(code)) is not None and found.active
    ]
    return [unit, *sorted(below)]
