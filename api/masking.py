"""Rows of the read models, masked for the user reading them (``loop.rules.masking``)."""

from __future__ import annotations

from typing import Any

from api.accounts import User
from loop.rules.masking import view_for


def masked_case(user: User, row: dict[str, Any]) -> dict[str, Any]:
    """A case row with its reporter shown only to those who may see him."""
    view = view_for(user.actor, row["community"], row["reporter_id"])
    return {**row, "reporter_id": view.reporter(row["reporter_id"])}
