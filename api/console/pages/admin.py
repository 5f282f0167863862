"""The administrator's page (系统管理), his landing page: the unit tree with its
register and rename forms, the accounts with search, create, role, disable,
enable and reset, and the history of a unit or an account.

Every form runs the API's own route function as the logged-in administrator,
so the page shows what the API answers and a refusal in the API's words. A
one-time password is shown once, on the page that answers the form.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from aggregates.errors import DomainError
from api.accounts import User
from api.console import session
from api.console.pages.common import form_data, see_other
from api.console.render import page
from api.console.session import ConsoleUser
from api.deps import ServicesDep
from api.errors import status_of
from api.routes import admin_accounts as accounts_routes
from api.routes import organisation as organisation_routes
from api.services import Services
from loop.rules.organisation import PARENT_KINDS, ROLE_KINDS
from loop.rules.units import UnitTree

router = APIRouter(include_in_schema=False)

Username = Annotated[str, Path(max_length=100)]


def _rows(tree: UnitTree, code: str, depth: int = 0) -> list[dict[str, Any]]:
    """The tree below ``code`` as indented rows, depth first."""
    unit = tree.get(code)
    if unit is None:
        return []
    rows = [{"unit": unit, "depth": depth}]
    for child in tree.children(code):
        rows += _rows(tree, child.code, depth + 1)
    return rows


async def _page(
    request: Request, user: User, s: Services, *, status_code: int = 200, **extra: Any
) -> Response:
    accounts_routes.administrator(user)
    tree = s.loop.registry.tree()
    county = organisation_routes.county_of(s, user)
    search = request.query_params.get("q", "")[:100]
    listed = await accounts_routes.accounts(user, s, search=search, limit=200, wait_for=None)
    context = {
        "units": _rows(tree, county),
        "parents": [u.code for u in tree if u.active and tree.within(u.code, county)],
        "kinds": [k for k, under in PARENT_KINDS.items() if under],
        "roles": [r.value for r in ROLE_KINDS],
        "accounts": listed.items,
        "search": search,
        "done": request.query_params.get("done"),
        "refused": None,
        "one_time": None,
        "history": None,
        "preset": s.volunteers.county.described(),
        **extra,
    }
    return page(request, "admin.html", context, services=s, user=user, status_code=status_code)


@router.get("/admin", response_class=HTMLResponse)
async def admin_page(
    request: Request,
    user: ConsoleUser,
    s: ServicesDep,
    wait_for: Annotated[int | None, Query(ge=0)] = None,
    code: Annotated[str | None, Query(max_length=64)] = None,
    username: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    await s.wait_for(wait_for)
    history = None
    if code:
        history = await organisation_routes.history(user, s, code)
    elif username:
        history = await accounts_routes.history(username, user, s)
    return await _page(request, user, s, history=history)


async def _run(request: Request, user: User, s: Services, action: Any) -> Response:
    """Run ``action`` (the route's call); its refusal shown on the page."""
    form = await form_data(request)
    session.check_csrf(request, s, form.get(session.CSRF_FIELD))
    try:
        done = await action(form)
    except ValidationError as error:
        refused = {
            "code": "invalid_input",
            "message_zh": "输入有误：" + "；".join(str(e["loc"][-1]) for e in error.errors()),
            "message_en": "invalid input: " + "; ".join(str(e["loc"][-1]) for e in error.errors()),
        }
        return await _page(request, user, s, refused=refused, status_code=422)
    except DomainError as error:
        return await _page(request, user, s, refused=error.as_dict(), status_code=status_of(error))
    password = getattr(done, "one_time_password", None)
    if password:
        one_time = {"username": done.username, "password": password}
        return await _page(request, user, s, one_time=one_time)
    return see_other(f"/admin?done=1&wait_for={done.position or 0}")


@router.post("/admin/units", response_class=HTMLResponse)
async def register_unit(request: Request, user: ConsoleUser, s: ServicesDep) -> Response:
    async def action(form: dict[str, str]) -> Any:
        unit = organisation_routes.UnitBody(
            code=form.get("code", ""),
            kind=form.get("kind", ""),
            parent=form.get("parent", ""),
            name=form.get("name", ""),
        )
        body = organisation_routes.Registration(units=[unit])
        return await organisation_routes.register(body, user, s)

    return await _run(request, user, s, action)


@router.post("/admin/rename", response_class=HTMLResponse)
async def rename_unit(request: Request, user: ConsoleUser, s: ServicesDep) -> Response:
    async def action(form: dict[str, str]) -> Any:
        body = organisation_routes.Renaming(
            code=form.get("code", ""), name=form.get("name", ""), reason=form.get("reason", "")
        )
        return await organisation_routes.rename(body, user, s)

    return await _run(request, user, s, action)


@router.post("/admin/accounts", response_class=HTMLResponse)
async def create_account(request: Request, user: ConsoleUser, s: ServicesDep) -> Response:
    async def action(form: dict[str, str]) -> Any:
        body = accounts_routes.NewAccount(
            username=form.get("username", ""),
            display_name=form.get("display_name", ""),
            role=form.get("role", ""),
            unit=form.get("unit", ""),
            reason=form.get("reason", ""),
        )
        return await accounts_routes.create(body, user, s)

    return await _run(request, user, s, action)


@router.post("/admin/accounts/{username}/{action}", response_class=HTMLResponse)
async def account_action(
    request: Request,
    username: Username,
    action: Annotated[str, Path(pattern="^(disable|enable|password|role)$")],
    user: ConsoleUser,
    s: ServicesDep,
) -> Response:
    async def run(form: dict[str, str]) -> Any:
        reason = form.get("reason", "")
        if action == "role":
            body = accounts_routes.RoleBody(
                role=form.get("role", ""), unit=form.get("unit", ""), reason=reason
            )
            return await accounts_routes.grant(body, username, user, s)
        because = accounts_routes.ReasonBody(reason=reason)
        chosen = {
            "disable": accounts_routes.disable,
            "enable": accounts_routes.enable,
            "password": accounts_routes.reset,
        }[action]
        return await chosen(because, username, user, s)

    return await _run(request, user, s, run)
