"""Runs the spreadsheet rules in features/20_exports_and_reports.feature: the
report's 余 form, and text that stays text (read back with openpyxl and csv)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import openpyxl
from pytest_bdd import given, parsers, scenarios, then, when

from api.period_report import about
from api.spreadsheets import Column, write_csv, write_xlsx

scenarios("20_exports_and_reports.feature")

COLUMNS = (Column("what", "情况", "what"), Column("id_number", "身份证号", "ID number", "id"))


@given(parsers.parse("一项指标的精确值为 {value:d}"), target_fixture="value")
def exact_value(value: int) -> int:
    return value


@then(parsers.parse("报表按“余”字口径写作“{written}”"))
def written_as(value: int, written: str) -> None:
    assert about(value) == written


@given(
    parsers.parse("导出的一行里情况描述为“{what}”，身份证号为“{id_number}”"),
    target_fixture="row",
)
def a_row(what: str, id_number: str) -> dict[str, Any]:
    return {"what": what, "id_number": id_number}


@when("把这一行写入 XLSX 和 CSV 文件", target_fixture="files")
def write_both(row: dict[str, Any], tmp_path: Path) -> dict[str, bytes]:
    write_xlsx(tmp_path / "row.xlsx", "警情", COLUMNS, [row])
    write_csv(tmp_path / "row.csv", COLUMNS, [row])
    return {kind: (tmp_path / f"row.{kind}").read_bytes() for kind in ("xlsx", "csv")}


@then("XLSX 里这两个单元格都是文本，内容不变")
def text_cells(files: dict[str, bytes], row: dict[str, Any]) -> None:
    sheet = openpyxl.load_workbook(io.BytesIO(files["xlsx"])).worksheets[0]
    cells = [sheet.cell(row=2, column=n) for n in (1, 2)]
    assert [c.data_type for c in cells] == ["s", "s"]
    assert [c.value for c in cells] == [row["what"], row["id_number"]]


@then("CSV 以 BOM 开头、每行以 CRLF 结尾，描述前加了单引号，身份证号前加了制表符")
def csv_safe(files: dict[str, bytes], row: dict[str, Any]) -> None:
    body = files["csv"]
    assert body.startswith(b"\xef\xbb\xbf")
    assert body.count(b"\n") == body.count(b"\r\n") == 2
    _, line = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert line == ["'" + row["what"], "\t" + row["id_number"]]
