"""A volunteer's own page (his reports, points, rank and star, the goods he may
redeem) and the report form, which the office also uses to log phone reports."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import uuid4

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from aggregates.errors import DomainError
from api.accounts import User
from api.console import session
from api.console.actions import Refusal, form_number
from api.console.pages.common import form_data, see_other
from api.console.render import page
from api.console.session import ConsoleUser
from api.deps import ServicesDep, WaitFor
from api.dispatch import execute
from api.routes import bank, incidents, views
from api.routes.bank import Redeem
from api.schemas import NewReport
from api.services import Services
from loop.rules.vocabulary import Module, Role, Sense

router = APIRouter(include_in_schema=False)


def _why_not(item: dict[str, Any], balance: int, taken: int) -> str | None:
    """Why the API would refuse redeeming one piece, or None if it would not."""
    if item["stock"] < 1:
        return "me.why.stock"
    limit = item["limit_per_volunteer"]
    if limit is not None and taken >= limit:
        return "me.why.limit"
    if balance < item["price"]:
        return "me.why.balance"
    return None


def _taken(s: Services, item: dict[str, Any], volunteer_id: str) -> int:
    if item["limit_per_volunteer"] is None:
        return 0
    return s.bank.item(item["item_id"]).handed_out.get(volunteer_id, 0)


async def _me(s: Services, user: User, wait_for: int | None = None) -> dict[str, Any]:
    me = user.username
    account = await bank.balance(me, user, s, wait_for=wait_for)
    goods = (await bank.catalogue(user, s, wait_for=wait_for)).items
    for item in goods:
        item["why_not"] = _why_not(item, account["balance"], _taken(s, item, me))
    stars = s.flow.scoring.stars
    return {
        "account": account,
        "top_star": max((level for _, level in stars), default=0),
        "reports": (await incidents.list_incidents(user, s, limit=50)).items,
        "goods": goods,
        "ledger": list(reversed((await bank.account_history(me, user, s))["entries"]))[:10],
        "board": (await views.leaderboard(user, s, limit=10)).items,
    }


@router.get("/me", response_class=HTMLResponse)
async def my_page(
    request: Request,
    user: ConsoleUser,
    s: ServicesDep,
    redeemed: Annotated[str | None, Query(max_length=36)] = None,
    wait_for: WaitFor = None,
) -> Response:
    context = await _me(s, user, wait_for)
    names = [g["name"] for g in context["goods"] if g["item_id"] == redeemed]
    context.update(redeemed=names[0] if names else None, refused=None)
    return page(request, "me.html", context, services=s, user=user)


@router.post("/me/redemptions", response_class=HTMLResponse)
async def redeem(request: Request, user: ConsoleUser, s: ServicesDep) -> Response:
    data = await form_data(request)
    session.check_csrf(request, s, data.get(session.CSRF_FIELD))
    item_id = data.get("item_id", "")
    quantity = form_number(data.get("quantity", "").strip() or "1")
    try:
        body = Redeem.model_validate({"item_id": item_id, "quantity": quantity})
        asked = bank.redeem_command(s, user, user.username, body)
        done = await execute(s, user, data.get("key") or None, asked)
    except ValidationError as error:
        refusal = Refusal.invalid(error)
    except DomainError as error:
        refusal = Refusal.of(error)
    else:
        redeemed = done.model_dump()
        await s.wait_for(redeemed["position"])  # the page it leads to shows the new balance
        return see_other(f"/me?redeemed={redeemed['item_id']}&wait_for={redeemed['position'] or 0}")
    context = await _me(s, user)
    context.update(redeemed=None, refused={"item_id": item_id, **refusal.body})
    return page(request, "me.html", context, services=s, user=user, status_code=refusal.status)


def _report_context(user: User, entered: dict[str, str], refused: Any) -> dict[str, Any]:
    return {
        "modules": [m.value for m in Module],
        "senses": [x.value for x in Sense],
        "by_phone": user.role != Role.VOLUNTEER,
        "entered": entered,
        "refused": refused,
        "key": entered.get("key") or str(uuid4()),
    }


@router.get("/report", response_class=HTMLResponse)
async def report_form(request: Request, user: ConsoleUser, s: ServicesDep) -> Response:
    return page(request, "report.html", _report_context(user, {}, None), services=s, user=user)


def _report_body(user: User, data: dict[str, str]) -> NewReport:
    values: dict[str, Any] = {
        k: data[k].strip() for k in ("module", "sense", "what", "where") if k in data
    }
    note = data.get("self_handled_note", "").strip()
    if note:
        values["self_handled_note"] = note
    if user.role == Role.VOLUNTEER:
        values["channel"] = "app"
    else:
        values["channel"] = data.get("channel", "phone")
        values["urgency"] = data.get("urgency", "general")
        if data.get("caller") == "resident":  # 群众来电: the resident is the reporter
            caller = {k: data.get(f"resident_{k}", "").strip() for k in ("name", "phone")}
            values["resident"] = {k: v for k, v in caller.items() if v}
        else:
            reporter = data.get("reporter_id", "").strip()
            if reporter:
                values["reporter_id"] = reporter
    return NewReport.model_validate(values)


@router.post("/report", response_class=HTMLResponse)
async def send_report(request: Request, user: ConsoleUser, s: ServicesDep) -> Response:
    data = await form_data(request)
    session.check_csrf(request, s, data.get(session.CSRF_FIELD))
    key = data.get("key") or None
    try:
        body = _report_body(user, data)
        ack = await execute(s, user, key, incidents.report_command(s, user, body, key))
    except ValidationError as error:
        refusal = Refusal.invalid(error)
    except DomainError as error:
        refusal = Refusal.of(error)
    else:
        await s.wait_for(ack.position)  # his list of reports shows it from the next page on
        return see_other(f"/incidents/{ack.incident_id}?done=report")
    context = _report_context(user, data, refusal.body)
    return page(request, "report.html", context, services=s, user=user, status_code=refusal.status)
