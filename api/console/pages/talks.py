"""Talk orders in the console (群众点单、民警接单): the station's menu and the form
to add to it; the orders it holds, the overdue answers flagged, with the forms
to accept, decline (with a reason), schedule with speakers (the pool listed,
a school's own 法治副校长 suggested first) and record the talk given. After
delivery the page shows the orderer's one-click rating link once, for the station
to pass on (a QR code or a text message).

The page and its forms run the API's own route functions as the logged-in user;
a refusal is shown in the API's words."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from aggregates.errors import DomainError
from api.accounts import User
from api.console import session
from api.console.actions import Refusal, china_time, form_number
from api.console.pages.common import form_data, see_other
from api.console.render import page
from api.console.session import ConsoleUser
from api.deps import ServicesDep
from api.routes import talks as routes
from api.services import Services
from api.talk_schemas import Delivery, MenuItem, Scheduling, TalkReason
from loop.errors import InvalidInput
from loop.rules import permissions
from loop.rules.access import unit_record
from loop.rules.talks import FORMATS, ORDERER_KINDS, THEMES
from loop.services.talk_views import order_seen, speaker_pool

router = APIRouter(include_in_schema=False)

WaitFor = Annotated[int | None, Query(ge=0)]
Done = Annotated[str | None, Query(max_length=40)]


def topics(text: str) -> dict[str, int | str]:
    """``话题:次数`` lines (or ``，``-separated) as the delivery's topic counts."""
    counted: dict[str, int | str] = {}
    for part in text.replace("，", "\n").replace(",", "\n").splitlines():
        name, _, count = part.replace("：", ":").partition(":")
        if name.strip():
            counted[name.strip()] = form_number(count.strip() or "1")
    return counted


async def _context(s: Services, user: User, wait_for: int | None) -> dict[str, Any]:
    menu = await routes.menu(user, s, user.unit, wait_for=wait_for)
    permissions.check("read_unit", user.actor, unit_record(user.unit))
    listed = await routes.orders(user, s, wait_for=wait_for)
    service = routes.talks(s)
    orders = []
    for row in listed.items:
        held = row
        if row["status"] in ("accepted", "scheduled", "delivered"):
            seen = order_seen(service, user.actor, row["order_id"])
            held = {**row, "place": seen["place"], "contact": seen["contact"]}
        if row["status"] == "accepted":  # the schedule form: the school's 法治副校长 first
            held["pool"] = speaker_pool(service, user.actor, row["order_id"])
        orders.append(held)
    rising = await routes.suggestions(user, s)
    return {
        "suggestions": rising.items,
        "menu": menu.items,
        "orders": orders,
        "themes": THEMES,
        "formats": FORMATS,
        "kinds": ORDERER_KINDS,
        "entered": {},
        "refused": None,
        "rating_link": None,
    }


@router.get("/talks", response_class=HTMLResponse)
async def talks_page(
    request: Request, user: ConsoleUser, s: ServicesDep, wait_for: WaitFor = None,
    done: Done = None,
) -> Response:  # fmt: skip
    context = {"done": done, **await _context(s, user, wait_for)}
    return page(request, "talks.html", context, services=s, user=user)


async def _submitted(request: Request, s: Services, user: User, run: Any) -> Response:
    data = await form_data(request)
    session.check_csrf(request, s, data.get(session.CSRF_FIELD))
    try:
        done = await run(data)
    except ValidationError as error:
        refusal = Refusal.invalid(error)
    except DomainError as error:
        refusal = Refusal.of(error)
    else:
        if getattr(done, "status", None) != "delivered":
            return see_other(f"/talks?done=recorded&wait_for={done.position or 0}")
        context = {"done": "delivered", **await _context(s, user, done.position)}
        found = await routes.link(done.order_id, user, s, purpose="rate")
        if found["path"]:
            context["rating_link"] = f"{str(request.base_url).rstrip('/')}{found['path']}"
        return page(request, "talks.html", context, services=s, user=user)
    context = {"done": None, **await _context(s, user, None)}
    context.update(entered=data, refused=refusal.body)
    return page(request, "talks.html", context, services=s, user=user, status_code=refusal.status)


def _key(data: dict[str, str]) -> str | None:
    return data.get("key") or None


@router.post("/talks/menu", response_class=HTMLResponse)
async def offer(request: Request, user: ConsoleUser, s: ServicesDep) -> Response:
    async def run(data: dict[str, str]) -> Any:
        body = MenuItem(
            theme=data.get("theme", ""), title=data.get("title", ""),
            format=data.get("format", ""), minutes=form_number(data.get("minutes", "")),  # type: ignore[arg-type]
            audience=data.get("audience", ""),
            speakers=[x.strip() for x in data.get("speakers", "").replace("，", ",").split(",")
                      if x.strip()],
        )  # fmt: skip
        return await routes.offer(body, user, s, key=_key(data))

    return await _submitted(request, s, user, run)


@router.post("/talks/answer", response_class=HTMLResponse)
async def answer(request: Request, user: ConsoleUser, s: ServicesDep) -> Response:
    """接单、婉拒、排期或登记宣讲, as the form's ``step`` says."""

    async def run(data: dict[str, str]) -> Any:
        order_id, step, key = data.get("order_id", ""), data.get("step", ""), _key(data)
        if step == "accept":
            return await routes.take("accept", order_id, None, user, s, key)
        if step == "decline":
            reason = TalkReason(reason=data.get("reason", ""))
            return await routes.take("decline", order_id, reason, user, s, key)
        if step == "schedule":
            body = Scheduling.model_validate(
                {
                    "starts_at": china_time(data.get("starts_at", "")),
                    "speakers": [
                        x.strip()
                        for x in data.get("speakers", "").replace("，", ",").split(",")
                        if x.strip()
                    ],
                },
                strict=False,
            )
            return await routes.take("schedule", order_id, body, user, s, key)
        if step == "deliver":
            body_d = Delivery(
                reach=form_number(data.get("reach", "")),  # type: ignore[arg-type]
                questions=form_number(data.get("questions", "0") or "0"),  # type: ignore[arg-type]
                topics_on_site=topics(data.get("topics", "")),  # type: ignore[arg-type]
            )
            return await routes.take("deliver", order_id, body_d, user, s, key)
        raise InvalidInput("未知的操作", "Unknown step", field="step")

    return await _submitted(request, s, user, run)
