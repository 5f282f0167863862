"""Talk orders (群众点单、民警接单): the station's menu, the orders it holds, its
answers, scheduling with speakers, delivery, and reach by theme.

Every command takes the one command path (``api.dispatch``), with an
``Idempotency-Key`` run once; an order the caller may not know of answers 404.
The orderer's own pages are public (``api.routes.public_talks``).
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from inspect import Parameter, Signature
from typing import Annotated, Any, NamedTuple

from fastapi import APIRouter, Path, Query

from api.accounts import User
from api.deps import CurrentUser, IdempotencyKey, ServicesDep, WaitFor
from api.dispatch import command, execute, ids
from api.query import MonthFilter, UnitFilter, unit_for
from api.schemas import Answer, Body, Rows, answer_of
from api.services import Services
from api.talk_schemas import (
    Delivery,
    FollowUp,
    Forwarding,
    MenuItem,
    OrderLogged,
    Scheduling,
    SpeakerRegistration,
    TalkReason,
)
from loop.rules.scoring import CHINA
from loop.rules.talks import MODULE_THEMES, suggested
from loop.services.talk_links import TalkLinks
from loop.services.talk_speakers import SpeakerAck
from loop.services.talk_views import order_seen, speaker_pool
from loop.services.talks import MenuAck, OrderAck, Talks
from projections.talk_queries import STATUSES, TalkQueries

router = APIRouter(prefix="/api/talks", tags=["talk orders 群众点单"])

OrderId = Annotated[str, Path(max_length=36)]
ItemId = Annotated[str, Path(max_length=40)]
SpeakerRef = Annotated[str, Path(max_length=120)]


class OrderSaid(NamedTuple):
    """What an order's command answers: never a private link (a kept answer is
    stored; the station asks for the link with ``GET .../link``)."""

    order_id: str
    version: int
    status: str
    unit: str
    task_id: str | None
    position: int | None


MenuAnswer = answer_of(MenuAck)
SpeakerAnswer = answer_of(SpeakerAck)
OrderAnswer = answer_of(OrderSaid)
assert set(OrderSaid._fields) == set(OrderAck._fields) - {"link"}


def talks(s: Services) -> Talks:
    """The talks over the one store; links checked by the installation's keyed digest,
    places and stations by the registry."""

    def serving(code: str) -> bool:
        unit = s.loop.registry.tree().get(code)
        return unit is not None and unit.active

    return Talks(
        s.loop.app,
        s.loop.tasks,
        lambda token: s.answers.digest("talk:link", token),
        serving=serving,
    )


def links(s: Services) -> TalkLinks:
    return TalkLinks(talks(s))


def queries(s: Services) -> TalkQueries:
    return TalkQueries(s.views.projector)


# -- reading -------------------------------------------------------------------------------


@router.get("/menu", response_model=Rows)
async def menu(
    _user: CurrentUser,
    s: ServicesDep,
    unit: Annotated[str, Query(max_length=200)],
    wait_for: WaitFor = None,
) -> Rows:
    """宣讲菜单 / the talks a station (or county bureau) offers, to anyone logged in (the
    public order form shows it to residents)."""
    await s.wait_for(wait_for)
    return Rows(items=queries(s).menu(unit))


@router.get("/orders", response_model=Rows)
async def orders(
    user: CurrentUser,
    s: ServicesDep,
    unit: UnitFilter = None,
    status: Annotated[str | None, Query(max_length=16, description="|".join(STATUSES))] = None,
    wait_for: WaitFor = None,
) -> Rows:
    """本单位的宣讲订单（逾期未答复的标出）/ the orders held within a unit, newest
    first, those waiting past their answer deadline flagged ``overdue``."""
    chosen = unit_for(user, unit)
    await s.wait_for(wait_for)
    return Rows(items=queries(s).orders(chosen, status=status, now=s.loop.app.clock()))


@router.get("/orders/{order_id}", response_model=dict[str, Any])
async def order(order_id: OrderId, user: CurrentUser, s: ServicesDep) -> dict[str, Any]:
    """订单详情；接单后可见地点与联系人 / the order; its place and contact once accepted."""
    return order_seen(talks(s), user.actor, order_id)


@router.get("/orders/{order_id}/link", response_model=dict[str, Any])
async def link(
    order_id: OrderId,
    user: CurrentUser,
    s: ServicesDep,
    purpose: Annotated[str, Query(pattern="^(manage|rate)$")] = "rate",
) -> dict[str, Any]:
    """点单人的专属链接（管理或一键评价），供派出所转告；已用或过期则为空 / the orderer's
    link still usable (to confirm, reschedule or cancel; or to rate), for the station to
    pass on; made again from the installation's key, never stored."""
    token = links(s).current(user.actor, order_id, purpose)
    prefix = "/public/talks/o/" if purpose == "manage" else "/public/talks/r/"
    return {"order_id": order_id, "purpose": purpose, "path": token and f"{prefix}{token}"}


@router.get("/orders/{order_id}/speakers", response_model=Rows)
async def pool(order_id: OrderId, user: CurrentUser, s: ServicesDep) -> Rows:
    """排期可选的宣讲人；学校点单时该校法治副校长排在最前（``suggested``）/ the speakers
    an order may be scheduled with, a school's own 法治副校长 first."""
    return Rows(items=speaker_pool(talks(s), user.actor, order_id))


@router.get("/speakers", response_model=Rows)
async def speakers(
    user: CurrentUser, s: ServicesDep, unit: UnitFilter = None, wait_for: WaitFor = None
) -> Rows:
    """登记的民警与外聘宣讲人（不含姓名）/ the police and outside speakers registered
    within a unit: kind, organisation, 法治副校长 school, bookings and talks given."""
    chosen = unit_for(user, unit)
    await s.wait_for(wait_for)
    return Rows(items=queries(s).speakers(chosen))


@router.get("/suggestions", response_model=Rows)
async def suggestions(
    user: CurrentUser, s: ServicesDep, unit: UnitFilter = None, wait_for: WaitFor = None
) -> Rows:
    """建议宣讲主题：辖区反诈、交通安全警情比上月增加的 / the themes to offer a unit,
    where its reports in the module a theme answers rose against last month."""
    chosen = unit_for(user, unit)
    await s.wait_for(wait_for)
    now = s.loop.app.clock().astimezone(CHINA)
    last = (now.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    counts = {}
    for module in MODULE_THEMES:
        figures = [
            s.views.queries.statistics(chosen, period=p, module=module)["totals"].get("reported", 0)
            for p in (now.strftime("%Y-%m"), last)
        ]
        counts[module] = (figures[0], figures[1])
    return Rows(items=[found._asdict() for found in suggested(counts)])


@router.get("/reach", response_model=dict[str, Any])
async def reach(
    user: CurrentUser,
    s: ServicesDep,
    unit: UnitFilter = None,
    first: MonthFilter = None,
    last: MonthFilter = None,
    wait_for: WaitFor = None,
) -> dict[str, Any]:
    """宣讲覆盖：按主题的场次、人次、答疑数与群众点题 / talks, 人次 and questions by theme."""
    chosen = unit_for(user, unit)
    await s.wait_for(wait_for)
    span = {"first": first or "0000-00", "last": last or "9999-99"}
    return {
        "unit": chosen,
        "by_theme": queries(s).reach_by_theme(chosen, **span),
        "site_topics": queries(s).site_topics(chosen, **span),
    }


# -- commands ------------------------------------------------------------------------------


@router.post("/menu", response_model=MenuAnswer, status_code=201)
async def offer(
    body: MenuItem, user: CurrentUser, s: ServicesDep, key: IdempotencyKey = None
) -> Answer:
    """把一项宣讲放上菜单 / put a talk on the menu."""
    run = partial(talks(s).offer, user.actor, **body.model_dump())
    return await execute(s, user, key, command("offer_talk", body, run, MenuAnswer, 201))


@router.post("/speakers", response_model=SpeakerAnswer, status_code=201)
async def register_speaker(
    body: SpeakerRegistration, user: CurrentUser, s: ServicesDep, key: IdempotencyKey = None
) -> Answer:
    """登记民警或外聘宣讲人（可注明兼任法治副校长的学校）/ register a police or outside
    speaker, optionally the 法治副校长 of a school."""
    run = partial(talks(s).speakers.register, user.actor, **body.model_dump())
    return await execute(
        s, user, key, command("register_talk_speaker", body, run, SpeakerAnswer, 201)
    )


@router.post("/speakers/{ref}/retirement", response_model=SpeakerAnswer)
async def retire_speaker(
    ref: SpeakerRef, body: TalkReason, user: CurrentUser, s: ServicesDep,
    key: IdempotencyKey = None,
) -> Answer:  # fmt: skip
    """宣讲人退出宣讲队 / a speaker leaves the 宣讲队."""
    run = partial(talks(s).speakers.retire, user.actor, ref, reason=body.reason)
    return await execute(s, user, key, command(f"retire_speaker:{ref}", body, run, SpeakerAnswer))


@router.post("/menu/{item_id}/withdrawal", response_model=MenuAnswer)
async def withdraw_item(
    item_id: ItemId, body: TalkReason, user: CurrentUser, s: ServicesDep,
    unit: UnitFilter = None, key: IdempotencyKey = None,
) -> Answer:  # fmt: skip
    """撤下一项宣讲 / take a talk off the menu."""
    run = partial(
        talks(s).withdraw_item, user.actor, unit or user.unit, item_id, **body.model_dump()
    )
    return await execute(s, user, key, command(f"withdraw_talk:{item_id}", body, run, MenuAnswer))


@router.post("/orders", response_model=OrderAnswer, status_code=201)
async def log_order(
    body: OrderLogged, user: CurrentUser, s: ServicesDep, key: IdempotencyKey = None
) -> Answer:
    """代录电话点单；点单人的专属链接见 ``GET .../link?purpose=manage`` / log an order
    phoned in; the orderer's private link is at ``GET .../link?purpose=manage``."""
    run = partial(talks(s).order, user.actor, source="phone", **body.model_dump())
    return await execute(s, user, key, command("log_talk_order", body, run, OrderAnswer, 201))


class OrderStep(NamedTuple):
    """An answer or step on an order, ``POST /api/talks/orders/{order_id}/<path>``: the
    :class:`Talks` method ``name`` given the body's fields, run once per idempotency key
    as ``<request>:<order_id>``; ``doc`` is the route's description."""

    name: str
    path: str
    request: str
    body: type[Body] | None
    doc: str


ORDER_STEPS = {
    step.name: step
    for step in (
        OrderStep("accept", "acceptance", "accept_talk", None, "接单 / accept the order."),
        OrderStep(
            "decline", "decline", "decline_talk", TalkReason,
            "婉拒（须说明原因，点单人可见）/ decline, with the reason the orderer sees.",
        ),
        OrderStep(
            "forward", "forwarding", "forward_talk", Forwarding,
            "转交宣讲地点所属派出所 / forward to the station whose area the place lies in.",
        ),
        OrderStep(
            "schedule", "schedule", "schedule_talk", Scheduling,
            "排期并指派宣讲人（生成宣讲任务，宣讲人不会被重复安排）/ schedule with speakers.",
        ),
        OrderStep(
            "deliver", "delivery", "deliver_talk", Delivery,
            "登记宣讲：人次、答疑、群众点题；宣讲人时长与积分一次性计入；评价链接见\n"
            "``GET .../link?purpose=rate`` / record the talk given; the orderer's rating "
            "link is at\n``GET .../link?purpose=rate``.",
        ),
        OrderStep(
            "follow_up", "follow-up", "follow_talk", FollowUp,
            "差评回访 / the follow-up of a low rating.",
        ),
        OrderStep(
            "cancel", "cancellation", "cancel_talk", TalkReason,
            "取消（释放宣讲人）/ cancel; the speakers are released.",
        ),
    )
}  # fmt: skip


async def take(
    name: str, order_id: str, body: Body | None, user: User, s: Services, key: str | None
) -> Answer:
    """The order step ``name`` as ``user`` (its route's and the console's one way)."""
    step = ORDER_STEPS[name]
    given = {} if body is None else body.model_dump()
    run = partial(getattr(talks(s), step.name), user.actor, order_id, **given)
    asked = command(f"{step.request}:{order_id}", body, run, OrderAnswer, loads=ids(order_id))
    return await execute(s, user, key, asked)


def _register(step: OrderStep) -> None:
    """The step's route, with its body if it takes one."""

    async def endpoint(
        order_id: str, user: User, s: Services, key: str | None = None, body: Body | None = None
    ) -> Answer:
        return await take(step.name, order_id, body, user, s, key)

    # FastAPI reads the parameters from the signature (``inspect.signature`` honours
    # ``__signature__``): the step's body type, or no body at all.
    named = Parameter.KEYWORD_ONLY
    body = [] if step.body is None else [Parameter("body", named, annotation=step.body)]
    shown = [
        Parameter("order_id", named, annotation=OrderId),
        *body,
        Parameter("user", named, annotation=CurrentUser),
        Parameter("s", named, annotation=ServicesDep),
        Parameter("key", named, annotation=IdempotencyKey, default=None),
    ]
    signature = Signature(shown, return_annotation=Answer)
    endpoint.__signature__ = signature  # type: ignore[attr-defined]
    endpoint.__name__ = step.name
    endpoint.__doc__ = step.doc
    path = f"/orders/{{order_id}}/{step.path}"
    router.post(path, response_model=OrderAnswer, name=step.name)(endpoint)


for _step in ORDER_STEPS.values():
    _register(_step)
