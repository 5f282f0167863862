"""Importing a county's roll: the dry run names every bad row (row, column, zh/en
reason) and stores nothing; the import stores all new rows in one transaction
or none, each admitted "by import, reviewed offline" by the administrator;
importing the same file again adds nobody; unreadable files are refused whole."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from openpyxl import Workbook

from aggregates.errors import DomainError
from aggregates.volunteer import volunteer_aggregate_id
from loop import demo
from loop.bootstrap import Loop, open_loop
from loop.services.imports import COLUMNS
from loop.services.roll_files import MAX_ROWS
from loop.services.volunteers import id_check_digit
from loop.storage.keys import SQLKeyStore
from tests.support import FakeClock
from tests.support import refused as stored_nothing

ADMIN = demo.ADMIN
HEADER = [headings[0] for headings in COLUMNS.values()]


def id_number(n: int) -> str:
    first = f"22032219900101{n:03d}"
    return first + id_check_digit(first)


def person(n: int, **changes: str) -> list[str]:
    row = {
        "volunteer_id": f"v-im-{n:05d}",
        "name": f"导入{n}号",
        "phone": f"139{n:08d}",
        "id_number": id_number(n % 1000),
        "address": f"幸福小区{n % 30 + 1}栋",
        "employer": "梨树县环卫中心",
        "occupation": "环卫工人",
        "community": demo.XINGFU if n % 2 else demo.HEPING,
        "party_member": "是" if n % 5 == 0 else "否",
    } | changes
    return [row[name] for name in COLUMNS]


def as_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])
    return out.getvalue().encode("utf-8")


def as_xlsx(rows: list[list[Any]], title: str = "义警名册", header: list[str] = HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in [header, *rows]:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def loop() -> Loop:
    opened = open_loop(clock=FakeClock())
    demo.register_units(opened.registry)
    return opened


def test_the_dry_run_names_every_bad_row_and_stores_nothing(loop: Loop) -> None:
    rows = [person(n) for n in range(1, 7)]
    rows[1][3] = rows[1][3][:-1] + ("0" if rows[1][3][-1] != "0" else "1")  # check digit
    rows[2][7] = "lishu/chaoyang/nowhere"  # an unknown community
    rows[3][2] = rows[0][2]  # the phone of row 2
    rows[4][6] = "飞行员"  # no such occupation in the county's preset
    before = loop.app.recorder.max_notification_id()
    report = loop.imports.check(ADMIN, as_csv(rows), "roll.csv")
    assert loop.app.recorder.max_notification_id() == before
    found = {(p.row, p.column, p.code) for p in report.problems}
    assert found == {
        (3, "身份证号", "invalid_input"),
        (4, "社区编码", "invalid_input"),
        (5, "手机号码", "duplicate"),
        (6, "职业", "unknown_occupation"),
    }
    by_row = {p.row: p for p in report.problems}
    assert "校验位" in by_row[3].message_zh
    assert "check digit" in by_row[3].message_en
    assert "第 2 行" in by_row[5].message_zh
    assert [r["volunteer_id"] for r in report.new] == ["v-im-00001", "v-im-00006"]
    error = stored_nothing(loop, lambda: loop.imports.run(ADMIN, as_csv(rows), "roll.csv"))
    assert error.code == "import_refused"
    assert len(error.details["problems"]) == 4
    assert volunteer_aggregate_id("v-im-00001") not in loop.app.repository


@pytest.mark.parametrize(("encode", "filename"), [(as_csv, "roll.csv"), (as_xlsx, "roll.xlsx")])
def test_an_import_admits_everyone_once_by_its_administrator(
    loop: Loop, encode: Callable[[list[list[str]]], bytes], filename: str
) -> None:
    content = encode([person(n) for n in range(1, 21)])
    done = loop.imports.run(ADMIN, content, filename)
    assert (done.imported, done.existing) == (20, 0)
    volunteer = loop.volunteers.get("v-im-00005")
    assert volunteer.status == "active"
    assert volunteer.party_member
    assert volunteer.community == demo.XINGFU
    account = loop.accounts.get("v-im-00005")
    assert (account.role, account.unit, account.must_change_password) == (
        "volunteer", demo.XINGFU, True,
    )  # fmt: skip
    for aggregate in (volunteer.id, account.id):
        assert {e.actor for e in loop.app.events.get(aggregate)} == {ADMIN}  # type: ignore[attr-defined]
    head = loop.app.recorder.max_notification_id()
    again = loop.imports.run(ADMIN, content, filename)
    assert (again.imported, again.existing) == (0, 20)
    assert loop.app.recorder.max_notification_id() == head


def test_a_row_outside_the_importers_unit_is_a_problem_of_its_row(loop: Loop) -> None:
    officer = demo.STATION_OFFICER
    report = loop.imports.check(officer, as_csv([person(1)]), "roll.csv")
    assert [(p.row, p.column, p.code) for p in report.problems] == [
        (2, "社区编码", "not_permitted")
    ]


def test_unreadable_files_are_refused_whole(loop: Loop) -> None:
    check = loop.imports.check
    bad = b"\xe7\xbc\x96\xe5" + as_csv([person(1)])
    assert "UTF-8" in stored_nothing(loop, lambda: check(ADMIN, bad, "roll.csv")).message_en
    formula = as_xlsx([person(1), [*person(2)[:5], "=A2", *person(2)[6:]]])
    refused = stored_nothing(loop, lambda: check(ADMIN, formula, "roll.xlsx"))
    assert refused.details["cell"] == "F3"
    wrong = as_xlsx([["2026年7月", "巡逻 3 次"]], title="Sheet1", header=["月份", "工作"])
    book_of_other = stored_nothing(loop, lambda: check(ADMIN, wrong, "other.xlsx"))
    assert "缺少列" in book_of_other.message_zh
    not_a_book = stored_nothing(loop, lambda: check(ADMIN, b"PK\x03\x04junk", "roll.xlsx"))
    assert not_a_book.message_en == "not a valid XLSX workbook"
    too_many = as_csv([person(1)] * (MAX_ROWS + 1))
    assert "20000" in stored_nothing(loop, lambda: check(ADMIN, too_many, "big.csv")).message_zh
    empty = stored_nothing(loop, lambda: check(ADMIN, b"", "roll.csv"))
    assert empty.message_en == "the file is empty"


def test_a_rolls_keys_are_made_together_and_a_forgotten_person_is_refused(tmp_path: Any) -> None:
    store = SQLKeyStore(f"sqlite:///{tmp_path}/keys.db")
    try:
        kept = store.create("v-1")
        store.create_many(["v-1", "v-2", "v-3"])
        assert store.get("v-1") == kept
        assert store.exists("v-2")
        assert store.exists("v-3")
        store.destroy("v-2")
        with pytest.raises(DomainError) as caught:
            store.create_many(["v-2", "v-4"])
        assert caught.value.code == "subject_forgotten"
        assert not store.exists("v-4")
    finally:
        store.close()
