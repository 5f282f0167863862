"""The Open311 GeoReport v2 facade: other apps (a county's 随手拍, a vendor's
警地融合 app, FixMyStreet-style clients) pass residents' reports into the loop
and follow them.

``/open311/discovery.{format}`` and, under ``/open311/v2``: ``services``,
``services/{code}``, ``POST requests`` (an api key per client app),
``GET requests`` and ``GET requests/{id}``, each in ``xml`` (the spec's
required format) or ``json``. Refusals use GeoReport's error list. A POST with
the client's own id for its report (``external_id``) or an ``Idempotency-Key``
creates one incident however often it is retried. Reading requests takes the
client's key too (the spec leaves it open; these are police matters): a client
app reads the requests it made, every other incident answers 404.

These operations are documented by the GeoReport v2 specification, not in the
service's own OpenAPI document.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import limits
from fastapi import APIRouter, Request
from fastapi.responses import Response
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from aggregates.actor import Actor
from aggregates.errors import DomainError
from aggregates.incident import Incident
from aggregates.intake_client import IntakeClient
from api import open311_queries as queries
from api import open311_views as views
from api.deps import ServicesDep
from api.open311_format import (
    Open311Refused,
    RateLimited,
    answer,
    check_format,
    refusal,
)
from api.services import Services
from loop.errors import ConcurrencyConflict, IncidentNotFound
from loop.rules import places
from loop.services.intake import CLIENT_ROLE, Intake, Report, fixed_id
from loop.services.intake_clients import IntakeClients, refused
from projections import georeport

SOURCE = "open311"
MAX_IDS = 100
CLIENT_LIMIT = limits.parse("120/minute")
"""Reports one client app may post per moving minute."""

router = APIRouter(prefix="/open311", tags=["open311"], include_in_schema=False)


def _limiter(request: Request) -> MovingWindowRateLimiter:
    """This service's limiter (kept in the process, one per application)."""
    state = request.app.state
    if not hasattr(state, "open311_limiter"):
        state.open311_limiter = MovingWindowRateLimiter(MemoryStorage())
    limiter: MovingWindowRateLimiter = state.open311_limiter
    return limiter


def clients(services: Services) -> IntakeClients:
    """The client apps, their keys checked by the installation's keyed digest."""
    return IntakeClients(
        services.loop.app, lambda key: services.answers.digest("open311:api_key", key)
    )


@router.get("/discovery.{fmt}")
async def discovery(fmt: str, request: Request, services: ServicesDep) -> Response:
    """Service discovery: where the GeoReport v2 endpoint is and what it speaks."""
    try:
        check_format(fmt)
    except DomainError as error:
        return refusal(fmt, error)
    return answer(
        fmt,
        "discovery",
        {
            "changeset": "2026-12-07T00:00:00+08:00",
            "contact": views.contact(services.loop.registry.tree()),
            "key_service": "外部应用的 api_key 由县局系统管理员登记发放。",
            "endpoints": [
                {
                    "specification": views.SPECIFICATION,
                    "url": str(request.url_for("service_list", fmt="json")).rsplit("/", 1)[0],
                    "changeset": "2026-12-07T00:00:00+08:00",
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
    )


@router.get("/v2/services.{fmt}", name="service_list")
async def service_list(fmt: str, request: Request, services: ServicesDep) -> Response:
    """The services: the app's six discovery modules."""
    try:
        check_format(fmt)
        views.jurisdiction(
            request.query_params.get("jurisdiction_id"), services.loop.registry.tree()
        )
    except DomainError as error:
        return refusal(fmt, error)
    return answer(fmt, "services", views.services())


@router.get("/v2/services/{code}.{fmt}")
async def service_definition(
    code: str, fmt: str, request: Request, services: ServicesDep
) -> Response:
    """A service's definition: the community (required) and the sense it was found by."""
    try:
        check_format(fmt)
        tree = services.loop.registry.tree()
        county = views.jurisdiction(request.query_params.get("jurisdiction_id"), tree)
        return answer(fmt, "service_definition", views.definition(code, county, tree))
    except DomainError as error:
        return refusal(fmt, error)


@router.post("/v2/requests.{fmt}")
async def post_request(fmt: str, request: Request, services: ServicesDep) -> Response:
    """A resident's report, passed on by a client app with its api key."""
    try:
        check_format(fmt)
        form = await request.form()
        given = {k: v for k, v in form.items() if isinstance(v, str)}
        client = clients(services).authenticate(given.get("api_key"))
        if not _limiter(request).hit(CLIENT_LIMIT, "open311", client.client_id):
            raise RateLimited(
                "提交过于频繁，请稍后再试", "Too many requests; try again later", retry_after=60
            )
        asked = given.get("jurisdiction_id") or client.jurisdiction
        tree = services.loop.registry.tree()
        county = views.jurisdiction(asked, tree)
        if county != client.jurisdiction:
            raise refused()
        intake = Intake(services.flow, places.bounds(services.settings.county_bounds))
        communities = views.communities(county, tree)
        report = intake.placed(_report(given, communities), communities, tree)
        if report.community not in communities:
            raise Open311Refused(
                "请选择发生的社区（attribute[community]），或提供 lat 和 long",
                "attribute[community] is required without lat and long and must be one "
                "of the service's values",
                field="attribute[community]",
            )
        external = given.get("external_id") or request.headers.get("Idempotency-Key")
        if external is not None and not 0 < len(external.strip()) <= 200:
            raise Open311Refused(
                "external_id 须为1-200个字符",
                "external_id must be 1-200 characters",
                field="external_id",
            )
        incident_id = None if external is None else fixed_id(SOURCE, client.client_id, external)
        actor = Actor(f"{SOURCE}:{client.client_id}", CLIENT_ROLE, report.community)

        def run() -> str:
            done = intake.report(
                actor,
                report,
                source=SOURCE,
                client=client.client_id,
                external_id=external,
                incident_id=incident_id,
            )
            return done.incident_id

        try:
            made = await services.command(run)
        except ConcurrencyConflict:  # the same report, posted twice at once
            if incident_id is None:
                raise
            made = str(incident_id)
    except DomainError as error:
        return refusal(fmt, error)
    notice = views.NOTICE
    if report.community != given.get("attribute[community]"):  # the point placed it
        notice = f"已按位置归入{tree.name(report.community)}。{notice}"
    body = [{"service_request_id": made, "service_notice": notice}]
    return answer(fmt, "service_requests", body)


def _report(given: dict[str, str], communities: list[str]) -> Report:
    """The report as posted; its community is checked once it is placed by its point."""
    module = views.service_module(given.get("service_code", ""))
    community = given.get("attribute[community]", "")
    if community and community not in communities:
        raise Open311Refused(
            "所选社区不在本服务的可选范围内（attribute[community]）",
            "attribute[community] must be one of the service's values",
            field="attribute[community]",
        )
    if given.get("attribute[urgent]", "no") != "no":
        raise Open311Refused(
            "紧急情况请立即拨打110：本渠道只受理不紧急的事项",
            "For an emergency call 110 now: this channel takes non-emergency matters only",
            field="attribute[urgent]",
            call="110",
        )
    sense = given.get("attribute[sense]") or "seen"
    lat, long = given.get("lat"), given.get("long")
    address = (given.get("address_string") or "").strip()
    if (lat is None) != (long is None):
        raise Open311Refused(
            "lat 和 long 须同时提供", "lat and long must be sent together", field="lat"
        )
    if lat is None and not address:
        raise Open311Refused(
            "请提供位置：lat 和 long，或 address_string",
            "a location is required: lat and long, or address_string",
            field="address_string",
        )
    point = None if lat is None else (lat, long)
    where = address or f"坐标 {lat}, {long}"
    first, last = given.get("first_name", "").strip(), given.get("last_name", "").strip()
    name = f"{last}{first}" if (last + first) and not (last + first).isascii() else ""
    name = name or " ".join(p for p in (first, last) if p)
    return Report(
        community=community,
        module=module.value,
        sense=sense,
        what=given.get("description") or module.label,
        where=where,
        contact={"name": name, "phone": given.get("phone", "").strip()},
        point=point,
        media_url=given.get("media_url") or None,
    )


def _found(services: Services, raw: str, client: IntakeClient) -> Incident:
    """A request ``client`` made through this facade, else 404."""
    try:
        incident = services.flow.get(UUID(raw))
    except (ValueError, IncidentNotFound):
        incident = None
    intake = (incident.intake or {}) if incident is not None else {}
    if (
        incident is None
        or intake.get("source") != SOURCE
        or intake.get("client") != client.client_id
    ):
        raise IncidentNotFound(
            f"没有这个请求：{raw}", f"no such service request: {raw}", field="service_request_id"
        )
    return incident


def _reader(services: Services, request: Request) -> IntakeClient:
    """The client app reading, by its ``api_key``: it reads the requests it made."""
    client = clients(services).authenticate(request.query_params.get("api_key"))
    asked = request.query_params.get("jurisdiction_id")
    if asked and views.jurisdiction(asked, services.loop.registry.tree()) != client.jurisdiction:
        raise refused()
    return client


@router.get("/v2/requests/{request_id}.{fmt}")
async def get_request(
    request_id: str, fmt: str, request: Request, services: ServicesDep
) -> Response:
    """One request and its status."""
    try:
        check_format(fmt)
        found = _found(services, request_id, _reader(services, request))
    except DomainError as error:
        return refusal(fmt, error)
    return answer(
        fmt, "service_requests", [views.request_view(found, services.loop.registry.tree())]
    )


@router.get("/v2/requests.{fmt}")
async def get_requests(fmt: str, request: Request, services: ServicesDep) -> Response:
    """Requests by id (``service_request_id``, comma-separated, overriding the rest),
    or the jurisdiction's made from ``start_date`` to ``end_date`` (at most 90
    days; the last 90 by default), of a ``status`` and a ``service_code``, newest
    first, at most 1,000; with ``lat``/``long`` (an extension) only those within
    ``radius`` metres. ``wait_for`` waits for the read model to reach a log
    position first."""
    try:
        check_format(fmt)
        params = request.query_params
        client = _reader(services, request)
        if params.get("service_request_id"):
            found = _by_ids(services, params["service_request_id"], client)
        else:
            asked = queries.asked(params)
            await services.wait_for(asked.wait_for)
            rows = georeport.requests(
                services.views.projector,
                client.jurisdiction,
                client.client_id,
                start=asked.start,
                end=asked.end,
                closed=asked.closed,
                service_code=asked.service_code,
            )
            tree = services.loop.registry.tree()
            found = [views.row_view(r, tree) for r in rows if queries.is_near(r, asked.near)]
    except DomainError as error:
        return refusal(fmt, error)
    return answer(fmt, "service_requests", found)


@router.get("/v2/servicerequestupdates.{fmt}")
async def get_updates(fmt: str, request: Request, services: ServicesDep) -> Response:
    """mySociety's extension: one update per step of the jurisdiction's requests
    from ``start_date`` to ``end_date`` (at most 90 days), oldest first, or of one
    request (``service_request_id``); replaying them gives the stage sequence."""
    try:
        check_format(fmt)
        params = request.query_params
        client = _reader(services, request)
        asked = queries.asked(params)
        await services.wait_for(asked.wait_for)
        rows = georeport.updates(
            services.views.projector,
            client.jurisdiction,
            client.client_id,
            start=asked.start,
            end=asked.end,
            incident_id=params.get("service_request_id") or None,
        )
    except DomainError as error:
        return refusal(fmt, error)
    return answer(fmt, "service_request_updates", [views.update_view(r) for r in rows])


def _by_ids(services: Services, given: str, client: IntakeClient) -> list[dict[str, Any]]:
    ids = [i for i in given.split(",") if i]
    if len(ids) > MAX_IDS:
        raise Open311Refused(
            f"service_request_id 至多{MAX_IDS}个",
            f"at most {MAX_IDS} service_request_id values",
            field="service_request_id",
        )
    found, tree = [], services.loop.registry.tree()
    for raw in ids:
        try:
            found.append(views.request_view(_found(services, raw, client), tree))
        except IncidentNotFound:
            continue  # a request this caller cannot see is left out, as if absent
    return found
