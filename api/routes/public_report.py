"""The public report form (no log-in, phone first) and the status page a resident
reaches by the private link the form gives.

The form carries a one-off token; the token fixes the incident's id (a keyed
one-way derivation), so a double submission makes one report and only who holds
the link can find the report's status. Reports are limited per client address
and per phone number. The page says received, being handled, or done, in plain
zh-CN, and nothing the officers wrote.

Where phones are verified (``LISHU_PUBLIC_VERIFICATION``, on in production), the
form first sends a one-time code to the number (``api.public_codes``) and records
the report only once the code is typed back; the rate limits count the codes
sent. A report may carry a point (``lat``, ``long``): it is then placed in the
community whose registered centre is nearest, and refused outside the county.
"""

from __future__ import annotations

import logging
import re
import secrets
from contextlib import suppress
from typing import Annotated, Any
from uuid import NAMESPACE_URL, UUID, uuid5

import anyio
import limits
from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from aggregates.actor import Actor
from aggregates.errors import DomainError
from api import open311_views as views
from api.console.render import templates, when
from api.deps import ServicesDep
from api.open311_format import RateLimited
from api.public_codes import (
    CodeSender,
    PhoneCodes,
    VerificationUnavailable,
    masked,
    sender_for,
)
from api.services import Services
from api.units import unit_label
from loop.errors import ConcurrencyConflict, IncidentNotFound, InvalidInput
from loop.rules import places
from loop.rules.vocabulary import Module
from loop.services.intake import RESIDENT_ROLE, Intake, Report

SOURCE = "public_form"
TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")
BY_ADDRESS = limits.parse("10/hour")
BY_PHONE = limits.parse("5/day")
log = logging.getLogger(__name__)
PHASES = (("received", "已收到"), ("handling", "正在处理"), ("done", "有结果了"))

router = APIRouter(prefix="/public", tags=["public 群众反馈"], include_in_schema=False)


def _limiter(request: Request) -> MovingWindowRateLimiter:
    """This service's limiter (kept in the process, one per application)."""
    state = request.app.state
    if not hasattr(state, "public_report_limiter"):
        state.public_report_limiter = MovingWindowRateLimiter(MemoryStorage())
    limiter: MovingWindowRateLimiter = state.public_report_limiter
    return limiter


def _codes(request: Request, services: Services) -> PhoneCodes:
    """This service's codes waiting to be typed back (kept in the process)."""
    state = request.app.state
    if not hasattr(state, "public_codes"):
        state.public_codes = PhoneCodes(
            lambda text: services.answers.digest("public_form:code", text),
            minutes=services.settings.public_code_minutes,
        )
    codes: PhoneCodes = state.public_codes
    return codes


def _sender(request: Request, services: Services) -> CodeSender | None:
    """Where codes are sent (None: nowhere, production without an SMS gateway)."""
    state = request.app.state
    if not hasattr(state, "public_code_sender"):
        state.public_code_sender = sender_for(services.settings)
    sender: CodeSender | None = state.public_code_sender
    return sender


def unavailable() -> VerificationUnavailable:
    return VerificationUnavailable(
        "短信验证暂不可用，网上反映暂停受理；请拨打社区警务室电话反映，紧急情况请拨打110",
        "Text-message verification is not available, so the form takes no reports now; "
        "call the community police office (110 for an emergency)",
    )


def incident_of(services: Services, token: str) -> UUID:
    """The incident id a status link's token fixes: keyed, so the id an officer sees
    does not lead back to the link."""
    keyed = services.answers.digest("public_form:token", token)
    return uuid5(NAMESPACE_URL, f"lishu-loop:public-form:{keyed}")


def _communities(services: Services) -> list[str]:
    tree = services.loop.registry.tree()
    return [c for county in views.jurisdictions(tree) for c in views.communities(county, tree)]


def _form(
    request: Request,
    services: Services,
    token: str,
    entered: dict[str, str],
    refused: Any = None,
    code_sent_to: str | None = None,
) -> Response:
    tree = services.loop.registry.tree()
    verifies = services.settings.verifies_public_phones
    return templates.TemplateResponse(
        request,
        "public_report.html",
        {
            "token": token,
            "entered": entered,
            "refused": refused,
            "communities": [(c, unit_label(c, tree)) for c in _communities(services)],
            "modules": [(m.value, m.label) for m in Module],
            "verifies": verifies,
            "unavailable": verifies and _sender(request, services) is None,
            "code_sent_to": code_sent_to,
            "code_minutes": services.settings.public_code_minutes,
        },
        status_code=400 if refused else 200,
    )


@router.get("/report", response_class=HTMLResponse)
async def report_form(request: Request, services: ServicesDep) -> Response:
    """群众反馈表单 / the public report form."""
    return _form(request, services, secrets.token_urlsafe(32), {})


@router.post("/report")
async def send_report(
    request: Request,
    services: ServicesDep,
    token: Annotated[str, Form(max_length=64)] = "",
    community: Annotated[str, Form(max_length=100)] = "",
    module: Annotated[str, Form(max_length=40)] = "",
    what: Annotated[str, Form(max_length=2000)] = "",
    where: Annotated[str, Form(max_length=200)] = "",
    phone: Annotated[str, Form(max_length=20)] = "",
    name: Annotated[str, Form(max_length=50)] = "",
    lat: Annotated[str, Form(max_length=20)] = "",
    long: Annotated[str, Form(max_length=20)] = "",
    code: Annotated[str, Form(max_length=10)] = "",
    resend: Annotated[str, Form(max_length=1)] = "",
) -> Response:
    entered = {"community": community, "module": module, "what": what, "where": where}
    entered |= {"phone": phone, "name": name, "lat": lat, "long": long}
    phone = phone.strip()
    verifies = services.settings.verifies_public_phones
    try:
        if not TOKEN.fullmatch(token):
            raise InvalidInput("表单已过期，请重新填写", "the form expired; fill it in again")
        if not phone:
            raise InvalidInput("请填写手机号", "a phone number is required", field="phone")
        incident_id = incident_of(services, token)
        again = _made(services, incident_id)  # the form sent again: its report, compared
        asking = verifies and not again and bool(resend or not code.strip())
        if not verifies and not again:
            _limit(request, services, phone)
        intake = Intake(services.flow, places.bounds(services.settings.county_bounds))
        if bool(lat) != bool(long):
            raise InvalidInput("位置须同时有纬度和经度", "lat and long go together", field="lat")
        report = Report(
            community,
            module,
            "seen",
            what,
            where,
            {"name": name, "phone": phone},
            point=(lat, long) if lat else None,
        )
        report = intake.placed(report, _communities(services), services.loop.registry.tree())
        actor = Actor(SOURCE, RESIDENT_ROLE, report.community)
        if asking:  # the report checked first: no code is sent for one to be refused
            intake.check(actor, report)
            return await _send_code(request, services, token, phone, entered)
        if verifies and not again:
            _codes(request, services).check(token, phone, code)

        def run() -> str:
            return intake.report(
                actor, report, source=SOURCE, client=SOURCE, incident_id=incident_id
            ).incident_id

        with suppress(ConcurrencyConflict):  # the same form sent twice at once: one report
            await services.command(run)
        if verifies:
            _codes(request, services).used(token)
    except DomainError as error:
        sent_to = masked(phone) if verifies and code.strip() else None
        return _form(request, services, token, entered, error, code_sent_to=sent_to)
    return RedirectResponse(f"/public/status/{token}?sent=1", status_code=303)


def _limit(request: Request, services: Services, phone: str) -> None:
    """Reports (or, where phones are verified, codes sent) per client address and
    per phone number."""
    address = request.client.host if request.client else "unknown"
    if not (
        _limiter(request).hit(BY_ADDRESS, SOURCE, "address", address)
        and _limiter(request).hit(BY_PHONE, SOURCE, "phone", services.answers.digest("p", phone))
    ):
        raise RateLimited("提交过于频繁，请稍后再试", "Too many reports; try again later")


def _made(services: Services, incident_id: UUID) -> bool:
    try:
        incident = services.flow.get(incident_id)
    except IncidentNotFound:
        return False
    return (incident.intake or {}).get("source") == SOURCE


async def _send_code(
    request: Request, services: Services, token: str, phone: str, entered: dict[str, str]
) -> Response:
    """Send a one-time code to ``phone`` and show the form again, asking for it."""
    sender = _sender(request, services)
    if sender is None:
        raise unavailable()
    _limit(request, services, phone)
    code = _codes(request, services).issue(token, phone)
    minutes = services.settings.public_code_minutes
    text = f"【梨城义警】您的验证码是{code}，{minutes}分钟内有效。如非本人操作，请忽略。"
    try:
        await anyio.to_thread.run_sync(sender.send, phone, text)
    except Exception:  # the gateway did not take it: say so, keep nothing
        _codes(request, services).used(token)
        log.exception("the one-time code could not be sent")
        raise VerificationUnavailable(
            "验证码发送失败，请稍后再试", "The code could not be sent; try again later"
        ) from None
    return _form(request, services, token, entered, code_sent_to=masked(phone))


@router.get("/status/{token}", response_class=HTMLResponse)
async def status_page(
    request: Request,
    services: ServicesDep,
    token: Annotated[str, Path(max_length=64)],
) -> Response:
    """办理进度（凭专属链接）/ a report's status, by its private link."""
    incident = None
    if TOKEN.fullmatch(token):
        try:
            incident = services.flow.get(incident_of(services, token))
        except IncidentNotFound:
            incident = None
    if incident is None or (incident.intake or {}).get("source") != SOURCE:
        return HTMLResponse("<!doctype html><title>没有找到</title><p>没有找到这条反馈。</p>", 404)
    if views.is_closed(incident):
        phase = "done"
    elif incident.stage in ("discovered", "reported"):
        phase = "received"
    else:
        phase = "handling"
    response = templates.TemplateResponse(
        request,
        "public_status.html",
        {
            "what": incident.what,
            "where": incident.where,
            "requested": when(incident.created_on, "zh"),
            "phase": phase,
            "phases": PHASES,
            "note": views.PUBLIC_NOTES[incident.stage],
            "just_sent": request.query_params.get("sent") == "1",
        },
    )
    response.headers["Cache-Control"] = "no-store"
    return response
