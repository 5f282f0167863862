"""The roll exported in the layout the roll import reads (``loop.services.imports``):
the same headings, sheet and values, so a county can take its roll out, edit it
offline and bring new rows back; importing the file unchanged adds nobody.

Like every export it is the caller's unit's, the personal details masked as
``GET /api/volunteers/{id}`` masks them for the caller (a field the caller may not
read is 已隐藏, and the import would refuse it), and recorded as a
:class:`DataExport` before the file leaves (``api.routes.exports``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse

from api.deps import CurrentUser, ServicesDep, WaitFor
from api.query import StatusFilter, UnitFilter, unit_for
from api.routes.exports import FILES, Format, deliver_file
from api.spreadsheets import Column, write_csv, write_xlsx
from loop.rules.counties import occupation_label
from loop.services.imports import COLUMNS
from loop.services.roll_files import SHEET
from projections.exports import ExportQueries

router = APIRouter(prefix="/api/exports", tags=["exports 导出"])

PERSONAL = ("name", "phone", "id_number", "address")


@dataclass(frozen=True)
class RollColumn(Column):
    """Headed as the import reads it: its zh-CN heading alone."""

    @property
    def header(self) -> str:
        return self.zh


ROLL = tuple(
    RollColumn(name, zh, en, "id" if name in ("volunteer_id", "phone", "id_number") else "text")
    for name, (zh, en) in COLUMNS.items()
)


@router.get("/roll", response_class=FileResponse, responses=FILES)
async def export_roll(
    user: CurrentUser,
    s: ServicesDep,
    format: Format = "xlsx",
    unit: UnitFilter = None,
    status: StatusFilter = None,
    wait_for: WaitFor = None,
) -> FileResponse:
    """义警名册（导入格式）：编号、姓名、手机号码、身份证号、住址、工作单位、职业、社区编码、
    党员，个人信息按查看者遮蔽 / the unit's roll in the import's layout, personal
    details masked for the caller as the volunteers export masks them."""
    chosen = unit_for(user, unit)
    await s.wait_for(wait_for)
    queries = ExportQueries(s.views.projector)

    def rows() -> Iterator[dict[str, Any]]:
        for row in queries.volunteers(chosen, status=status):
            record = s.volunteers.view(user.actor, row["volunteer_id"])
            fields = record["personal"].get("fields", {})
            yield {
                "volunteer_id": record["volunteer_id"],
                **{name: fields.get(name) for name in PERSONAL},
                "employer": record["employer"],
                "occupation": occupation_label(record["occupation"]),
                "community": record["community"],
                "party_member": record["party_member"],
            }

    def make(path: Path) -> int:
        if format == "csv":
            return write_csv(path, ROLL, rows())
        return write_xlsx(path, SHEET, ROLL, rows())

    filters = {"unit": chosen, "status": status}
    return await deliver_file(s, user, "roll", format, filters, make)
