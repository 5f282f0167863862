"""The Happiness Bank (幸福银行): accounts, the donated-goods catalogue, redemption,
deductions, monthly evaluation and honours."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path
from pydantic import Field

from aggregates.points_account import account_id
from api.accounts import User
from api.deps import CurrentUser, IdempotencyKey, ServicesDep, WaitFor
from api.dispatch import Command, command, execute, ids
from api.query import UnitFilter, unit_for
from api.schemas import Answer, Body, Rows, answer_of
from api.services import Services
from loop.rules import units
from loop.rules.vocabulary import Role
from loop.services import audit
from loop.services.bank import Balance, Evaluation, HonourAck, ItemAck, Redemption

router = APIRouter(prefix="/api", tags=["happiness bank 幸福银行"])

VolunteerId = Annotated[str, Path(max_length=100)]
ItemId = Annotated[str, Path(max_length=36)]


class Donation(Body):
    name: str = Field(max_length=50)
    donor: str = Field(max_length=100)
    stock: int
    price: int
    limit_per_volunteer: int | None = None


class Restock(Body):
    quantity: int
    donor: str = Field(max_length=100)


class Redeem(Body):
    item_id: str = Field(max_length=36)
    quantity: int = 1


class Deduction(Body):
    reason: str = Field(max_length=500)
    points: int | None = None
    kind: str = Field(default="manual", max_length=40)


class MonthEvaluation(Body):
    month: str = Field(max_length=7)
    passed: bool
    note: str = Field(max_length=500)


class Honour(Body):
    honour: str = Field(max_length=40)
    period: str = Field(max_length=10)
    reason: str = Field(max_length=500)


RedemptionAnswer = answer_of(Redemption)
BalanceAnswer = answer_of(Balance)
EvaluationAnswer = answer_of(Evaluation)
HonourAnswer = answer_of(HonourAck)
ItemAnswer = answer_of(ItemAck)


def account_of(volunteer_id: str) -> tuple[UUID, ...]:
    """What a command on a volunteer's account loads: the account (``Command.loads``)."""
    return ids(volunteer_id, of=account_id)


def redeem_command(s: Services, user: User, volunteer_id: str, body: Redeem) -> Command[Answer]:
    """Redeem points for an item of the catalogue (the console's form too)."""
    run = partial(s.bank.redeem, user.actor, volunteer_id, body.item_id, quantity=body.quantity)
    loads = account_of(volunteer_id) + ids(body.item_id)
    return command(f"redeem:{volunteer_id}", body, run, RedemptionAnswer, loads=loads)


@router.get("/accounts/{volunteer_id}", response_model=dict[str, Any])
async def balance(
    volunteer_id: VolunteerId, user: CurrentUser, s: ServicesDep, wait_for: WaitFor = None
) -> Any:
    """账户余额、积分、星级与排名 / balance, score, star level and ranks."""
    s.bank.read_account(user.actor, volunteer_id)
    await s.wait_for(wait_for)
    now = s.bank.balance(volunteer_id)._asdict()
    figures = s.views.queries.volunteer_score(volunteer_id, stars=s.flow.scoring.stars)
    return {**now, "ranks": (figures or {}).get("rank"), "months": (figures or {}).get("months")}


@router.get("/accounts/{volunteer_id}/history", response_model=dict[str, Any])
async def account_history(volunteer_id: VolunteerId, user: CurrentUser, s: ServicesDep) -> Any:
    """账户流水：每笔存入、兑换、扣减及其依据 / every entry with its basis."""
    account = s.bank.read_account(user.actor, volunteer_id)
    return {
        "volunteer_id": volunteer_id,
        "entries": audit.history(s.flow.app, account.id, user.actor),
    }


@router.post("/accounts/{volunteer_id}/redemptions", response_model=RedemptionAnswer)
async def redeem(
    volunteer_id: VolunteerId,
    body: Redeem,
    user: CurrentUser,
    s: ServicesDep,
    key: IdempotencyKey = None,
) -> Answer:
    """积分兑换捐赠物品；重试时带相同 Idempotency-Key 不会重复兑换 / exchange points for
    donated goods; a retry with the same ``Idempotency-Key`` redeems once."""
    return await execute(s, user, key, redeem_command(s, user, volunteer_id, body))


@router.post("/accounts/{volunteer_id}/deductions", response_model=BalanceAnswer)
async def deduct(
    volunteer_id: VolunteerId,
    body: Deduction,
    user: CurrentUser,
    s: ServicesDep,
    key: IdempotencyKey = None,
) -> Answer:
    """扣分（说明理由）/ deduct points, with the reason."""
    run = partial(s.bank.deduct, user.actor, volunteer_id, **body.model_dump())
    loads = account_of(volunteer_id)
    asked = command(f"deduct:{volunteer_id}", body, run, BalanceAnswer, loads=loads)
    return await execute(s, user, key, asked)


@router.post("/accounts/{volunteer_id}/evaluations", response_model=EvaluationAnswer)
async def evaluate_month(
    volunteer_id: VolunteerId,
    body: MonthEvaluation,
    user: CurrentUser,
    s: ServicesDep,
    key: IdempotencyKey = None,
) -> Answer:
    """月考评 / record a month's evaluation."""
    run = partial(s.bank.evaluate_month, user.actor, volunteer_id, **body.model_dump())
    loads = account_of(volunteer_id)
    asked = command(f"evaluate_month:{volunteer_id}", body, run, EvaluationAnswer, loads=loads)
    return await execute(s, user, key, asked)


@router.post("/accounts/{volunteer_id}/honours", response_model=HonourAnswer)
async def award_honour(
    volunteer_id: VolunteerId,
    body: Honour,
    user: CurrentUser,
    s: ServicesDep,
    key: IdempotencyKey = None,
) -> Answer:
    """授予荣誉（义警之星等）/ award an honour for a period."""
    run = partial(s.bank.award_honour, user.actor, volunteer_id, **body.model_dump())
    loads = account_of(volunteer_id)
    asked = command(f"award_honour:{volunteer_id}", body, run, HonourAnswer, loads=loads)
    return await execute(s, user, key, asked)


@router.get("/catalogue", response_model=Rows)
async def catalogue(
    user: CurrentUser,
    s: ServicesDep,
    unit: UnitFilter = None,
    wait_for: WaitFor = None,
) -> Rows:
    """可兑换物品：义警看到本社区及所属派出所的 / the goods a volunteer may redeem, or
    every item held within a unit for its staff."""
    await s.wait_for(wait_for)
    if user.role == Role.VOLUNTEER:
        return Rows(items=s.views.queries.catalogue(user.unit))
    chosen = unit_for(user, unit)
    if units.is_community(chosen):
        return Rows(items=s.views.queries.catalogue(chosen))
    return Rows(items=s.views.queries.catalogue_of(chosen))


@router.post("/catalogue", response_model=ItemAnswer, status_code=201)
async def donate(
    body: Donation, user: CurrentUser, s: ServicesDep, key: IdempotencyKey = None
) -> Answer:
    """登记爱心商家捐赠的物品 / register goods a local business donated."""
    run = partial(s.bank.donate, user.actor, **body.model_dump())
    return await execute(s, user, key, command("donate", body, run, ItemAnswer, 201))


@router.post("/catalogue/{item_id}/restock", response_model=ItemAnswer)
async def restock(
    item_id: ItemId, body: Restock, user: CurrentUser, s: ServicesDep, key: IdempotencyKey = None
) -> Answer:
    """补充库存 / more of an item."""

    run = partial(s.bank.restock, user.actor, item_id, quantity=body.quantity, donor=body.donor)
    asked = command(f"restock:{item_id}", body, run, ItemAnswer, loads=ids(item_id))
    return await execute(s, user, key, asked)
