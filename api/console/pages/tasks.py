"""Duty tasks in the console: a volunteer's phone-first task list and "my tasks";
a task's page with its roster, check-in by the QR code the volunteer's phone
scans or by hand, completion and co-signature; a station's calendar with fill
levels and tasks at risk, and the publish form.

Every form runs the API's own route function as the logged-in user; a refusal is
shown in the API's words."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ValidationError

from aggregates.errors import DomainError
from api.accounts import User
from api.console import session
from api.console.actions import Refusal, form_number
from api.console.pages.common import form_data, names, see_other, units_within
from api.console.render import page
from api.console.session import ConsoleUser
from api.deps import ServicesDep
from api.routes import tasks as routes
from api.services import Services
from api.task_schemas import Attendance, Completion, ForVolunteer, TaskCreate, Withdrawal
from loop.rules.scoring import CHINA
from loop.rules.tasks import INTENSITIES, KINDS
from loop.rules.vocabulary import Role

router = APIRouter(include_in_schema=False)

Done = Annotated[str | None, Query(max_length=40)]
WaitFor = Annotated[int | None, Query(ge=0)]


async def _refused(request: Request, s: Services, data: dict[str, str], run: Any) -> Any:
    """Check the form's CSRF token and run ``run()``; a refusal as :class:`Refusal`."""
    session.check_csrf(request, s, data.get(session.CSRF_FIELD))
    try:
        done = await run()
        return done.model_dump() if isinstance(done, BaseModel) else done
    except ValidationError as error:
        return Refusal.invalid(error)
    except ValueError:
        return Refusal(422, {"message_zh": "须填写整数", "message_en": "Whole numbers only"})
    except DomainError as error:
        return Refusal.of(error)


# -- the volunteer's phone ------------------------------------------------------------------


async def _list_context(s: Services, user: User, wait_for: int | None) -> dict[str, Any]:
    tasks = (await routes.list_tasks(user, s, wait_for=wait_for)).items
    mine = await routes.tasks_of(user.username, user, s, wait_for=wait_for)
    return {"tasks": tasks, "mine": mine["tasks"], "hours": mine["hours"], "refused": None}


@router.get("/tasks", response_class=HTMLResponse)
async def task_list(
    request: Request, user: ConsoleUser, s: ServicesDep, done: Done = None, wait_for: WaitFor = None
) -> Response:
    if user.role != Role.VOLUNTEER:
        return see_other("/calendar")
    context = await _list_context(s, user, wait_for)
    context["done"] = done
    return page(request, "tasks.html", context, services=s, user=user)


@router.post("/tasks/{task_id}/sign-up", response_class=HTMLResponse)
async def sign_up(request: Request, task_id: str, user: ConsoleUser, s: ServicesDep) -> Response:
    data = await form_data(request)
    answer = await _refused(
        request,
        s,
        data,
        lambda: routes.sign_up(task_id, user, s, ForVolunteer(), key=data.get("key") or None),
    )
    if isinstance(answer, Refusal):
        context = await _list_context(s, user, None)
        context.update(done=None, refused={"task_id": task_id, **answer.body})
        return page(
            request, "tasks.html", context, services=s, user=user, status_code=answer.status
        )
    return see_other(f"/tasks?done={answer['state']}&wait_for={answer['position'] or 0}")


@router.post("/tasks/{task_id}/withdraw", response_class=HTMLResponse)
async def withdraw(request: Request, task_id: str, user: ConsoleUser, s: ServicesDep) -> Response:
    data = await form_data(request)
    answer = await _refused(
        request,
        s,
        data,
        lambda: routes.withdraw(
            task_id, user, s, Withdrawal(reason=data.get("reason", "")), key=data.get("key") or None
        ),
    )
    if isinstance(answer, Refusal):
        return await _task_refused(request, s, user, task_id, answer)
    done = "withdrawn_late" if answer["late"] else "withdrawn"
    return see_other(f"/tasks?done={done}&wait_for={answer['position'] or 0}")


@router.post("/tasks/{task_id}/reconfirm", response_class=HTMLResponse)
async def reconfirm(request: Request, task_id: str, user: ConsoleUser, s: ServicesDep) -> Response:
    data = await form_data(request)
    answer = await _refused(request, s, data, lambda: routes.reconfirm(task_id, user, s))
    if isinstance(answer, Refusal):
        return await _task_refused(request, s, user, task_id, answer)
    return see_other(f"/tasks?done=done&wait_for={answer['position'] or 0}")


@router.get("/tasks/{task_id}/check-in", response_class=HTMLResponse)
async def scanned(
    request: Request,
    task_id: str,
    user: ConsoleUser,
    s: ServicesDep,
    code: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """What the volunteer's phone opens on scanning the roster's QR code: a button
    that checks him in (a GET changes nothing)."""
    view = await routes.task_view(task_id, user, s)
    context = {"view": view.model_dump(), "code": code, "refused": None}
    return page(request, "task_check_in.html", context, services=s, user=user)


@router.post("/tasks/{task_id}/check-in", response_class=HTMLResponse)
async def self_check_in(
    request: Request, task_id: str, user: ConsoleUser, s: ServicesDep
) -> Response:
    data = await form_data(request)
    body = Attendance(volunteer_id=user.username, code=data.get("code", ""))
    answer = await _refused(request, s, data, lambda: routes.check_in(task_id, body, user, s))
    if isinstance(answer, Refusal):
        view = await routes.task_view(task_id, user, s)
        context = {"view": view.model_dump(), "code": data.get("code", ""), "refused": answer.body}
        return page(
            request, "task_check_in.html", context, services=s, user=user, status_code=answer.status
        )
    return see_other(f"/tasks?done=checked_in&wait_for={answer['position'] or 0}")


# -- a task's page: roster, check-in by hand, completion ------------------------------------------


async def _task_context(
    s: Services, user: User, task_id: str, wait_for: int | None = None
) -> dict[str, Any]:
    view = (await routes.task_view(task_id, user, s, wait_for=wait_for)).model_dump()
    people = [e["volunteer_id"] for e in view["roster"] or []]
    return {
        "view": view,
        "people": names(s, [*people, view["task"]["leader_id"] or ""]),
        "signs": user.role in (Role.COMMUNITY_DIRECTOR, Role.COMMUNITY_OFFICER),
        "completes": user.role != Role.VOLUNTEER,  # a leader checks in; staff complete
        "refused": None,
    }


async def _task_refused(
    request: Request, s: Services, user: User, task_id: str, refusal: Refusal
) -> Response:
    """The task's page again with the refusal in the API's words (the list, if the
    task is not one the user may know)."""
    if refusal.status == 404:
        return see_other("/tasks")
    context = await _task_context(s, user, task_id)
    context.update(done=None, refused=refusal.body)
    return page(request, "task.html", context, services=s, user=user, status_code=refusal.status)


@router.get("/tasks/{task_id}", response_class=HTMLResponse)
async def task_page(
    request: Request,
    task_id: str,
    user: ConsoleUser,
    s: ServicesDep,
    wait_for: WaitFor = None,
    done: Done = None,
) -> Response:
    context = await _task_context(s, user, task_id, wait_for)
    context["done"] = done
    return page(request, "task.html", context, services=s, user=user)


@router.get("/tasks/{task_id}/qr.svg")
async def check_in_qr(
    request: Request, task_id: str, user: ConsoleUser, s: ServicesDep
) -> Response:
    """The roster's QR code: the address of the check-in page with the task's code."""
    code = await routes.check_in_code(task_id, user, s)
    address = str(request.base_url).rstrip("/") + code.path
    out = io.BytesIO()
    segno.make(address, error="m").save(out, kind="svg", scale=6, border=2, xmldecl=False)
    return Response(
        out.getvalue(), media_type="image/svg+xml", headers={"Cache-Control": "no-store"}
    )


STEPS = {
    "check-in": routes.check_in,
    "check-out": routes.check_out,
    "no-show": routes.no_show,
}


@router.post("/tasks/{task_id}/attendance/{step}", response_class=HTMLResponse)
async def attendance(
    request: Request, task_id: str, step: str, user: ConsoleUser, s: ServicesDep
) -> Response:
    """The leader or an officer checks a volunteer in or out by hand, or records a
    no-show."""
    route = STEPS.get(step)
    if route is None:
        return see_other(f"/tasks/{task_id}")
    data = await form_data(request)
    body = Attendance(volunteer_id=data.get("volunteer_id", ""))
    answer = await _refused(request, s, data, lambda: route(task_id, body, user, s))
    return await _after(request, s, user, task_id, answer)


@router.post("/tasks/{task_id}/complete", response_class=HTMLResponse)
async def complete(request: Request, task_id: str, user: ConsoleUser, s: ServicesDep) -> Response:
    data = await form_data(request)

    def body() -> Completion:
        return Completion.model_validate(
            {
                "reach": form_number(data.get("reach") or "0"),
                "sessions": form_number(data.get("sessions") or "1"),
                "materials": form_number(data.get("materials") or "0"),
                "evidence": data.get("evidence", ""),
            }
        )

    answer = await _refused(
        request, s, data, lambda: routes.complete(task_id, body(), user, s, key=data.get("key"))
    )
    return await _after(request, s, user, task_id, answer)


@router.post("/tasks/{task_id}/sign", response_class=HTMLResponse)
async def sign(request: Request, task_id: str, user: ConsoleUser, s: ServicesDep) -> Response:
    data = await form_data(request)
    answer = await _refused(request, s, data, lambda: routes.sign_points(task_id, user, s))
    return await _after(request, s, user, task_id, answer)


async def _after(request: Request, s: Services, user: User, task_id: str, answer: Any) -> Response:
    if isinstance(answer, Refusal):
        return await _task_refused(request, s, user, task_id, answer)
    return see_other(f"/tasks/{task_id}?done=done&wait_for={answer['position'] or 0}")


# -- the station's calendar and the publish form ------------------------------------------------


def _local(value: str, field: str) -> datetime:
    """A ``datetime-local`` form value, read as China time."""
    try:
        return datetime.fromisoformat(value).replace(tzinfo=CHINA)
    except ValueError:
        raise ValueError(field) from None


async def _calendar_context(s: Services, user: User, wait_for: int | None) -> dict[str, Any]:
    now = s.loop.app.clock().astimezone(CHINA)
    start = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    rows = (
        await routes.calendar(
            user, s, start=start, end=start + timedelta(days=15), wait_for=wait_for
        )
    ).items
    days: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        day = datetime.fromisoformat(row["starts_at"]).astimezone(CHINA)
        days.setdefault(f"{day:%m-%d}", []).append(row)
    return {
        "days": days,
        "kinds": list(KINDS),
        "intensities": list(INTENSITIES),
        "communities": [
            u for u in units_within(s, user.unit) if s.loop.registry.tree().is_community(u)
        ],
        "may_publish": user.role
        in (Role.STATION_OFFICER, Role.COMMUNITY_OFFICER, Role.COUNTY_OFFICER),
        "entered": {},
        "refused": None,
    }


@router.get("/calendar", response_class=HTMLResponse)
async def calendar(
    request: Request, user: ConsoleUser, s: ServicesDep, wait_for: WaitFor = None, done: Done = None
) -> Response:
    if user.role == Role.VOLUNTEER:
        return see_other("/tasks")
    context = await _calendar_context(s, user, wait_for)
    context["done"] = done
    return page(request, "calendar.html", context, services=s, user=user)


@router.post("/calendar", response_class=HTMLResponse)
async def publish(request: Request, user: ConsoleUser, s: ServicesDep) -> Response:
    data = await form_data(request)

    def body() -> TaskCreate:
        return TaskCreate.model_validate(
            {
                "kind": data.get("kind", ""),
                "topic": data.get("topic", ""),
                "place": data.get("place", ""),
                "community": data.get("community") or None,
                "starts_at": _local(data.get("starts_at", ""), "starts_at"),
                "ends_at": _local(data.get("ends_at", ""), "ends_at"),
                "needed": form_number(data.get("needed") or "0"),
                "minimum": form_number(data.get("minimum") or "1"),
                "intensity": data.get("intensity", "normal"),
                "team": data.get("team") or None,
                "points": form_number(data["points"]) if data.get("points") else None,
                "leader_id": data.get("leader_id") or None,
            }
        )

    answer = await _refused(
        request, s, data, lambda: routes.publish(body(), user, s, key=data.get("key"))
    )
    if isinstance(answer, Refusal):
        context = await _calendar_context(s, user, None)
        context.update(done=None, entered=data, refused=answer.body)
        return page(
            request, "calendar.html", context, services=s, user=user, status_code=answer.status
        )
    return see_other(f"/calendar?done=published&wait_for={answer['position'] or 0}")
