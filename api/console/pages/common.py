"""What several pages share: the units a user may pick, people's names, and
the redirect after a form."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import Request
from fastapi.responses import RedirectResponse

from api.accounts import User
from api.services import Services
from api.units import units_within as registered_within
from loop.rules.masking import MASKED


def units_within(services: Services, unit: str) -> list[str]:
    """The registered units at or below ``unit``, the unit itself first."""
    return registered_within(unit, services.loop.registry.tree())


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
    if user.role == "admin":
        return "/admin"
    return "/board"
