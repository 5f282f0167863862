"""Downloads on the statistics page: the API's exports, run as the console's user
(the same scope checks, masking and record in the log as ``/api/exports``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from functools import partial
from typing import Annotated, Literal

import anyio
from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from api.console.pages.common import units_within
from api.console.render import page
from api.console.session import ConsoleUser
from api.deps import ServicesDep
from api.masking import masked_case
from api.period_report import count_figures, log_position, summary_rows
from api.query import unit_for
from api.routes import exports
from projections.exports import ExportQueries, period_bounds

router = APIRouter(include_in_schema=False)
CHINA = timezone(timedelta(hours=8))

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


@router.get("/exports/attendance")
async def attendance(
    user: ConsoleUser,
    s: ServicesDep,
    format: Format = "xlsx",
    unit: Unit = None,
    period: Period = None,
) -> FileResponse:
    return await exports.export_attendance(
        user, s, format=format, unit=unit, period=_period(period)
    )


@router.get("/exports/training-shortfall")
async def training_shortfall(
    user: ConsoleUser,
    s: ServicesDep,
    format: Format = "xlsx",
    unit: Unit = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> FileResponse:
    return await exports.export_training_shortfall(user, s, format=format, unit=unit, year=year)


@router.get("/exports/training-awaiting")
async def training_awaiting(
    user: ConsoleUser, s: ServicesDep, format: Format = "xlsx", unit: Unit = None
) -> FileResponse:
    return await exports.export_training_awaiting(user, s, format=format, unit=unit)


@router.get("/exports/report")
async def report(
    user: ConsoleUser, s: ServicesDep, unit: Unit = None, period: Period = None
) -> FileResponse:
    return await exports.period_report(user, s, period=period or _this_month(), unit=unit)


def _this_month() -> str:
    return datetime.now(CHINA).strftime("%Y-%m")


@router.get("/stats/report", response_class=HTMLResponse)
async def printable_report(
    request: Request, user: ConsoleUser, s: ServicesDep, unit: Unit = None, period: Period = None
) -> Response:
    """The period report's figures, printable, beside the workbook's download."""
    chosen = unit_for(user, unit)
    asked = period or _this_month()
    period_bounds(asked)
    queries = ExportQueries(s.views.projector)
    now = datetime.now(UTC)

    def counted() -> tuple[object, list[dict[str, object]]]:
        mask, stars = partial(masked_case, user), s.flow.scoring.stars
        stands_on = log_position(queries, asked, now)
        figures = count_figures(queries, chosen, asked, mask, now, stars=stars)
        return stands_on, summary_rows(figures)

    stands_on, figures = await anyio.to_thread.run_sync(counted)
    context = {
        "unit": chosen,
        "period": asked,
        "position": stands_on,
        "figures": figures,
        "units": units_within(s, user.unit),
    }
    return page(request, "period_report.html", context, services=s, user=user)
