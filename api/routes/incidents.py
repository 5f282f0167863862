"""Incidents: the report, every step of the loop, and the incident's own reads.

Every command runs as the logged-in user (never an actor named in the body) on
the group-commit writer, and answers after the crash-safe commit with the
incident's new version and the log position to wait for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Annotated, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from fastapi import APIRouter, Header, Query

from api import scope
from api.accounts import User
from api.deps import CurrentUser, ServicesDep
from api.idempotency import KeyReused, check_key, once
from api.masking import masked_case
from api.schemas import (
    MAX_VERSION,
    Ack,
    Chase,
    Close,
    Discovery,
    HandOver,
    History,
    IncidentView,
    Moment,
    NewReport,
    ProposeScore,
    Publicize,
    Reason,
    Reject,
    Report,
    Rows,
    StepBody,
    Summary,
)
from api.services import Services
from loop import audit, inputs
from loop.errors import ConcurrencyConflict, IncidentNotFound, InvalidInput
from loop.flow import Ack as FlowAck
from loop.stages import LOOP, STAGES

router = APIRouter(prefix="/api/incidents", tags=["incidents 警情"])

IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="重试时保持不变 / the same on every retry"),
]
WaitFor = Annotated[
    int | None,
    Query(
        ge=0,
        description="先等待投影追上此位置（超出日志末尾按末尾）/ wait for this log position "
        "(one beyond the log's head waits for the head)",
    ),
]


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


def _replayed_report(services: Services, incident_id: UUID, body: Any) -> Ack | None:
    """The incident a retried report created first, or None if there is none: for
    a retry whose first answer was not kept (stored just before a crash, or by
    another process)."""
    try:
        incident = services.flow.get(incident_id)
    except IncidentNotFound:
        return None
    asked: list[str | None] = [body.module.value, body.sense.value, body.what, body.where]
    found: list[str | None] = [incident.module, incident.sense, incident.what, incident.where]
    if isinstance(body, NewReport):
        asked += [body.channel.value, body.urgency.value, body.self_handled_note]
        found += [incident.channel, incident.urgency, incident.self_handled_note]
    if asked != found:
        raise KeyReused(
            "该 Idempotency-Key 已用于另一起警情",
            "This Idempotency-Key was used for another report",
            field="Idempotency-Key",
        )
    return _ack(FlowAck(str(incident.id), incident.version, incident.stage, None), replayed=True)


async def _create(
    services: Services,
    user: User,
    key: str | None,
    body: Discovery,
    run: Any,
    **kwargs: Any,
) -> Ack:
    if key is None:
        return _ack(await services.command(run, user.actor, **body.details(), **kwargs))
    key = check_key(key)
    answers = services.answers
    request = answers.digest(run.__name__, body.model_dump(mode="json"))
    async with answers.locks.hold(user.username, key):
        kept = answers.find(user.username, key, request)
        if kept is not None:
            return Ack(**{**kept[1], "replayed": True})
        incident_id = report_id(user, key)
        replay = _replayed_report(services, incident_id, body)
        if replay is not None:
            return replay
        try:
            ack = _ack(
                await services.command(
                    run, user.actor, incident_id=incident_id, **body.details(), **kwargs
                )
            )
        except ConcurrencyConflict:
            # the same report, stored first by another process
            replay = _replayed_report(services, incident_id, body)
            if replay is None:
                raise
            return replay
        answers.keep(user.username, key, request, 201, ack.model_dump())
        return ack


@router.post("", response_model=Ack, status_code=201)
async def report_new(
    body: NewReport, user: CurrentUser, services: ServicesDep, key: IdempotencyKey = None
) -> Ack:
    """发现并反馈警情（APP 或电话代录）/ discover and feed back an incident (app, or
    phone logged by the office). A retry with the same ``Idempotency-Key`` returns
    the first incident instead of a second one."""
    return await _create(
        services,
        user,
        key,
        body,
        services.flow.report_new,
        channel=body.channel.value,
        urgency=body.urgency.value,
        self_handled_note=body.self_handled_note,
    )


@router.post("/discoveries", response_model=Ack, status_code=201)
async def discover(
    body: Discovery, user: CurrentUser, services: ServicesDep, key: IdempotencyKey = None
) -> Ack:
    """记录发现、稍后反馈 / record a discovery, to be fed back later."""
    return await _create(services, user, key, body, services.flow.discover)


async def _step(
    services: Services,
    user: User,
    step: str,
    incident_id: str,
    body: StepBody,
    key: str | None,
    **kwargs: Any,
) -> Ack:
    uid = inputs.incident_id("incident_id", incident_id)
    method = getattr(services.flow, FLOW_METHODS[step])

    def checked() -> FlowAck:
        # Someone who may not read the incident learns nothing of it from a refusal
        # (its stage, version or legal steps): refused before the loop is asked.
        incident = services.flow.get(uid)
        scope.check_incident(user, incident.community, incident.reporter_id, str(uid))
        ack: FlowAck = method(user.actor, uid, expected_version=body.expected_version, **kwargs)
        return ack

    async def run() -> dict[str, Any]:
        return _ack(await services.command(checked)).model_dump()

    payload = None if key is None else body.model_dump(mode="json")  # only a key needs it
    return Ack(**await once(services.answers, user.username, key, f"{step}:{uid}", payload, run))


def _fields(*names: str) -> Callable[[Any], dict[str, Any]]:
    """The body's named fields as the flow method's keyword arguments."""

    def pick(body: Any) -> dict[str, Any]:
        values = {name: getattr(body, name) for name in names}
        return {k: v.value if isinstance(v, Enum) else v for k, v in values.items()}

    return pick


def _scored(body: ProposeScore) -> dict[str, Any]:
    return {"items": [i.model_dump() for i in body.items], "basis": body.basis}


@dataclass(frozen=True)
class StepRoute:
    """One loop step over HTTP: its path, the flow method, its body and summary."""

    path: str
    step: str
    method: str
    body: type[StepBody]
    arguments: Callable[[Any], dict[str, Any]]
    summary: str
    optional_body: bool = False


STEP_ROUTES = (
    StepRoute(
        "report", "report", "report", Report,
        _fields("channel", "urgency", "self_handled_note"),
        "反馈警情 / feed a recorded discovery back to the community police office",
    ),
    StepRoute(
        "accept", "accept", "accept", StepBody, _fields(),
        "受理处置（社区、派出所或县局）/ the owning tier accepts the incident",
        optional_body=True,
    ),
    StepRoute(
        "escalate", "escalate", "escalate", Reason, _fields("reason"),
        "提级处置：社区→派出所→县局 / escalate to the station, or on to the county",
    ),
    StepRoute(
        "return", "return", "return_", Reason, _fields("reason"),
        "退回下一级并说明理由 / send it back down one tier with a reason",
    ),
    StepRoute(
        "divert", "divert", "divert", Reason, _fields("reason"),
        "分流：非警务事项退回社区 / not police jurisdiction: back to the community",
    ),
    StepRoute(
        "hand-over", "hand_over", "hand_over", HandOver,
        _fields("department", "received_by", "received_at"),
        "移交职能部门并记录交接 / hand over to a department, recording the handover",
    ),
    StepRoute(
        "chase", "chase", "chase", Chase, _fields("asked", "answer"),
        "落办催办 / chase the handling tier or department for its outcome",
    ),
    StepRoute(
        "outcome", "record_outcome", "record_outcome", Summary, _fields("summary"),
        "记录处置结果 / record the outcome",
    ),
    StepRoute(
        "confirm-self-handled", "confirm_self_handled", "confirm_self_handled", Summary,
        _fields("summary"),
        "确认义警现场自行处置 / confirm the volunteer handled it on site",
    ),
    StepRoute(
        "score", "propose_score", "propose_score", ProposeScore, _scored,
        "考评打分（提议）/ propose the volunteer's score",
    ),
    StepRoute(
        "sign", "sign_score", "sign_score", StepBody, _fields(),
        "社区主任、社区民警联签 / co-sign the score as director or officer",
        optional_body=True,
    ),
    StepRoute(
        "reward", "reward", "reward", StepBody, _fields(),
        "奖励兑现：积分存入幸福银行 / credit the points to the Happiness Bank",
        optional_body=True,
    ),
    StepRoute(
        "publicize", "publicize", "publicize", Publicize, _fields("title", "redaction_note"),
        "典型宣传（须经脱敏审核）/ feature the case, after its redaction review",
    ),
    StepRoute(
        "close", "close", "close_incident", Close, _fields("note"),
        "闭环结案 / close the loop",
        optional_body=True,
    ),
    StepRoute(
        "reject", "reject", "reject", Reject, _fields("kind", "reason", "related_id"),
        "驳回：重复、合并或查无实据 / reject as duplicate, merged or unfounded",
    ),
)  # fmt: skip
FLOW_METHODS = {r.step: r.method for r in STEP_ROUTES}


def _register(route: StepRoute) -> None:
    async def endpoint(
        incident_id: str, user: User, s: Services, body: Any = None, key: str | None = None
    ) -> Ack:
        chosen = body if body is not None else route.body()
        return await _step(s, user, route.step, incident_id, chosen, key, **route.arguments(chosen))

    # FastAPI reads the parameters' types from the annotations: set them per step.
    body_type: Any = route.body | None if route.optional_body else route.body
    endpoint.__annotations__ = {
        "incident_id": str,
        "user": CurrentUser,
        "s": ServicesDep,
        "body": body_type,
        "key": IdempotencyKey,
        "return": Ack,
    }
    if not route.optional_body:
        endpoint.__defaults__ = (None,)  # only the key has a default: the body is required
    endpoint.__name__ = route.step
    endpoint.__doc__ = route.summary
    router.post(
        f"/{{incident_id}}/{route.path}", response_model=Ack, name=route.step, summary=route.summary
    )(endpoint)


for _route in STEP_ROUTES:
    _register(_route)


# -- reads ---------------------------------------------------------------------


@lru_cache(maxsize=64)
def diagram(stage: str | None) -> str:
    return LOOP.mermaid(stage)


def _readable(services: Services, user: User, incident_id: str, version: int | None = None) -> Any:
    uid = inputs.incident_id("incident_id", incident_id)
    incident = services.flow.get(uid, version=version)
    scope.check_incident(user, incident.community, incident.reporter_id, str(uid))
    return incident


@router.get("", response_model=Rows)
async def list_incidents(
    user: CurrentUser,
    s: ServicesDep,
    unit: Annotated[str | None, Query(max_length=200)] = None,
    stage: Annotated[str | None, Query(max_length=40)] = None,
    module: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    wait_for: WaitFor = None,
) -> Rows:
    """本单位的警情（开放与已结）；义警看到自己反馈的 / incidents of a unit, newest
    first; a volunteer gets his own reports."""
    await s.wait_for(wait_for)
    if user.role == "volunteer":
        rows = s.views.queries.reports_of(user.username, limit=limit)
        return Rows(items=[masked_case(user, {**r, "reporter_id": user.username}) for r in rows])
    chosen = unit or user.unit
    scope.check_unit(user, chosen)
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
        incident_id=str(incident.id), entries=audit.history(s.flow, incident.id, user.actor)
    )


@router.get("/{incident_id}/state", response_model=dict[str, Any])
async def get_state(
    incident_id: str,
    user: CurrentUser,
    s: ServicesDep,
    version: Annotated[int | None, Query(ge=1, le=MAX_VERSION)] = None,
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
        return audit.state_at(s.flow, incident.id, version, user.actor)
    assert as_of is not None
    return audit.state_as_of(s.flow, incident.id, inputs.moment("as_of", as_of), user.actor)
