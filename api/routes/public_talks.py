"""The public talk order form (群众点单) and the orderer's private-link pages.

Ping'an: "让群众'点单'，'枫'警宣讲队现场'接单'". A village committee, school,
business or resident picks a talk from the menu and the days it can host it;
the form carries a one-off token that fixes the order's id (a keyed one-way
derivation), so a double submission makes one order. Orders are limited per
client address and per phone number. The answer is a private link: its page
shows the station's answer (and a decline's reason), the time once scheduled,
and lets the orderer confirm, ask for other days or cancel; each use gives a new
link. The rating link, given at delivery, rates once with one click. A link that
is unknown, used or expired answers 404.
"""

from __future__ import annotations

import re
import secrets
from typing import Annotated, Any
from uuid import NAMESPACE_URL, uuid5

import anyio
import limits
from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from limits.strategies import MovingWindowRateLimiter

from aggregates.actor import Actor
from aggregates.errors import DomainError
from aggregates.talk_errors import LinkRefused
from api import open311_views as views
from api.console.render import templates
from api.deps import ServicesDep
from api.open311_format import RateLimited
from api.rate_limits import shared_limiter
from api.routes.talks import links, queries, talks
from api.services import Services
from api.units import unit_label
from loop.errors import ConcurrencyConflict, InvalidInput
from loop.rules.talks import FORMATS, ORDERER_KINDS, THEMES
from loop.services.intake import RESIDENT_ROLE

SOURCE = "public_form"
TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")
BY_ADDRESS = limits.parse("10/hour")
BY_PHONE = limits.parse("5/day")
Link = Annotated[str, Path(max_length=100)]

router = APIRouter(prefix="/public/talks", tags=["public 群众点单"], include_in_schema=False)

GONE = "<!doctype html><title>链接无效</title><p>该链接无效、已使用过或已过期。</p>"


def _limiter(request: Request) -> MovingWindowRateLimiter:
    """The order form's limiter (its hits in the service's database, shared by every
    process)."""
    state = request.app.state
    if not hasattr(state, "public_talks_limiter"):
        state.public_talks_limiter = shared_limiter(state.services.views.store)
    limiter: MovingWindowRateLimiter = state.public_talks_limiter
    return limiter


def _within_limits(request: Request, address: str, phone_digest: str) -> bool:
    limiter = _limiter(request)
    return limiter.hit(BY_ADDRESS, "public_talks", "address", address) and limiter.hit(
        BY_PHONE, "public_talks", "phone", phone_digest
    )


def _form(
    request: Request, s: Services, token: str, entered: dict[str, str], refused: Any = None
) -> Response:
    tree = s.loop.registry.tree()
    menu = [
        {**item, "theme_zh": THEMES[item["theme"]], "format_zh": FORMATS[item["format"]],
         "unit_zh": unit_label(item["unit"], tree)}
        for item in queries(s).menu(None)
    ]  # fmt: skip
    return templates.TemplateResponse(
        request,
        "public_talk_order.html",
        {
            "token": token,
            "entered": entered,
            "refused": refused,
            "menu": menu,
            "kinds": list(ORDERER_KINDS.items()),
            "communities": [
                (c, unit_label(c, tree))
                for county in views.jurisdictions(tree)
                for c in views.communities(county, tree)
            ],
        },
        status_code=400 if refused else 200,
    )


@router.get("", response_class=HTMLResponse)
async def order_form(request: Request, s: ServicesDep) -> Response:
    """宣讲菜单与点单表单 / the menu and the order form."""
    return _form(request, s, secrets.token_urlsafe(32), {})


@router.post("")
async def send_order(
    request: Request,
    s: ServicesDep,
    token: Annotated[str, Form(max_length=64)] = "",
    item: Annotated[str, Form(max_length=250)] = "",
    community: Annotated[str, Form(max_length=200)] = "",
    orderer_kind: Annotated[str, Form(max_length=32)] = "",
    window_from: Annotated[str, Form(max_length=10)] = "",
    window_to: Annotated[str, Form(max_length=10)] = "",
    place: Annotated[str, Form(max_length=200)] = "",
    name: Annotated[str, Form(max_length=50)] = "",
    phone: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    entered = {"item": item, "community": community, "orderer_kind": orderer_kind}
    entered |= {"window_from": window_from, "window_to": window_to, "place": place}
    entered |= {"name": name, "phone": phone}
    try:
        if not TOKEN.fullmatch(token):
            raise InvalidInput("表单已过期，请重新填写", "the form expired; fill it in again")
        unit, _, item_id = item.partition("|")
        address = request.client.host if request.client else "unknown"
        phone_digest = s.answers.digest("p", phone.strip())
        if not await anyio.to_thread.run_sync(_within_limits, request, address, phone_digest):
            raise RateLimited("提交过于频繁，请稍后再试", "Too many orders; try again later")
        keyed = s.answers.digest("public_talks:token", token)
        order_id = uuid5(NAMESPACE_URL, f"lishu-loop:public-talks:{keyed}")
        if order_id in s.loop.app.repository:  # the same form sent again
            return HTMLResponse("<!doctype html><p>已收到您的点单，请查看首次提交后的页面。</p>")
        actor = Actor(SOURCE, RESIDENT_ROLE, community)
        service = talks(s)

        def run() -> str | None:
            return service.order(
                actor, unit=unit, item_id=item_id, community=community,
                orderer_kind=orderer_kind, window_from=window_from, window_to=window_to,
                name=name.strip() or "点单人", phone=phone.strip(), place=place,
                order_id=order_id,
            ).link  # fmt: skip

        link = await s.command(run)
    except ConcurrencyConflict:
        return HTMLResponse("<!doctype html><p>已收到您的点单，请查看首次提交后的页面。</p>")
    except DomainError as error:
        return _form(request, s, token, entered, error)
    return RedirectResponse(f"/public/talks/o/{link}?sent=1", status_code=303)


def _page(request: Request, s: Services, link: str, purpose: str, **extra: Any) -> Response:
    try:
        shown = links(s).shown(link, purpose)
    except LinkRefused:
        return HTMLResponse(GONE, 404)
    response = templates.TemplateResponse(
        request,
        "public_talk.html",
        {"order": shown, "link": link, "purpose": purpose, **extra},
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/o/{link}", response_class=HTMLResponse)
async def order_page(request: Request, s: ServicesDep, link: Link) -> Response:
    """点单进度（凭专属链接）/ the order's page, by its private link."""
    return _page(request, s, link, "manage", just_sent=request.query_params.get("sent") == "1")


@router.post("/o/{link}/{action}")
async def order_action(
    request: Request,
    s: ServicesDep,
    link: Link,
    action: Annotated[str, Path(pattern="^(confirm|reschedule|cancel)$")],
    window_from: Annotated[str, Form(max_length=10)] = "",
    window_to: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    service = links(s)
    try:
        if action == "confirm":
            ack = await s.command(service.confirm, link)
        elif action == "reschedule":
            ack = await s.command(
                lambda: service.reschedule(link, window_from=window_from, window_to=window_to)
            )
        else:
            ack = await s.command(lambda: service.cancel(link, reason=reason))
    except LinkRefused:
        return HTMLResponse(GONE, 404)
    except DomainError as error:
        return _page(request, s, link, "manage", refused=error)
    if ack.link is None:
        return HTMLResponse("<!doctype html><p>已取消本次点单。</p>")
    return RedirectResponse(f"/public/talks/o/{ack.link}", status_code=303)


@router.get("/r/{link}", response_class=HTMLResponse)
async def rating_page(request: Request, s: ServicesDep, link: Link) -> Response:
    """一键评价 / rate the talk with one click."""
    return _page(request, s, link, "rate")


@router.post("/r/{link}")
async def rate(s: ServicesDep, link: Link, stars: Annotated[int, Form(ge=1, le=5)]) -> Response:
    service = links(s)
    try:
        await s.command(lambda: service.rate(link, stars=stars))
    except LinkRefused:
        return HTMLResponse(GONE, 404)
    return HTMLResponse(
        "<!doctype html><html lang='zh-CN'><meta charset='utf-8'>"
        "<title>谢谢评价</title><p data-rated>谢谢您的评价！</p></html>"
    )
