"""The organisation (单位): the county's units as a registry of events an
administrator edits, and every unit's history.

Commands run as the logged-in user on the group-commit writer and take an
optional ``Idempotency-Key``; who may change which unit is the registry's rule
(an administrator, within his own unit). Reads come from the organisation read
model and honour ``wait_for``; a caller sees the units of his own county.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field

from aggregates.errors import UnitNotFound
from api.accounts import User
from api.deps import CurrentUser, IdempotencyKey, ServicesDep, WaitFor
from api.dispatch import command, execute
from api.schemas import Answer, Body, Rows, answer_of
from api.services import Services
from loop.rules import permissions
from loop.rules.organisation_access import organisation_record
from loop.services.organisation import UnitAck

router = APIRouter(prefix="/api/organisation", tags=["organisation 单位"])

Code = Annotated[str, Field(max_length=64)]
Text = Annotated[str, Field(max_length=500)]


class UnitBody(Body):
    code: Code
    kind: str = Field(max_length=20)
    parent: Code
    name: str = Field(max_length=60)
    name_en: str = Field(default="", max_length=60)
    centre: list[float] | None = Field(default=None, min_length=2, max_length=2)


class Registration(Body):
    units: list[UnitBody] = Field(min_length=1, max_length=500)


class Renaming(Body):
    code: Code
    name: str = Field(max_length=60)
    name_en: str = Field(default="", max_length=60)
    reason: Text


class Moving(Body):
    code: Code
    parent: Code
    reason: Text


class Merging(Body):
    code: Code
    into: Code
    reason: Text


class Retiring(Body):
    code: Code
    reason: Text


UnitAnswer = answer_of(UnitAck)


def county_of(s: Services, user: User) -> str:
    tree = s.loop.registry.tree()
    return tree.ancestor(user.unit, "county") or user.unit


def known(s: Services, user: User, code: str) -> None:
    """404 for a unit the caller may not read (outside his county), as if it did
    not exist."""
    tree = s.loop.registry.tree()
    county = tree.ancestor(code, "county") if tree.registered(code) else None
    if county is None or not permissions.visible(user.actor, organisation_record(county)):
        raise UnitNotFound(f"没有编码为 {code} 的单位", f"No unit has the code {code}", unit=code)


@router.post("/units", response_model=UnitAnswer, status_code=201)
async def register(
    body: Registration, user: CurrentUser, s: ServicesDep, key: IdempotencyKey = None
) -> Answer:
    """登记单位：派出所、警务站、社区、村、管辖部门，可一次登记多个（全部或全不）/
    register units (stations, work stations, communities, villages, departments),
    several at once, each under one registered before it: all or none."""
    units = [u.model_dump() for u in body.units]

    def run() -> UnitAck:
        return s.loop.registry.register_many(user.actor, units)

    return await execute(s, user, key, command("register_units", body, run, UnitAnswer, 201))


@router.post("/rename", response_model=UnitAnswer)
async def rename(
    body: Renaming, user: CurrentUser, s: ServicesDep, key: IdempotencyKey = None
) -> Answer:
    """单位更名：此后显示新名称，历史仍显示当时的名称 / rename a unit: its new name
    from now on, its history keeps the names it had."""

    def run() -> UnitAck:
        known(s, user, body.code)
        return s.loop.registry.rename(
            user.actor, body.code, name=body.name, name_en=body.name_en, reason=body.reason
        )

    return await execute(s, user, key, command(f"rename:{body.code}", body, run, UnitAnswer))


@router.post("/move", response_model=UnitAnswer)
async def move(
    body: Moving, user: CurrentUser, s: ServicesDep, key: IdempotencyKey = None
) -> Answer:
    """调整上级单位（不能移到自己或下级之下）/ place a unit under another parent."""

    def run() -> UnitAck:
        known(s, user, body.code)
        return s.loop.registry.move(user.actor, body.code, parent=body.parent, reason=body.reason)

    return await execute(s, user, key, command(f"move:{body.code}", body, run, UnitAnswer))


@router.post("/merge", response_model=UnitAnswer)
async def merge(
    body: Merging, user: CurrentUser, s: ServicesDep, key: IdempotencyKey = None
) -> Answer:
    """合并管辖部门 / merge a department into another."""

    def run() -> UnitAck:
        known(s, user, body.code)
        return s.loop.registry.merge(user.actor, body.code, into=body.into, reason=body.reason)

    return await execute(s, user, key, command(f"merge:{body.code}", body, run, UnitAnswer))


@router.post("/retire", response_model=UnitAnswer)
async def retire(
    body: Retiring, user: CurrentUser, s: ServicesDep, key: IdempotencyKey = None
) -> Answer:
    """撤销单位：仍有未办结警情、启用账号或下级单位时拒绝并列出 / retire a unit;
    refused, naming them, while it has open incidents, enabled accounts or units
    below it."""

    def run() -> UnitAck:
        known(s, user, body.code)
        return s.loop.registry.retire(user.actor, body.code, reason=body.reason)

    return await execute(s, user, key, command(f"retire:{body.code}", body, run, UnitAnswer))


@router.get("/units", response_model=Rows)
async def units(user: CurrentUser, s: ServicesDep, wait_for: WaitFor = None) -> Rows:
    """本县的单位（含已撤销），按编码 / the units of the caller's county, retired ones
    too, by code."""
    await s.wait_for(wait_for)
    tree = s.loop.registry.tree()
    county = county_of(s, user)
    rows = [
        u
        for u in s.views.accounts.units()
        if tree.registered(u["code"]) and tree.within(u["code"], county)
    ]
    return Rows(items=rows)


@router.get("/history", response_model=list[dict[str, Any]])
async def history(
    user: CurrentUser, s: ServicesDep, code: Annotated[str, Query(max_length=64)]
) -> list[dict[str, Any]]:
    """一个单位的历史：谁在何时登记、更名、调整、撤销 / a unit's history: who
    registered, renamed, moved or retired it, when, with the names of the time."""
    known(s, user, code)
    return s.loop.registry.history(code)
