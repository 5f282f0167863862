"""Read models: backlogs, the publicity board, statistics and leaderboards.

Every answer comes from the projection tables, never from replaying events; pass
``wait_for`` (a command's ``position``) to read your own write.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.accounts import User
from api.deps import CurrentUser, ServicesDep, WaitFor
from api.masking import masked_case
from api.query import Limit, ModuleFilter, MonthFilter, StageFilter, UnitFilter, unit_for
from api.schemas import Moment, Rows
from loop.errors import InvalidInput

router = APIRouter(prefix="/api", tags=["read models 看板与统计"])

Unit = UnitFilter
Period = MonthFilter


@router.get("/backlog", response_model=Rows)
async def backlog(
    user: CurrentUser,
    s: ServicesDep,
    unit: Unit = None,
    stage: StageFilter = None,
    limit: Limit = 100,
    wait_for: WaitFor = None,
) -> Rows:
    """待办：本单位及下属单位承办中的警情，最先到期在前，含超期标记 / open incidents
    owned within the unit, soonest due first, flagged overdue."""
    chosen = unit_for(user, unit)
    await s.wait_for(wait_for)
    return Rows(items=s.views.queries.backlog(chosen, stage=stage, limit=limit))


@router.get("/backlog/summary", response_model=dict[str, Any])
async def backlog_summary(
    user: CurrentUser, s: ServicesDep, unit: Unit = None, wait_for: WaitFor = None
) -> dict[str, Any]:
    """待办统计：总数、超期数、各阶段数 / counts: open, overdue, per stage."""
    chosen = unit_for(user, unit)
    await s.wait_for(wait_for)
    return s.views.queries.backlog_summary(chosen)


@router.get("/backlog/as-of", response_model=Rows)
async def backlog_as_of(
    user: CurrentUser, s: ServicesDep, moment: Moment, unit: Unit = None, wait_for: WaitFor = None
) -> Rows:
    """某一时刻的待办（审计）/ the unit's backlog as it stood at ``moment``."""
    chosen = unit_for(user, unit)
    if moment.tzinfo is None:
        raise InvalidInput("时间须带时区", "the moment needs a time zone", field="moment")
    await s.wait_for(wait_for)
    return Rows(items=s.views.queries.backlog_as_of(chosen, moment))


@router.get("/publicity", response_model=Rows)
async def publicity_board(
    user: CurrentUser,
    s: ServicesDep,
    unit: Unit = None,
    limit: Limit = 50,
    wait_for: WaitFor = None,
) -> Rows:
    """典型宣传榜 / the publicized cases, newest first."""
    volunteer = user.role == "volunteer"
    chosen = unit_for(user, unit or (_county(user) if volunteer else None), "read_publicity")
    await s.wait_for(wait_for)
    rows = s.views.queries.publicity_board(chosen, limit=limit)
    return Rows(items=[masked_case(user, r) for r in rows])


def _county(user: User) -> str:
    return user.unit.split("/")[0]


@router.get("/statistics", response_model=dict[str, Any])
async def statistics(
    user: CurrentUser,
    s: ServicesDep,
    unit: Unit = None,
    period: Period = None,
    module: ModuleFilter = None,
    wait_for: WaitFor = None,
) -> dict[str, Any]:
    """统计：按单位、模块、月份 / counters by unit, module and month."""
    chosen = unit_for(user, unit)
    await s.wait_for(wait_for)
    return s.views.queries.statistics(chosen, period=period, module=module)


@router.get("/leaderboard", response_model=Rows)
async def leaderboard(
    user: CurrentUser,
    s: ServicesDep,
    unit: Unit = None,
    period: Period = None,
    limit: Limit = 50,
    wait_for: WaitFor = None,
) -> Rows:
    """积分排行（义警看本社区）/ volunteers by score; a volunteer sees his community's."""
    chosen = unit_for(user, unit, "read_leaderboard")
    await s.wait_for(wait_for)
    stars = s.flow.scoring.stars
    return Rows(items=s.views.queries.leaderboard(chosen, period=period, stars=stars, limit=limit))
