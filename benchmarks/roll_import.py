"""A county's roll imported at once: Gucheng's 13,556 volunteers are the size the
seeds name, so the run imports ``roll_rows`` (13,000 by default) from a
generated XLSX file: the dry run, the import (one transaction), and the same
file again (which adds nobody); compared with the loop command of the same run,
which stores one aggregate per commit."""

from __future__ import annotations

import io
import time

from benchmarks.harness import Context, Figure, RowSpec, Target, measurement
from loop import demo
from loop.bootstrap import build_loop
from loop.services.imports import COLUMNS
from loop.services.volunteers import id_check_digit
from loop.settings import Settings


def roll_row(n: int) -> list[str]:
    """The ``n``-th volunteer of a generated roll: unique id, phone and ID number."""
    first = f"220322{1970 + n // 1000:04d}0101{n % 1000:03d}"
    return [
        f"v-{n:05d}",
        f"义警{n}",
        f"139{n:08d}",
        first + id_check_digit(first),
        f"幸福小区{n % 30 + 1}栋",
        "梨树县环卫中心",
        ("环卫工人", "外卖员", "快递员", "出租车司机")[n % 4],
        demo.XINGFU if n % 2 else demo.HEPING,
        "是" if n % 7 == 0 else "否",
    ]


def roll_xlsx(rows: int) -> bytes:
    """A roll of ``rows`` volunteers as the county keeps it, written with openpyxl
    in write-only mode."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("义警名册")
    sheet.append([headings[0] for headings in COLUMNS.values()])
    for n in range(1, rows + 1):
        sheet.append(roll_row(n))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@measurement(
    "roll import",
    "product",
    RowSpec("roll.check", "roll dry run (XLSX, every row checked)", "rows/s"),
    RowSpec(
        "roll.import",
        "roll import (XLSX, one transaction: application, reviews, admission, accounts)",
        "rows/s",
        "loop.inprocess",
        # A row stores three aggregates (eight events) but shares one commit with all
        # the others, where a loop command pays a commit for one event: a row
        # should cost no more than two loop commands.
        Target(">=", 0.5),
    ),
    RowSpec("roll.again", "the same roll again (adds nobody)", "rows/s"),
)
def roll_import(ctx: Context) -> dict[str, Figure]:
    rows = ctx.counts.roll_rows
    content = roll_xlsx(rows)
    loop = build_loop(Settings(database_url=f"sqlite:///{ctx.fresh('roll.db')}"))
    try:
        demo.register_units(loop.registry)
        started = time.perf_counter()
        report = loop.imports.check(demo.ADMIN, content, "roll.xlsx")
        checked = time.perf_counter() - started
        assert (len(report.new), report.problems) == (rows, []), "a clean roll"
        before = loop.app.recorder.max_notification_id() or 0
        started = time.perf_counter()
        done = loop.imports.run(demo.ADMIN, content, "roll.xlsx")
        imported = time.perf_counter() - started
        events = (loop.app.recorder.max_notification_id() or 0) - before
        started = time.perf_counter()
        again = loop.imports.run(demo.ADMIN, content, "roll.xlsx")
        repeated = time.perf_counter() - started
    finally:
        loop.close()
    assert (done.imported, again.imported, again.existing) == (rows, 0, rows)
    detail = {"rows": rows, "bytes": len(content)}
    return {
        "roll.check": Figure(rows / checked, {**detail, "seconds": round(checked, 2)}),
        "roll.import": Figure(
            rows / imported, {**detail, "seconds": round(imported, 2), "events": events}
        ),
        "roll.again": Figure(rows / repeated, {**detail, "seconds": round(repeated, 2)}),
    }
