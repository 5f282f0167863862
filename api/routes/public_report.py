"""The public report form (no log-in, phone first) and the status page a resident
reaches by the private link the form gives.

The form carries a one-off token; the token fixes the incident's id (a keyed
one-way derivation), so a double submission makes one report and only who holds
the link can find the report's status. Reports are limited per client address
and per phone number. The page says received, being handled, or done, in plain
zh-CN, and nothing the officers wrote.
"""

from __future__ import annotations

import re
import secrets
from contextlib import suppress
from typing import Annotated, Any
from uuid import NAMESPACE_URL, UUID, uuid5

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
from api.services import Services
from api.units import unit_label
from loop.errors import ConcurrencyConflict, IncidentNotFound, InvalidInput
from loop.rules.vocabulary import Module
from loop.services.intake import RESIDENT_ROLE, Intake, Report

SOURCE = "public_form"
TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")
BY_ADDRESS = limits.parse("10/hour")
BY_PHONE = limits.parse("5/day")
PHASES = (("received", "已收到"), ("handling", "正在处理"), ("done", "有结果了"))

router = APIRouter(prefix="/public", tags=["public 群众反馈"], include_in_schema=False)


def _limiter(request: Request) -> MovingWindowRateLimiter:
    """This service's limiter (kept in the process, one per application)."""
    state = request.app.state
    if not hasattr(state, "public_report_limiter"):
        state.public_report_limiter = MovingWindowRateLimiter(MemoryStorage())
    limiter: MovingWindowRateLimiter = state.public_report_limiter
    return limiter


def incident_of(services: Services, token: str) -> UUID:
    """The incident id a status link's token fixes: keyed, so the id an officer sees
    does not lead back to the link."""
    keyed = services.answers.digest("public_form:token", token)
    return uuid5(NAMESPACE_URL, f"lishu-loop:public-form:{keyed}")


def _form(
    request: Request,
    services: Services,
    token: str,
    entered: dict[str, str],
    refused: Any = None,
) -> Response:
    tree = services.loop.registry.tree()
    return templates.TemplateResponse(
        request,
        "public_report.html",
        {
            "token": token,
            "entered": entered,
            "refused": refused,
            "communities": [
                (c, unit_label(c, tree))
                for county in views.jurisdictions(tree)
                for c in views.communities(county, tree)
            ],
            "modules": [(m.value, m.label) for m in Module],
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
) -> Response:
    entered = {"community": community, "module": module, "what": what, "where": where}
    entered |= {"phone": phone, "name": name}
    try:
        if not TOKEN.fullmatch(token):
            raise InvalidInput("表单已过期，请重新填写", "the form expired; fill it in again")
        if not phone.strip():
            raise InvalidInput("请填写手机号", "a phone number is required", field="phone")
        address = request.client.host if request.client else "unknown"
        if not (
            _limiter(request).hit(BY_ADDRESS, SOURCE, "address", address)
            and _limiter(request).hit(
                BY_PHONE, SOURCE, "phone", services.answers.digest("p", phone)
            )
        ):
            raise RateLimited("提交过于频繁，请稍后再试", "Too many reports; try again later")
        incident_id = incident_of(services, token)
        report = Report(
            community, module, "seen", what, where, {"name": name, "phone": phone.strip()}
        )
        actor = Actor(SOURCE, RESIDENT_ROLE, community)
        intake = Intake(services.flow)

        def run() -> str:
            return intake.report(
                actor, report, source=SOURCE, client=SOURCE, incident_id=incident_id
            ).incident_id

        with suppress(ConcurrencyConflict):  # the same form sent twice at once: one report
            await services.command(run)
    except DomainError as error:
        return _form(request, services, token, entered, error)
    return RedirectResponse(f"/public/status/{token}?sent=1", status_code=303)


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
