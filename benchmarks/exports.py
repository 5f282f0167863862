"""Exports of 200,000 rows (``batched_inserts`` rows; 2,000 in a quick run): the
product's CSV writer (safe text, China time, BOM and CRLF) and its XLSX writer
(XlsxWriter in constant-memory mode, typed cells) beside a plain ``csv.writer``
of the same rows, each in a Python process of its own: rows per second, and
peak resident memory, which must not grow with the rows.

Run as ``python -m benchmarks.exports WRITER ROWS PATH`` it writes one file and
prints the rows per second (what ``peak_rss_mb`` measures).
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from api.export_columns import INCIDENTS
from api.spreadsheets import write_csv, write_xlsx
from benchmarks.harness import Context, Figure, RowSpec, Target, measurement
from benchmarks.servers import ROOT

WRITERS = ("plain", "csv", "xlsx")
START = datetime(2026, 3, 1, tzinfo=UTC)
MODULES = ("dispute_screening", "hazard_screening", "anti_fraud", "patrol_prevention")


def rows(count: int) -> Iterator[dict[str, Any]]:
    """``count`` incident rows as an export reads them (ISO times, ids, text)."""
    for n in range(count):
        opened = START + timedelta(minutes=n)
        at = (opened + timedelta(hours=2)).isoformat()
        yield {
            "incident_id": str(UUID(int=n)),
            "stage": "closed" if n % 3 else "handling_community",
            "stage_label": "已结案" if n % 3 else "社区处置中",
            "module": MODULES[n % len(MODULES)],
            "sense": "seen",
            "community": "lishu/chaoyang/xingfu",
            "what": f"=楼道堆放杂物 第{n}处"
            if n % 50 == 0
            else f"楼道堆放杂物，堵塞消防通道 第{n}处",
            "place": f"幸福小区{n % 30 + 1}栋",
            "channel": "app",
            "urgency": "general",
            "reporter_id": f"2203221970{n % 100000000:08d}",
            "opened_at": opened.isoformat(),
            "reported_at": at,
            "accepted_at": at,
            "escalations": n % 2,
            "returns": 0,
            "outcome_source": "handled_locally",
            "outcome_at": at,
            "outcome_summary": "已清理",
            "points": 10,
            "credited": 10,
            "closed_at": at if n % 3 else None,
        }


def write(writer: str, count: int, path: Path) -> float:
    """Write ``count`` rows with ``writer``; rows per second."""
    started = time.perf_counter()
    if writer == "plain":
        keys = [c.key for c in INCIDENTS]
        with path.open("w", encoding="utf-8", newline="") as out:
            plain = csv.writer(out)
            plain.writerow(keys)
            for row in rows(count):
                plain.writerow([row.get(k) for k in keys])
    elif writer == "csv":
        write_csv(path, INCIDENTS, rows(count))
    else:
        write_xlsx(path, "警情", INCIDENTS, rows(count))
    return count / (time.perf_counter() - started)


def _in_process(writer: str, count: int, path: Path) -> tuple[float, float]:
    """(rows per second, peak MiB as the kernel accounts it) of one writer, in a
    process of its own (as ``benchmarks.rss`` measures, keeping its output)."""
    pythonpath = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.exports", writer, str(count), str(path)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": pythonpath},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    printed = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"the {writer} export exited with {status}")
    return float(printed.strip()), usage.ru_maxrss / 1024


@measurement(
    "exports",
    "product",
    RowSpec("export.plain", "plain csv.writer, same rows", "rows/s"),
    RowSpec("export.csv", "export CSV (safe, BOM, CRLF)", "rows/s", "export.plain"),
    RowSpec("export.xlsx", "export XLSX (constant memory)", "rows/s", "export.plain"),
    RowSpec("export.plain.rss", "plain csv.writer peak memory", "MiB"),
    RowSpec(
        "export.xlsx.rss",
        "export XLSX peak memory",
        "MiB",
        "export.plain.rss",
        Target("<=", 2.0),
    ),
    RowSpec(
        "export.xlsx.rss.small",
        "export XLSX peak memory, 1/10 of the rows",
        "MiB",
        "export.xlsx.rss",
        Target(">=", 0.8),
    ),
)
def exports(ctx: Context) -> dict[str, Figure]:
    count = ctx.counts.batched_inserts
    figures: dict[str, Figure] = {}
    for writer in WRITERS:
        path = ctx.fresh(f"export-{writer}.{'xlsx' if writer == 'xlsx' else 'csv'}")
        rate, peak = _in_process(writer, count, path)
        key = f"export.{writer}"
        size = path.stat().st_size
        figures[key] = Figure(rate, {"rows": count, "bytes": size})
        if writer in ("plain", "xlsx"):
            figures[f"{key}.rss"] = Figure(peak, {"rows": count})
    small = max(1, count // 10)
    _, peak = _in_process("xlsx", small, ctx.fresh("export-small.xlsx"))
    figures["export.xlsx.rss.small"] = Figure(peak, {"rows": small})
    return figures


if __name__ == "__main__":
    name, given, target = sys.argv[1:4]
    print(write(name, int(given), Path(target)))
