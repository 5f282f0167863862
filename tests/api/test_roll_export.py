"""The roll exported in the import's layout: the file a station exports (XLSX or
CSV) is read by the roll import's dry run with every row already present, so
importing it adds nobody; it is the caller's unit's, masked as the volunteers
export is masked, and recorded as an export for auditors."""

from __future__ import annotations

import csv
import hashlib
import io
from typing import Any

import openpyxl
import pytest

from loop import demo
from loop.rules.masking import MASKED
from loop.services.imports import COLUMNS
from loop.services.roll_files import SHEET
from tests.api.conftest import Api
from tests.api.test_roll_import_over_http import CHECK, IMPORT, upload

STATION_OFFICER = demo.STATION_OFFICER.id
AUDITOR = "au-ls-ma"
HEADINGS = [zh for zh, _ in COLUMNS.values()]


def export(api: Api, who: str, **params: Any) -> Any:
    return api.client.get("/api/exports/roll", params=params, headers=api.headers(who))


def head(api: Api) -> int | None:
    position: int | None = api.services.loop.app.recorder.max_notification_id()
    return position


def roll_of(api: Api, who: str, unit: str | None = None) -> list[dict[str, Any]]:
    params = {"unit": unit} if unit else {}
    return api.get(who, "/api/volunteers", **params).json()["items"]


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_an_exported_roll_reimports_as_already_present(api: Api, file_format: str) -> None:
    answer = export(api, STATION_OFFICER, format=file_format)
    assert answer.status_code == 200, answer.text
    expected = {r["volunteer_id"] for r in roll_of(api, STATION_OFFICER)}
    assert int(answer.headers["x-export-rows"]) == len(expected) > 20
    if file_format == "xlsx":
        book = openpyxl.load_workbook(io.BytesIO(answer.content))
        assert book.sheetnames == [SHEET]
        header = [c.value for c in next(book.worksheets[0].iter_rows(max_row=1))]
    else:
        header = next(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert header == HEADINGS
    name = f"义警名册.{file_format}"
    before = head(api)
    dry = upload(api, "admin", CHECK, answer.content, name)
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert report["problems"] == []
    assert (report["rows"], report["new"]) == (len(expected), 0)
    assert report["existing"] == len(expected)
    assert head(api) == before
    again = upload(api, "admin", IMPORT, answer.content, name)
    assert (again.json()["imported"], again.json()["existing"]) == (0, len(expected))


def test_the_roll_is_the_callers_unit_masked_as_he_may_see_it(api: Api) -> None:
    mine = export(api, "c-xf-sun", format="csv")
    rows = list(csv.DictReader(io.StringIO(mine.content.decode("utf-8-sig"))))
    assert {r["社区编码"] for r in rows} == {demo.XINGFU}
    liu = next(r for r in rows if r["编号"] == "v-xf-liu")
    shown = api.get("c-xf-sun", "/api/volunteers/v-xf-liu").json()["personal"]["fields"]
    assert (liu["姓名"], liu["手机号码"].strip()) == (shown["name"], shown["phone"])
    assert liu["职业"] == "外卖员"
    assert liu["身份证号"].strip() == shown["id_number"]
    county = export(api, demo.COUNTY_OFFICER.id, format="csv")
    assert county.status_code == 200, county.text
    hidden = list(csv.DictReader(io.StringIO(county.content.decode("utf-8-sig"))))
    assert hidden
    assert {(r["姓名"], r["手机号码"], r["身份证号"]) for r in hidden} == {(MASKED,) * 3}
    before = head(api)
    elsewhere = export(api, "c-hp-he", unit=demo.XINGFU)
    assert elsewhere.status_code == 403
    assert head(api) == before


def test_the_roll_export_is_recorded_for_auditors(api: Api) -> None:
    answer = export(api, STATION_OFFICER, format="xlsx", status="active")
    digest = hashlib.sha256(answer.content).hexdigest()
    position = int(answer.headers["x-log-position"])
    records = api.get(AUDITOR, "/api/exports/records", wait_for=position).json()["items"]
    record = next(r for r in records if r["export_id"] == answer.headers["x-export-id"])
    assert (record["kind"], record["file_format"], record["digest"]) == ("roll", "xlsx", digest)
    assert record["actor_id"] == STATION_OFFICER
    assert record["rows"] == int(answer.headers["x-export-rows"])
    assert "roll_lishu-chaoyang_status-active.xlsx" in answer.headers["content-disposition"]
