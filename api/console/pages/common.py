"""What several pages share: the units a user may pick, people's names, and
the redirect after a form."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import Request
from fastapi.responses import RedirectResponse

from api.accounts import User
from api.services import Services
from loop.demo import UNIT_NAMES
from loop.rules import units
from loop.rules.masking import MASKED


def units_within(unit: str) -> list[str]:
    """The known units at or below ``unit``, the unit itself first."""
    below = sorted(u for u in UNIT_NAMES if units.within(u, unit) and u != unit)
    return [unit, *below]


def names(services: Services, ids: Iterable[str]) -> dict[str, str]:
    """Display names of the accounts among ``ids`` (masked ids stay masked)."""
    found: dict[str, str] = {}
    for each in set(ids):
        if each == MASKED or not each:
            continue
        account = services.accounts.get(each)
        if account is not None and account.display_name != each:
            found[each] = account.display_name
    return found


def see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


async def form_data(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def home_of(user: User) -> str:
    if user.role == "volunteer":
        return "/me"
    if user.role == "auditor":
        return "/audit"
    return "/board"
