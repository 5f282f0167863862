"""Files a station takes to its meeting: CSV and XLSX, written row by row.

Both writers take columns (key, zh-CN and English header, kind) and an iterator
of rows, write to a file on disk and hold one row at a time: the XLSX through
XlsxWriter's ``constant_memory`` mode (each row flushed to a temporary file
once the next begins), the CSV through the ``csv`` module.

Spreadsheet safety, the same in both:

* text is never a formula: in the XLSX every text cell is written with
  ``write_string`` (and the workbook's ``strings_to_formulas``,
  ``strings_to_numbers`` and ``strings_to_urls`` are off); in the CSV, text
  beginning with ``= + - @``, a tab or a carriage return gets a leading
  apostrophe, which spreadsheets show as text;
* identifiers (ID numbers, phone numbers, volunteer and incident ids) are text:
  XLSX text cells with the text number format ``@``; in the CSV an identifier
  of digits gets a leading tab, so Excel keeps all 18 digits of an ID number
  instead of showing 1.1E+17;
* times are China time (Asia/Shanghai), without a zone, as the header says, to
  the second.

The CSV is UTF-8 with a byte-order mark and CRLF line ends, so Excel on a zh-CN
Windows opens it as UTF-8.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import xlsxwriter

CHINA = timezone(timedelta(hours=8))
RISKY = ("=", "+", "-", "@", "\t", "\r")
DIGITS = re.compile(r"^[0-9]+[0-9Xx]?$")
TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    kind: str = "text"  # text | id | int | time

    @property
    def header(self) -> str:
        suffix = "（北京时间）" if self.kind == "time" else ""
        return f"{self.zh}{suffix} {self.en}"


def china_time(value: str | datetime | None) -> datetime | None:
    """An ISO moment (as the API answers) as naive Asia/Shanghai time."""
    if value is None or value == "":
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"a moment without a time zone: {value!r}")
    return moment.astimezone(CHINA).replace(tzinfo=None)


def csv_text(value: Any, kind: str) -> str:
    """One CSV cell: safe text, China time, or a number as written."""
    if value is None:
        return ""
    if kind == "time":
        local = china_time(value)
        return "" if local is None else local.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, bool):
        return "是" if value else "否"
    if kind == "int" and isinstance(value, int):
        return str(value)
    text = ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
    if text.startswith(RISKY):
        return "'" + text
    if kind == "id" and DIGITS.match(text):
        return "\t" + text
    return text


def write_csv(path: Path, columns: Sequence[Column], rows: Iterable[Mapping[str, Any]]) -> int:
    """Write ``rows`` as CSV (UTF-8 with BOM, CRLF); how many were written."""
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([c.header for c in columns])
        for row in rows:
            writer.writerow([csv_text(row.get(c.key), c.kind) for c in columns])
            count += 1
    return count


class XlsxSheets:
    """A workbook in constant-memory mode: sheets written top to bottom, once."""

    def __init__(self, path: Path) -> None:
        self.workbook = xlsxwriter.Workbook(
            str(path),
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        self.workbook.set_properties({"title": path.stem, "author": "Lishu Loop"})
        self.bold = self.workbook.add_format({"bold": True})
        self.text = self.workbook.add_format({"num_format": "@"})
        self.time = self.workbook.add_format({"num_format": TIME_FORMAT})

    def sheet(
        self,
        name: str,
        columns: Sequence[Column],
        rows: Iterable[Mapping[str, Any]],
        *,
        before: Sequence[Sequence[Any]] = (),
    ) -> int:
        """A sheet named ``name``: ``before`` (lines of plain values: a title, the
        filters), the header, then ``rows``; how many rows were written."""
        sheet = self.workbook.add_worksheet(name)
        for index, column in enumerate(columns):
            width = 20 if column.kind == "time" else 24 if column.kind == "id" else 14
            sheet.set_column(index, index, width, self.text if column.kind == "id" else None)
        line = 0
        for values in before:
            for index, value in enumerate(values):
                self.cell(sheet, line, index, value, "int" if isinstance(value, int) else "text")
            line += 1
        for index, column in enumerate(columns):
            sheet.write_string(line, index, column.header, self.bold)
        sheet.freeze_panes(line + 1, 0)
        count = 0
        for row in rows:
            line += 1
            count += 1
            for index, column in enumerate(columns):
                self.cell(sheet, line, index, row.get(column.key), column.kind)
        return count

    def cell(self, sheet: Any, line: int, index: int, value: Any, kind: str) -> None:
        if value is None or value == "":
            return
        if kind == "time":
            local = china_time(value)
            assert local is not None
            sheet.write_datetime(line, index, local.replace(microsecond=0), self.time)
        elif isinstance(value, bool):
            sheet.write_string(line, index, "是" if value else "否")
        elif kind == "int" and isinstance(value, int | float):
            sheet.write_number(line, index, value)
        elif isinstance(value, list | tuple):
            sheet.write_string(line, index, ", ".join(map(str, value)))
        else:
            sheet.write_string(line, index, str(value), self.text if kind == "id" else None)

    def close(self) -> None:
        self.workbook.close()


def write_xlsx(
    path: Path, sheet: str, columns: Sequence[Column], rows: Iterable[Mapping[str, Any]]
) -> int:
    """Write ``rows`` as a one-sheet XLSX; how many were written."""
    book = XlsxSheets(path)
    try:
        return book.sheet(sheet, columns, rows)
    finally:
        book.close()
