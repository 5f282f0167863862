"""A county's roll as a spreadsheet: XLSX (read with openpyxl) or CSV (UTF-8),
read into a header and rows of text, refused whole when it cannot be read as
one: invalid UTF-8, not a workbook, a formula anywhere, more rows than a county
has people, or none.

The first sheet named :data:`SHEET` is read, else the workbook's first sheet.
Every value is read as the text the county typed (a number cell as its digits),
so the checks that follow see what the spreadsheet shows.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from typing import Any

from loop.errors import InvalidInput

SHEET = "义警名册"
MAX_ROWS = 20_000
"""The most rows one import takes (Gucheng, the largest county of the seeds, has
13,556 volunteers)."""
MAX_BYTES = 20 * 1024 * 1024


def refused(zh: str, en: str, **details: Any) -> InvalidInput:
    return InvalidInput(zh, en, field="file", **details)


def read_roll(content: bytes, filename: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the data rows of ``content``: each row with its number as the
    spreadsheet shows it (the header's is 1 when it is the first line) and as
    many values as the header; blank rows are left out."""
    if len(content) > MAX_BYTES:
        raise refused("文件超过 20 MB", "the file is larger than 20 MB")
    rows = _xlsx(content) if filename.lower().endswith(".xlsx") else _csv(content)
    header: list[str] | None = None
    data: list[tuple[int, list[str]]] = []
    for number, row in enumerate(rows, start=1):
        if not any(row):
            continue
        if header is None:
            header = [cell.strip() for cell in row]
            continue
        if len(data) >= MAX_ROWS:
            raise refused(
                f"行数超过上限 {MAX_ROWS}，请分批导入",
                f"more than {MAX_ROWS} rows: import in parts",
                limit=MAX_ROWS,
            )
        data.append((number, (row + [""] * len(header))[: len(header)]))
    if header is None:
        raise refused("文件为空", "the file is empty")
    return header, data


def _csv(content: bytes) -> Iterator[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise refused(
            f"CSV 文件不是有效的 UTF-8 编码（第 {error.start} 字节）",
            f"the CSV file is not valid UTF-8 (byte {error.start})",
        ) from None
    for row in csv.reader(io.StringIO(text, newline="")):
        yield [cell.strip() for cell in row]


def _xlsx(content: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook  # a heavy import, for imports only

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise refused("不是有效的 XLSX 工作簿", "not a valid XLSX workbook") from None
    try:
        sheet = book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]
        for row in sheet.iter_rows():
            values = []
            for cell in row:
                if getattr(cell, "data_type", None) == "f":
                    raise refused(
                        f"工作表「{sheet.title}」的 {cell.coordinate} 含公式，请粘贴为数值后再导入",
                        f"cell {cell.coordinate} of sheet '{sheet.title}' holds a formula: "
                        "paste values before importing",
                        cell=cell.coordinate,
                    )
                values.append(_text(cell.value))
            yield values
    finally:
        book.close()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
