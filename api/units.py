"""Names of the units the service knows, for display."""

from __future__ import annotations

from loop.demo import UNIT_NAMES


def unit_label(unit: str) -> str:
    return UNIT_NAMES.get(unit, unit)
