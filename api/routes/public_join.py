"""The public self-registration form (no log-in, phone first): Fuping's 注册审核,
Gucheng's 招募队员, by the county preset's name.

The form asks a little sum (``loop.services.joining.Challenges``, signed with a
key derived from the installation's digest key), is limited per client address
per hour (every form sent) and per phone per day (every application recorded)
with the public report form's limiter, and
records an application that waits for the joint review of employer, station and
community. Every refusal is shown on the form in plain zh-CN (its code in the
page) with a new question, and stores nothing. In production the form is served
only when the county switches it on (``LISHU_PUBLIC_JOIN``); otherwise 404.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated, Any

import limits
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from aggregates.errors import DomainError
from api.console.render import templates
from api.deps import ServicesDep
from api.errors import status_of
from api.open311_format import RateLimited
from api.routes.public_report import _limiter as shared_limiter
from api.services import Services
from api.units import unit_label
from loop.errors import ConcurrencyConflict
from loop.services.joining import ChallengeRefused, Challenges, SelfRegistration
from loop.services.volunteers import PHONE

SOURCE = "public_join"
BY_ADDRESS = limits.parse("10/hour")
BY_PHONE = limits.parse("3/day")
NOT_SERVED = "<!doctype html><title>没有找到</title><p>没有找到这个页面。</p>"

router = APIRouter(prefix="/public", tags=["public 义警报名"], include_in_schema=False)


def challenges(request: Request, services: Services) -> Challenges:
    """This service's questions (kept in the process, one per application)."""
    state = request.app.state
    if not hasattr(state, "join_challenges"):
        key = hmac.new(
            services.answers.secret, b"lishu-loop:public-join-challenge", hashlib.sha256
        ).digest()
        state.join_challenges = Challenges(key, services.loop.app.clock)
    made: Challenges = state.join_challenges
    return made


def registration(services: Services) -> SelfRegistration:
    county = services.volunteers.county
    return SelfRegistration(services.loop.app, services.loop.registry, county)


def _form(
    request: Request, services: Services, entered: dict[str, Any], refused: Any = None
) -> Response:
    tree = services.loop.registry.tree()
    county = services.volunteers.county
    challenge = challenges(request, services).issue()
    status = 200 if refused is None else 429 if isinstance(refused, RateLimited) else None
    return templates.TemplateResponse(
        request,
        "public_join.html",
        {
            "title": county.join_form[0],
            "county": county.county[0],
            "placement": county.placement[0],
            "occupations": [(code, zh) for code, (zh, _) in county.occupations.items()],
            "communities": [
                (c, unit_label(c, tree)) for c in sorted(registration(services).communities())
            ],
            "entered": entered,
            "refused": refused,
            "challenge": challenge,
        },
        status_code=status or status_of(refused),
        headers={"Cache-Control": "no-store"},
    )


@router.get("/join", response_class=HTMLResponse)
async def join_form(request: Request, services: ServicesDep) -> Response:
    """义警报名 / the public self-registration form."""
    if not services.settings.serves_public_join:
        return HTMLResponse(NOT_SERVED, 404)
    return _form(request, services, {})


@router.post("/join")
async def send_application(
    request: Request,
    services: ServicesDep,
    token: Annotated[str, Form(max_length=120)] = "",
    answer: Annotated[str, Form(max_length=10)] = "",
    community: Annotated[str, Form(max_length=100)] = "",
    name: Annotated[str, Form(max_length=50)] = "",
    phone: Annotated[str, Form(max_length=20)] = "",
    id_number: Annotated[str, Form(max_length=20)] = "",
    address: Annotated[str, Form(max_length=200)] = "",
    employer: Annotated[str, Form(max_length=100)] = "",
    occupation: Annotated[str, Form(max_length=40)] = "",
    party_member: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    if not services.settings.serves_public_join:
        return HTMLResponse(NOT_SERVED, 404)
    entered = {"community": community, "name": name, "phone": phone, "address": address}
    entered |= {"employer": employer, "occupation": occupation, "party_member": party_member}
    limiter = shared_limiter(request)
    try:
        address_of = request.client.host if request.client else "unknown"
        if not limiter.hit(BY_ADDRESS, SOURCE, "address", address_of):
            raise RateLimited("提交过于频繁，请一小时后再试", "Too many applications; try later")
        nonce = challenges(request, services).spend(token, answer)
        number = phone.strip()
        by_phone = (BY_PHONE, SOURCE, "phone", services.answers.digest("p", number))
        if PHONE.match(number) and not limiter.test(*by_phone):
            raise RateLimited(
                "这个手机号今天已多次报名，请明天再试", "Too many for this phone today"
            )
        join = registration(services)

        def run() -> Any:
            return join.apply(
                nonce,
                community=community,
                name=name,
                phone=number,
                id_number=id_number,
                address=address,
                employer=employer,
                occupation=occupation,
                party_member=party_member == "yes",
            )

        try:
            await services.command(run)
            limiter.hit(*by_phone)  # a phone's recorded applications
        except ConcurrencyConflict:
            raise ChallengeRefused(
                "这份报名表已经提交过", "this form was sent before", reason="reused"
            ) from None
    except DomainError as error:
        return _form(request, services, entered, error)
    return RedirectResponse("/public/join/done", status_code=303)


@router.get("/join/done", response_class=HTMLResponse)
async def application_sent(request: Request, services: ServicesDep) -> Response:
    """报名已提交 / the application was received."""
    if not services.settings.serves_public_join:
        return HTMLResponse(NOT_SERVED, 404)
    county = services.volunteers.county
    return templates.TemplateResponse(
        request, "public_join_done.html", {"title": county.join_form[0], "county": county.county[0]}
    )
