"""Training in the console: a volunteer's progress on his phone (this year's days
against the norm, what he still lacks before duty, his exams, the sessions he
attended and those ahead); for staff, the sessions held by or for their unit, the
year's shortfall list, and the forms to schedule a session and record attendance.

The page and its forms run the API's own route functions as the logged-in user;
a refusal is shown in the API's words."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from aggregates.errors import DomainError
from api.accounts import User
from api.console import session
from api.console.actions import Refusal
from api.console.pages.common import form_data, names, see_other
from api.console.render import page
from api.console.session import ConsoleUser
from api.deps import ServicesDep
from api.routes import training as routes
from api.services import Services
from api.training_schemas import Attendee, ExamResult, SessionCreate, SuspensionChange
from loop.rules import permissions
from loop.rules.training import CREDITS, KINDS, MODES
from loop.rules.training_access import session_record
from loop.rules.vocabulary import Role

router = APIRouter(include_in_schema=False)

WaitFor = Annotated[int | None, Query(ge=0)]
Year = Annotated[int | None, Query(ge=2000, le=2100)]
Done = Annotated[str | None, Query(max_length=40)]


async def _staff(s: Services, user: User, year: int, wait_for: int | None) -> dict[str, Any]:
    today = s.loop.training.today()
    listed = await routes.sessions(
        user, s, start=today - timedelta(days=30), end=today + timedelta(days=90),
        wait_for=wait_for,
    )  # fmt: skip
    short = await routes.shortfall(user, s, year=year)
    waiting = await routes.awaiting(user, s)
    return {
        "awaiting": waiting.items,
        "sessions": listed.items,
        "held": [x for x in listed.items if x["status"] == "scheduled" and x["day"] <= str(today)],
        "short": short.items,
        "names": names(s, [r["volunteer_id"] for r in [*short.items, *waiting.items]]),
        "may_schedule": permissions.may("schedule_training", user.actor, session_record(user.unit)),
        "may_suspend": s.loop.training.policy.shortfall == "suspend"
        and permissions.may_ever("suspend_for_training", user.actor),
        "kinds": list(KINDS),
        "modes": list(MODES),
        "credits": list(CREDITS),
        "entered": {},
        "refused": None,
    }


@router.get("/training", response_class=HTMLResponse)
async def training_page(
    request: Request, user: ConsoleUser, s: ServicesDep, year: Year = None,
    wait_for: WaitFor = None, done: Done = None,
) -> Response:  # fmt: skip
    context: dict[str, Any] = {"year": routes.this_year(s, year), "done": done}
    if user.role == Role.VOLUNTEER:
        mine = await routes.record_of(
            user.username, user, s, year=context["year"], wait_for=wait_for
        )
        context.update(record=mine["record"], ahead=mine["next_sessions"])
    else:
        context.update(await _staff(s, user, context["year"], wait_for))
    return page(request, "training.html", context, services=s, user=user)


async def _submitted(request: Request, s: Services, user: User, run: Any) -> Response:
    """Check the form's CSRF token and run ``run(data)``; the page again with the
    refusal, or back to the page once done."""
    data = await form_data(request)
    session.check_csrf(request, s, data.get(session.CSRF_FIELD))
    try:
        done = await run(data)
    except ValidationError as error:
        refusal = Refusal.invalid(error)
    except DomainError as error:
        refusal = Refusal.of(error)
    except ValueError:  # the day or the score as typed is no date or number
        refusal = Refusal(
            422, {"message_zh": "日期或分数格式不正确", "message_en": "Not a date or a number"}
        )
    else:
        return see_other(f"/training?done=recorded&wait_for={done.position or 0}")
    year = routes.this_year(s, None)
    context = {"year": year, "done": None, **await _staff(s, user, year, None)}
    context.update(entered=data, refused=refusal.body)
    return page(
        request, "training.html", context, services=s, user=user, status_code=refusal.status
    )


@router.post("/training", response_class=HTMLResponse)
async def schedule(request: Request, user: ConsoleUser, s: ServicesDep) -> Response:
    async def run(data: dict[str, str]) -> Any:
        body = SessionCreate(
            kind=data.get("kind", ""),
            topic=data.get("topic", ""),
            instructor=data.get("instructor", ""),
            day=date.fromisoformat(data.get("day", "")),
            credit=data.get("credit", ""),
            mode=data.get("mode", ""),
            place=data.get("place", ""),
        )
        return await routes.schedule(body, user, s, key=data.get("key") or None)

    return await _submitted(request, s, user, run)


@router.post("/training/attendance", response_class=HTMLResponse)
async def attend(request: Request, user: ConsoleUser, s: ServicesDep) -> Response:
    async def run(data: dict[str, str]) -> Any:
        body = Attendee(volunteer_id=data.get("volunteer_id", ""))
        return await routes.attend(
            data.get("session_id", ""), body, user, s, key=data.get("key") or None
        )

    return await _submitted(request, s, user, run)


@router.post("/training/exams", response_class=HTMLResponse)
async def exam(request: Request, user: ConsoleUser, s: ServicesDep) -> Response:
    async def run(data: dict[str, str]) -> Any:
        body = ExamResult(score=int(data.get("score", "")))
        return await routes.exam(
            data.get("volunteer_id", ""), body, user, s, key=data.get("key") or None
        )

    return await _submitted(request, s, user, run)


@router.post("/training/certification", response_class=HTMLResponse)
async def certify(request: Request, user: ConsoleUser, s: ServicesDep) -> Response:
    async def run(data: dict[str, str]) -> Any:
        return await routes.certify(
            data.get("volunteer_id", ""), user, s, key=data.get("key") or None
        )

    return await _submitted(request, s, user, run)


@router.post("/training/suspension", response_class=HTMLResponse)
async def suspend(request: Request, user: ConsoleUser, s: ServicesDep) -> Response:
    async def run(data: dict[str, str]) -> Any:
        body = SuspensionChange(reason=data.get("reason", ""))
        return await routes.suspend(
            data.get("volunteer_id", ""), body, user, s, key=data.get("key") or None
        )

    return await _submitted(request, s, user, run)


@router.post("/training/suspension/lifting", response_class=HTMLResponse)
async def lift_suspension(request: Request, user: ConsoleUser, s: ServicesDep) -> Response:
    async def run(data: dict[str, str]) -> Any:
        body = SuspensionChange(reason=data.get("reason", ""))
        return await routes.lift_suspension(
            data.get("volunteer_id", ""), body, user, s, key=data.get("key") or None
        )

    return await _submitted(request, s, user, run)
