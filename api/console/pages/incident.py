"""One incident: its facts, the loop with its stage highlighted, its timeline,
and a short form for each step this user may take now (``allowed_steps``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from api.accounts import User
from api.console import actions, diagram, session
from api.console.pages.common import form_data, names, see_other
from api.console.render import lang_of, page
from api.console.session import ConsoleUser
from api.deps import ServicesDep
from api.routes import incidents
from api.services import Services

router = APIRouter(include_in_schema=False)

IncidentId = Annotated[str, Path(max_length=36)]
Step = Annotated[str, Path(pattern="^[a-z_]{2,30}$")]


async def _context(request: Request, incident_id: str, user: User, s: Services) -> dict[str, Any]:
    view = await incidents.get_incident(incident_id, user, s)
    history = (await incidents.get_history(incident_id, user, s)).entries
    state = view.incident
    stage = state["stage"]
    people = names(s, [e["actor"]["id"] for e in history] + [state.get("reporter_id") or ""])
    return {
        "incident": state,
        "history": list(reversed(history)),
        "people": people,
        "phases": diagram.phases(stage, [e["stage"] for e in history], lang_of(request)),
        "next_steps": diagram.next_from(stage),
        "diagram_text": view.diagram,
        "forms": [actions.form_for(step, user) for step in view.allowed_steps],
        "categories": s.flow.scoring.categories,
        "departments": [name for _, name in s.flow.departments(state["community"])],
        "done": request.query_params.get("done"),
        "refused": None,
        "entered": {},
    }


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
async def incident_page(
    request: Request, incident_id: IncidentId, user: ConsoleUser, s: ServicesDep
) -> Response:
    context = await _context(request, incident_id, user, s)
    return page(request, "incident.html", context, services=s, user=user)


@router.post("/incidents/{incident_id}/steps/{step}", response_class=HTMLResponse)
async def take_step(
    request: Request,
    incident_id: IncidentId,
    step: Step,
    user: ConsoleUser,
    s: ServicesDep,
) -> Response:
    data = await form_data(request)
    session.check_csrf(request, s, data.get(session.CSRF_FIELD))
    if step not in actions.FORMS:
        return see_other(f"/incidents/{incident_id}")
    outcome = await actions.submit(step, incident_id, data, user, s)
    if not isinstance(outcome, actions.Refusal):
        await s.wait_for(outcome.position)  # the next page's lists show the step
        return see_other(f"/incidents/{outcome.incident_id}?done={step}")
    context = await _context(request, incident_id, user, s)
    context.update(refused={"step": step, **outcome.body}, entered=data)
    if not any(f.step == step for f in context["forms"]):
        # the step is no longer open to this user: show the refusal above the page
        context["refused"]["orphan"] = True
    return page(
        request, "incident.html", context, services=s, user=user, status_code=outcome.status
    )
