"""Downloads on the statistics page: the API's exports, run as the console's user
(the same scope checks, masking and record in the log as ``/api/exports``)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse

from api.console.session import ConsoleUser
from api.deps import ServicesDep
from api.routes import exports

router = APIRouter(include_in_schema=False)

Format = Annotated[Literal["csv", "xlsx"], Query()]
Unit = Annotated[str | None, Query(max_length=200)]
Period = Annotated[str | None, Query(max_length=7)]


def _period(period: str | None) -> str | None:
    return period or None  # the page's "all months" sends an empty period


@router.get("/exports/incidents")
async def incidents(
    user: ConsoleUser,
    s: ServicesDep,
    format: Format = "xlsx",
    unit: Unit = None,
    period: Period = None,
) -> FileResponse:
    return await exports.export_incidents(
        user, s, format=format, unit=unit, stage=None, module=None, period=_period(period)
    )


@router.get("/exports/backlog")
async def backlog(
    user: ConsoleUser, s: ServicesDep, format: Format = "xlsx", unit: Unit = None
) -> FileResponse:
    return await exports.export_backlog(user, s, format=format, unit=unit, stage=None, as_of=None)


@router.get("/exports/volunteers")
async def volunteers(
    user: ConsoleUser, s: ServicesDep, format: Format = "xlsx", unit: Unit = None
) -> FileResponse:
    return await exports.export_volunteers(user, s, format=format, unit=unit, status=None)


@router.get("/exports/ledger")
async def ledger(
    user: ConsoleUser,
    s: ServicesDep,
    format: Format = "xlsx",
    unit: Unit = None,
    period: Period = None,
) -> FileResponse:
    return await exports.export_ledger(user, s, format=format, unit=unit, period=_period(period))
