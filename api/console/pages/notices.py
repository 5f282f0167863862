"""The inbox (消息, phone-first for volunteers) and notices (通知公告): the list, the
publication form for a county bureau or a station, one notice with who has
acknowledged (for its publisher) or the acknowledgement button (for its audience).

Every page runs the API's own route functions as the logged-in user, so it shows
what the API answers and a refusal in the API's words.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime
from typing import Annotated, Any
from uuid import uuid4

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from aggregates.errors import DomainError
from aggregates.volunteer import TEAMS
from api.accounts import User
from api.console import session
from api.console.actions import Refusal
from api.console.pages.common import see_other, units_within
from api.console.render import page
from api.console.session import ConsoleUser
from api.deps import ServicesDep
from api.dispatch import execute
from api.routes import inbox as inbox_routes
from api.routes import notices as notice_routes
from api.services import Services
from loop.rules import notices as rules
from loop.rules.scoring import CHINA

router = APIRouter(include_in_schema=False)

NoticeId = Annotated[str, Path(max_length=36)]
AUDIENCE_ROLES = (
    "volunteer",
    "auxiliary",
    "community_officer",
    "community_cadre",
    "community_director",
    "station_officer",
)


# -- the inbox ---------------------------------------------------------------------------


@router.get("/inbox", response_class=HTMLResponse)
async def inbox_page(
    request: Request,
    user: ConsoleUser,
    s: ServicesDep,
    unread: Annotated[bool, Query()] = False,
    wait_for: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    await s.wait_for(wait_for)
    items = await inbox_routes.entries(s, user, limit=100, unread_only=unread)
    context = {"items": items, "unread_only": unread, "refused": None}
    return page(request, "inbox.html", context, services=s, user=user)


@router.post("/inbox/read", response_class=HTMLResponse)
async def mark_read(request: Request, user: ConsoleUser, s: ServicesDep) -> Response:
    form = await request.form()
    session.check_csrf(request, s, _one(form, session.CSRF_FIELD))
    chosen = [str(v) for v in form.getlist("message_id")] or None
    with suppress(DomainError):  # gone meanwhile (a revoked notice): nothing to mark
        asked = inbox_routes.mark_read_command(s, user, inbox_routes.MarkRead(message_ids=chosen))
        await execute(s, user, None, asked)
    return see_other(_back(form, "/inbox"))


def _one(form: Any, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None


def _back(form: Any, default: str) -> str:
    target = _one(form, "next") or default
    return target if target.startswith("/") and not target.startswith("//") else default


# -- notices ----------------------------------------------------------------------------------


def _form_context(s: Services, user: User, entered: dict[str, Any], refused: Any) -> dict[str, Any]:
    return {
        "units": units_within(s, user.unit),
        "roles": AUDIENCE_ROLES,
        "teams": list(TEAMS),
        "statuses": rules.AUDIENCE_STATUSES,
        "priorities": list(rules.PRIORITY_LABELS),
        "entered": entered,
        "refused": refused,
        "key": entered.get("key") or str(uuid4()),
    }


async def _notices(request: Request, user: User, s: Services, **extra: Any) -> Response:
    listed = await notice_routes.published(user, s, wait_for=extra.pop("wait_for", None))
    context = {
        "notices": listed.items,
        "may_publish": rules.may_publish(user.actor),
        "done": request.query_params.get("done"),
        **_form_context(s, user, extra.pop("entered", {}), extra.pop("refused", None)),
    }
    return page(request, "notices.html", context, services=s, user=user, **extra)


@router.get("/notices", response_class=HTMLResponse)
async def notices_page(
    request: Request,
    user: ConsoleUser,
    s: ServicesDep,
    wait_for: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    return await _notices(request, user, s, wait_for=wait_for)


def _moment(value: str | None) -> datetime | None:
    """A ``datetime-local`` value as China time (None when empty)."""
    if not value:
        return None
    at = datetime.fromisoformat(value)
    return at if at.tzinfo else at.replace(tzinfo=CHINA)


@router.post("/notices", response_class=HTMLResponse)
async def publish(request: Request, user: ConsoleUser, s: ServicesDep) -> Response:
    form = await request.form()
    session.check_csrf(request, s, _one(form, session.CSRF_FIELD))
    entered: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    for many in ("units", "roles", "teams", "statuses"):
        entered[many] = [str(v) for v in form.getlist(many)]
    try:
        body = notice_routes.Publication(
            title=entered.get("title", ""),
            body=entered.get("body", ""),
            audience=notice_routes.AudienceBody(
                **{k: entered[k] for k in ("units", "roles", "teams", "statuses")}
            ),
            priority=entered.get("priority", "normal"),
            valid_until=_moment(entered.get("valid_until")),
            requires_ack=entered.get("requires_ack") == "on",
            acknowledge_by=_moment(entered.get("acknowledge_by")),
        )
        key = entered.get("key") or None
        asked = notice_routes.publish_command(s, user, body, key)
        done = (await execute(s, user, key, asked)).model_dump()
    except ValidationError as error:
        refusal = Refusal.invalid(error)
    except ValueError:
        refusal = Refusal(422, {"message_zh": "时间格式不正确", "message_en": "Not a valid time"})
    except DomainError as error:
        refusal = Refusal.of(error)
    else:
        position = done["position"] or 0
        return see_other(f"/notices/{done['notice_id']}?done=published&wait_for={position}")
    return await _notices(
        request, user, s, entered=entered, refused=refusal.body, status_code=refusal.status
    )


async def _notice(
    request: Request, notice_id: str, user: User, s: Services, **extra: Any
) -> Response:
    shown = await notice_routes.notice(notice_id, user, s, wait_for=extra.pop("wait_for", None))
    notice = s.notices.get(notice_id)
    context = {
        "notice": shown,
        "over": notice_routes.over(user, notice),
        "may_change": rules.may_publish(user.actor) and user.unit == notice.publisher_unit,
        "may_acknowledge": (
            notice.requires_ack
            and not shown["acknowledged_by_me"]
            and not notice.revoked
            and s.notices.addresses(notice, user.actor)
        ),
        "done": request.query_params.get("done"),
        "refused": extra.pop("refused", None),
    }
    return page(request, "notice.html", context, services=s, user=user, **extra)


@router.get("/notices/{notice_id}", response_class=HTMLResponse)
async def notice_page(
    request: Request,
    notice_id: NoticeId,
    user: ConsoleUser,
    s: ServicesDep,
    wait_for: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    return await _notice(request, notice_id, user, s, wait_for=wait_for)


@router.post("/notices/{notice_id}/acknowledgement", response_class=HTMLResponse)
async def acknowledge(
    request: Request, notice_id: NoticeId, user: ConsoleUser, s: ServicesDep
) -> Response:
    form = await request.form()
    session.check_csrf(request, s, _one(form, session.CSRF_FIELD))
    try:
        asked = notice_routes.acknowledge_command(s, user, notice_id)
        done = (await execute(s, user, None, asked)).model_dump()
    except DomainError as error:
        refusal = Refusal.of(error)
        return await _notice(
            request, notice_id, user, s, refused=refusal.body, status_code=refusal.status
        )
    back = _back(form, f"/notices/{notice_id}?done=acknowledged")
    joiner = "&" if "?" in back else "?"
    return see_other(f"{back}{joiner}wait_for={done['position'] or 0}")


@router.post("/notices/{notice_id}/revocation", response_class=HTMLResponse)
async def revoke(
    request: Request, notice_id: NoticeId, user: ConsoleUser, s: ServicesDep
) -> Response:
    form = await request.form()
    session.check_csrf(request, s, _one(form, session.CSRF_FIELD))
    try:
        body = notice_routes.Revocation(reason=_one(form, "reason") or "")
        asked = notice_routes.revoke_command(s, user, notice_id, body)
        done = (await execute(s, user, None, asked)).model_dump()
    except ValidationError as error:
        refusal = Refusal.invalid(error)
    except DomainError as error:
        refusal = Refusal.of(error)
    else:
        return see_other(f"/notices/{notice_id}?done=revoked&wait_for={done['position'] or 0}")
    return await _notice(
        request, notice_id, user, s, refused=refusal.body, status_code=refusal.status
    )
