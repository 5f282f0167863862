"""Exports: a unit's incidents, backlog, volunteers, Happiness Bank ledger, task
attendance and training shortfall as CSV or XLSX, in the caller's scope and with the API's masking.

Each export checks the unit as the list it mirrors does (``api.scope``), reads
every row from the read models (``projections.exports``, the API's rows and
order) and masks them as the API masks them (``api.masking``, and a volunteer's
personal details as ``GET /api/volunteers/{id}`` shows them). The file is
written to disk row by row (bounded memory), its SHA-256 taken, its record
stored in the log (``loop.services.exports``) and only then sent. The file name
says the unit and the filters; headers carry the record's id, the row count,
the digest and the log position.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Query
from fastapi.responses import FileResponse
from starlette.types import Receive, Scope, Send

from api.accounts import User
from api.deps import CurrentUser, ServicesDep, WaitFor
from api.export_columns import COLUMNS, SHEETS
from api.masking import masked_case
from api.period_report import write_report
from api.query import ModuleFilter, StageFilter, StatusFilter, UnitFilter, unit_for
from api.routes.training import Year, norms, this_year
from api.schemas import Moment, Rows
from api.services import Services
from api.spreadsheets import write_csv, write_xlsx
from loop.errors import InvalidInput
from loop.rules import permissions
from loop.rules.stages import STAGES
from loop.services.exports import Exports
from projections.exports import ExportQueries, period_bounds

router = APIRouter(prefix="/api/exports", tags=["exports 导出"])

Format = Annotated[Literal["csv", "xlsx"], Query(description="csv | xlsx")]
Unit = UnitFilter
PERIOD = r"^\d{4}(-\d{2}|-Q[1-4])?$"
Period = Annotated[str | None, Query(pattern=PERIOD, description="YYYY, YYYY-Qn or YYYY-MM")]
BINARY = {"schema": {"type": "string", "format": "binary"}}
FILES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "文件 / the file",
        "content": {
            "text/csv": BINARY,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": BINARY,
        },
    }
}
WORKBOOK: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "工作簿 / the workbook",
        "content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": BINARY},
    }
}
SAFE = re.compile(r"[^0-9A-Za-z\u4e00-\u9fff._-]+")
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def file_name(kind: str, file_format: str, filters: dict[str, Any]) -> str:
    """``警情-incidents_lishu-chaoyang_period-2026-03_stage-closed.xlsx``: the list,
    the unit and each filter given."""
    zh = SHEETS[kind]
    parts = [f"{zh}-{kind}", str(filters["unit"])]
    parts += [f"{k}-{v}" for k, v in sorted(filters.items()) if k != "unit" and v is not None]
    return SAFE.sub("-", "_".join(parts)) + f".{file_format}"


async def deliver(
    s: Services,
    user: User,
    kind: str,
    file_format: str,
    filters: dict[str, Any],
    rows: Callable[[], Iterator[dict[str, Any]]],
) -> FileResponse:
    """Write ``rows()`` to a temporary file, record the export, send the file."""
    columns = COLUMNS[kind]

    def make(path: Path) -> int:
        if file_format == "csv":
            return write_csv(path, columns, rows())
        return write_xlsx(path, SHEETS[kind], columns, rows())

    return await deliver_file(s, user, kind, file_format, filters, make)


class OneOffFileResponse(FileResponse):
    """A file sent once and then deleted, whether the client read it all, hung up
    half way or the send was cancelled (a background task would not run then)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            Path(self.path).unlink(missing_ok=True)


async def deliver_file(
    s: Services,
    user: User,
    kind: str,
    file_format: str,
    filters: dict[str, Any],
    make: Callable[[Path], int],
) -> FileResponse:
    """``make`` the file (in a worker thread: reads and writes block), take its
    SHA-256, record the export in the log, then send the file and delete it."""
    handle, name = tempfile.mkstemp(prefix="lishu-export-", suffix=f".{file_format}")
    os.close(handle)
    path = Path(name)
    try:

        def produce() -> tuple[int, str]:
            count = make(path)
            digest = hashlib.sha256()
            with path.open("rb") as made:
                for chunk in iter(lambda: made.read(1 << 16), b""):
                    digest.update(chunk)
            return count, digest.hexdigest()

        count, digest = await anyio.to_thread.run_sync(produce)
        named = file_name(kind, file_format, filters)
        ack = await s.command(
            Exports(s.loop.app).record,
            user.actor,
            kind=kind,
            file_format=file_format,
            filters=filters,
            rows=count,
            digest=digest,
            file_name=named,
        )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return OneOffFileResponse(
        path,
        media_type=MEDIA[file_format],
        filename=named,
        headers={
            "X-Export-Id": ack.export_id,
            "X-Export-Rows": str(count),
            "X-Export-Digest": digest,
            "X-Log-Position": str(ack.position or ""),
        },
    )


async def by_period(
    s: Services,
    user: User,
    kind: str,
    file_format: str,
    unit: str | None,
    period: str | None,
    wait_for: int | None,
    read: Callable[..., Iterator[dict[str, Any]]],
) -> FileResponse:
    """A unit's list filtered by period alone (the ledger, the attendance): the unit
    and the period checked, then every row ``read(queries, unit, period=...)`` gives."""
    chosen = unit_for(user, unit)
    if period is not None:
        period_bounds(period)
    await s.wait_for(wait_for)
    filters = {"unit": chosen, "period": period}

    def rows() -> Iterator[dict[str, Any]]:
        yield from read(ExportQueries(s.views.projector), chosen, period=period)

    return await deliver(s, user, kind, file_format, filters, rows)


def incident_rows(
    s: Services, user: User, unit: str, **filters: Any
) -> Callable[[], Iterator[dict[str, Any]]]:
    def rows() -> Iterator[dict[str, Any]]:
        for row in ExportQueries(s.views.projector).incidents(unit, **filters):
            shown = masked_case(user, row)
            shown["stage_label"] = STAGES.get(row["stage"], row["stage"])
            yield shown

    return rows


@router.get("/incidents", response_class=FileResponse, responses=FILES)
async def export_incidents(
    user: CurrentUser,
    s: ServicesDep,
    format: Format = "xlsx",
    unit: Unit = None,
    stage: StageFilter = None,
    module: ModuleFilter = None,
    period: Period = None,
    wait_for: WaitFor = None,
) -> FileResponse:
    """警情台账：每起一行，含闭环各环节时间 / the unit's incidents, one row per case
    with every milestone of the loop (as ``GET /api/incidents``, every row)."""
    chosen = unit_for(user, unit)
    if period is not None:
        period_bounds(period)
    await s.wait_for(wait_for)
    filters = {"unit": chosen, "stage": stage, "module": module, "period": period}
    rows = incident_rows(s, user, chosen, stage=stage, module=module, period=period)
    return await deliver(s, user, "incidents", format, filters, rows)


@router.get("/backlog", response_class=FileResponse, responses=FILES)
async def export_backlog(
    user: CurrentUser,
    s: ServicesDep,
    format: Format = "xlsx",
    unit: Unit = None,
    stage: StageFilter = None,
    as_of: Moment | None = None,
    wait_for: WaitFor = None,
) -> FileResponse:
    """待办清单：现在或某一时刻 / the unit's backlog now, or as of a moment (as
    ``GET /api/backlog`` and ``/api/backlog/as-of``, every row)."""
    chosen = unit_for(user, unit)
    if as_of is not None and as_of.tzinfo is None:
        raise InvalidInput("时间须带时区", "the moment needs a time zone", field="as_of")
    await s.wait_for(wait_for)
    filters = {
        "unit": chosen,
        "stage": stage,
        "as_of": None if as_of is None else as_of.isoformat(),
    }
    queries = ExportQueries(s.views.projector)

    def rows() -> Iterator[dict[str, Any]]:
        for row in queries.backlog(chosen, stage=stage, as_of=as_of):
            yield {**row, "stage_label": STAGES.get(row["stage"], row["stage"])}

    return await deliver(s, user, "backlog", format, filters, rows)


@router.get("/volunteers", response_class=FileResponse, responses=FILES)
async def export_volunteers(
    user: CurrentUser,
    s: ServicesDep,
    format: Format = "xlsx",
    unit: Unit = None,
    status: StatusFilter = None,
    wait_for: WaitFor = None,
) -> FileResponse:
    """义警名册：积分、星级、排名、状态、专业队，个人信息按查看者遮蔽 / the roll with
    figures, rank, star level, status and teams; personal details masked as
    ``GET /api/volunteers/{id}`` masks them for the caller."""
    chosen = unit_for(user, unit)
    await s.wait_for(wait_for)
    filters = {"unit": chosen, "status": status}
    queries = ExportQueries(s.views.projector)

    def rows() -> Iterator[dict[str, Any]]:
        teams = queries.teams_within(chosen)
        for row in queries.volunteers(chosen, status=status, stars=s.flow.scoring.stars):
            personal = s.volunteers.view(user.actor, row["volunteer_id"])["personal"]
            fields = personal.get("fields", {})
            yield {
                **row,
                "teams": teams.get(row["volunteer_key"] or "", []),
                **{k: fields.get(k) for k in ("name", "phone", "id_number")},
            }

    return await deliver(s, user, "volunteers", format, filters, rows)


@router.get("/ledger", response_class=FileResponse, responses=FILES)
async def export_ledger(
    user: CurrentUser,
    s: ServicesDep,
    format: Format = "xlsx",
    unit: Unit = None,
    period: Period = None,
    wait_for: WaitFor = None,
) -> FileResponse:
    """幸福银行流水：每笔存入、兑换、扣减、冲正 / every Happiness Bank entry of the
    unit's accounts, oldest first."""
    return await by_period(s, user, "ledger", format, unit, period, wait_for, ExportQueries.ledger)


@router.get("/attendance", response_class=FileResponse, responses=FILES)
async def export_attendance(
    user: CurrentUser,
    s: ServicesDep,
    format: Format = "xlsx",
    unit: Unit = None,
    period: Period = None,
    wait_for: WaitFor = None,
) -> FileResponse:
    """任务出勤与服务时长：每人每次任务一行 / who attended the unit's duty tasks, with
    check-in and -out, minutes and points, by the tasks' completion."""
    read = ExportQueries.attendance
    return await by_period(s, user, "attendance", format, unit, period, wait_for, read)


@router.get("/training-shortfall", response_class=FileResponse, responses=FILES)
async def export_training_shortfall(
    user: CurrentUser,
    s: ServicesDep,
    format: Format = "xlsx",
    unit: Unit = None,
    year: Year = None,
    wait_for: WaitFor = None,
) -> FileResponse:
    """年度培训不足名单 / the serving volunteers short of the year's training days, as
    ``GET /api/training/shortfall`` answers them (the year, by default this one, in
    the file name)."""
    chosen = unit_for(user, unit)
    await s.wait_for(wait_for)
    asked = this_year(s, year)
    policy = norms(s.loop.training.policy)

    def rows() -> Iterator[dict[str, Any]]:
        yield from s.views.training.shortfall(chosen, year=asked, norms=policy)

    filters = {"unit": chosen, "year": asked}
    return await deliver(s, user, "training-shortfall", format, filters, rows)


@router.get("/training-awaiting", response_class=FileResponse, responses=FILES)
async def export_training_awaiting(
    user: CurrentUser,
    s: ServicesDep,
    format: Format = "xlsx",
    unit: Unit = None,
    wait_for: WaitFor = None,
) -> FileResponse:
    """待岗培训名单 / the serving volunteers not yet certified under the county's duty
    gate, with what each lacks, as ``GET /api/training/awaiting`` answers them."""
    chosen = unit_for(user, unit)
    await s.wait_for(wait_for)
    policy = norms(s.loop.training.policy)

    def rows() -> Iterator[dict[str, Any]]:
        yield from s.views.training.awaiting(chosen, norms=policy)

    return await deliver(s, user, "training-awaiting", format, {"unit": chosen}, rows)


@router.get("/report", response_class=FileResponse, responses=WORKBOOK)
async def period_report(
    user: CurrentUser,
    s: ServicesDep,
    period: Annotated[
        str, Query(pattern=r"^\d{4}(-\d{2}|-Q[1-4])?$", description="YYYY, YYYY-Qn or YYYY-MM")
    ],
    unit: Unit = None,
    wait_for: WaitFor = None,
) -> FileResponse:
    """期间工作报表（月、季、年）：汇总表（次、人次、起、条、处，附「余」的报告口径）及
    各项明细 / the unit's report for a month, quarter or year: each figure in the
    seeds' form beside its drill-down sheet; ``X-Export-Rows`` is the figures'
    count."""
    chosen = unit_for(user, unit)
    period_bounds(period)
    await s.wait_for(wait_for)
    queries = ExportQueries(s.views.projector)
    now = datetime.now(UTC)

    def make(path: Path) -> int:
        mask = partial(masked_case, user)
        return write_report(path, queries, chosen, period, mask, now, s.flow.scoring.stars)

    filters = {"unit": chosen, "period": period}
    return await deliver_file(s, user, "report", "xlsx", filters, make)


@router.get("/records", response_model=Rows)
async def export_records(
    user: CurrentUser, s: ServicesDep, unit: Unit = None, wait_for: WaitFor = None
) -> Rows:
    """导出记录（审计员）：谁、何时、导出什么、筛选条件、行数、文件摘要 / every export
    made within the unit: who, when, what, filters, rows, the file's digest."""
    permissions.check_role("audit", user.actor)
    chosen = unit_for(user, unit, "audit")
    await s.wait_for(wait_for)
    return Rows(items=ExportQueries(s.views.projector).exports(chosen))
