"""Incidents: the report, every step of the loop, and the incident's own reads.

Every command runs as the logged-in user (never an actor named in the body) on
the group-commit writer, and answers after the crash-safe commit with the
incident's new version and the log position to wait for.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from fastapi import APIRouter, Query

from api.accounts import User
from api.deps import CurrentUser, IdempotencyKey, ServicesDep, WaitFor
from api.dispatch import Command, execute
from api.idempotency import KeyReused, check_key
from api.masking import masked_case
from api.query import DECIMAL, Limit, ModuleFilter, StageFilter, UnitFilter, unit_for
from api.schemas import (
    BODIES,
    MAX_VERSION,
    Ack,
    Caller,
    Discovery,
    History,
    IncidentView,
    Moment,
    NewReport,
    Rows,
    StepBody,
)
from api.services import Services
from loop.errors import IncidentNotFound, InvalidInput
from loop.rules import inputs
from loop.rules.scrubbing import scrubbed
from loop.rules.stages import LOOP, STAGES
from loop.rules.steps import STEPS, Step
from loop.services import audit
from loop.services.incidents import Ack as FlowAck

router = APIRouter(prefix="/api/incidents", tags=["incidents 警情"])


def _ack(ack: FlowAck, *, replayed: bool = False) -> Ack:
    return Ack(
        incident_id=ack.incident_id,
        version=ack.version,
        stage=ack.stage,
        stage_label=STAGES.get(ack.stage, ack.stage),
        position=ack.position,
        replayed=replayed,
    )


def report_id(user: User, key: str) -> UUID:
    """The incident id a report's idempotency key fixes, per user."""
    return uuid5(NAMESPACE_URL, f"lishu-loop:report:{user.username}:{key}")


def _replayed_report(services: Services, incident_id: UUID, body: Discovery) -> Ack | None:
    """The incident a retried report created first, or None if there is none: for
    a retry whose key record expired (kept ``idempotency_hours``), answered as the
    incident is now."""
    try:
        incident = services.flow.get(incident_id)
    except IncidentNotFound:
        return None
    asked: list[str | None] = [body.module.value, body.sense.value, body.what, body.where]
    found: list[str | None] = [incident.module, incident.sense, incident.what, incident.where]
    if isinstance(body, NewReport):
        asked += [body.channel.value, body.urgency.value, body.self_handled_note]
        found += [incident.channel, incident.urgency, incident.self_handled_note]
        given = (body.resident or Caller()).model_dump().items()
        caller = {k: v.strip() for k, v in given if isinstance(v, str) and v.strip()}
        held = incident.resident
        if caller and held is not None and not held.erased:  # his call, compared as kept
            asked[2:4] = [scrubbed(text or "", caller) for text in asked[2:4]]
            asked += sorted(f"{k}={v}" for k, v in caller.items())
            found += sorted(f"{k}={v.strip()}" for k, v in held.fields.items() if v.strip())
        else:  # a caller then and now (his details erased since), or neither
            asked.append(str(bool(caller)))
            found.append(str(held is not None))
    if asked != found:
        raise KeyReused(
            "该 Idempotency-Key 已用于另一起警情",
            "This Idempotency-Key was used for another report",
            field="Idempotency-Key",
        )
    return _ack(FlowAck(str(incident.id), incident.version, incident.stage, None), replayed=True)


def report_command(
    services: Services, user: User, body: Discovery, key: str | None
) -> Command[Ack]:
    """A new report (``NewReport``) or discovery: with a key, the key fixes the new
    incident's id, so a retry after a crash finds what the first attempt made."""
    incident_id = None if key is None else report_id(user, check_key(key))
    flow = services.flow
    details: dict[str, Any] = body.details()
    if incident_id is not None:
        details["incident_id"] = incident_id
    if isinstance(body, NewReport):
        request = "report_new"
        facts: dict[str, Any] = {
            "channel": body.channel.value,
            "urgency": body.urgency.value,
            "self_handled_note": body.self_handled_note,
        }
        if body.resident is not None:
            facts["resident"] = body.resident.model_dump()

        def run() -> FlowAck:
            return flow.report_new(user.actor, **facts, **details)
    else:
        request = "discover"

        def run() -> FlowAck:
            return flow.discover(user.actor, **details)

    def recover() -> Ack | None:
        return None if incident_id is None else _replayed_report(services, incident_id, body)

    return Command(request, body, run, Ack, _ack, 201, recover)


@router.post("", response_model=Ack, status_code=201)
async def report_new(
    body: NewReport, user: CurrentUser, services: ServicesDep, key: IdempotencyKey = None
) -> Ack:
    """发现并反馈警情（APP 或电话代录）/ discover and feed back an incident (app, or
    phone logged by the office). A retry with the same ``Idempotency-Key`` returns
    the first incident instead of a second one."""
    return await execute(services, user, key, report_command(services, user, body, key))


@router.post("/discoveries", response_model=Ack, status_code=201)
async def discover(
    body: Discovery, user: CurrentUser, services: ServicesDep, key: IdempotencyKey = None
) -> Ack:
    """记录发现、稍后反馈 / record a discovery, to be fed back later."""
    return await execute(services, user, key, report_command(services, user, body, key))


def step_command(
    services: Services, user: User, step: str, incident_id: str, body: StepBody
) -> Command[Ack]:
    """One step of the loop on the incident, with the step's body."""
    uid = inputs.incident_id("incident_id", incident_id)
    given = body.model_dump(exclude={"expected_version"})

    def run() -> FlowAck:
        # Someone who may not read the incident learns nothing of it from a refusal
        # (its stage, version or legal steps): the flow answers as if it did not exist.
        return services.flow.take(
            step, user.actor, uid, expected_version=body.expected_version, **given
        )

    return Command(f"{step}:{uid}", body, run, Ack, _ack, loads=(uid,))


def _register(step: Step) -> None:
    """The step's route, ``POST /api/incidents/{incident_id}/<path>``, with its body."""
    body_type: Any = BODIES[step.name]
    optional = not any(f.required for f in step.fields)

    async def endpoint(
        incident_id: str, user: User, s: Services, body: Any = None, key: str | None = None
    ) -> Ack:
        chosen = body if body is not None else body_type()
        return await execute(s, user, key, step_command(s, user, step.name, incident_id, chosen))

    # FastAPI reads the parameters' types from the annotations: set them per step.
    endpoint.__annotations__ = {
        "incident_id": str,
        "user": CurrentUser,
        "s": ServicesDep,
        "body": body_type | None if optional else body_type,
        "key": IdempotencyKey,
        "return": Ack,
    }
    if not optional:
        endpoint.__defaults__ = (None,)  # only the key has a default: the body is required
    endpoint.__name__ = step.name
    endpoint.__doc__ = step.summary
    router.post(
        f"/{{incident_id}}/{step.path}", response_model=Ack, name=step.name, summary=step.summary
    )(endpoint)


for _step in STEPS.values():
    _register(_step)


# -- reads ---------------------------------------------------------------------


@lru_cache(maxsize=64)
def diagram(stage: str | None) -> str:
    return LOOP.mermaid(stage)


def _readable(services: Services, user: User, incident_id: str) -> Any:
    """The incident, if the user may read it; not found otherwise, as if absent."""
    return services.flow.read(user.actor, inputs.incident_id("incident_id", incident_id))


@router.get("", response_model=Rows)
async def list_incidents(
    user: CurrentUser,
    s: ServicesDep,
    unit: UnitFilter = None,
    stage: StageFilter = None,
    module: ModuleFilter = None,
    limit: Limit = 100,
    wait_for: WaitFor = None,
) -> Rows:
    """本单位的警情（开放与已结）；义警看到自己反馈的 / incidents of a unit, newest
    first; a volunteer gets his own reports."""
    await s.wait_for(wait_for)
    if user.role == "volunteer":
        rows = s.views.queries.reports_of(user.username, limit=limit)
        return Rows(items=[masked_case(user, {**r, "reporter_id": user.username}) for r in rows])
    chosen = unit_for(user, unit)
    rows = s.views.queries.cases(chosen, stage=stage, module=module, limit=limit)
    return Rows(items=[masked_case(user, r) for r in rows])


@router.get("/{incident_id}", response_model=IncidentView)
async def get_incident(incident_id: str, user: CurrentUser, s: ServicesDep) -> IncidentView:
    """警情当前状态、此用户现在可执行的步骤与闭环图 / the incident now, the steps this
    user may take now, and the loop diagram with its stage highlighted."""
    incident = _readable(s, user, incident_id)
    return IncidentView(
        incident=audit.describe(incident, user.actor),
        allowed_steps=s.flow.allowed_steps(user.actor, incident.id),
        # legal for this incident: a confirmation only of what the report claims
        legal_steps=LOOP.legal_steps(
            incident.stage, {"claims_self_handled": incident.claims_self_handled}
        ),
        diagram=diagram(incident.stage),
    )


@router.get("/{incident_id}/history", response_model=History)
async def get_history(incident_id: str, user: CurrentUser, s: ServicesDep) -> History:
    """全部事件：谁、何时、何角色单位、一句话描述 / every event with who, when, and a
    sentence."""
    incident = _readable(s, user, incident_id)
    return History(
        incident_id=str(incident.id), entries=audit.history(s.flow.app, incident.id, user.actor)
    )


@router.get("/{incident_id}/state", response_model=dict[str, Any])
async def get_state(
    incident_id: str,
    user: CurrentUser,
    s: ServicesDep,
    version: Annotated[int | None, Query(ge=1, le=MAX_VERSION), DECIMAL] = None,
    as_of: Moment | None = None,
) -> dict[str, Any]:
    """某版本之后或某时刻的状态 / the state right after ``version``, or as of ``as_of``."""
    incident = _readable(s, user, incident_id)
    if (version is None) == (as_of is None):
        raise InvalidInput(
            "须且仅须给出 version 或 as_of 之一",
            "give exactly one of version or as_of",
            fields=["version", "as_of"],
        )
    if version is not None:
        return audit.state_at(s.flow.app, incident.id, version, user.actor)
    assert as_of is not None
    return audit.state_as_of(s.flow.app, incident.id, inputs.moment("as_of", as_of), user.actor)
