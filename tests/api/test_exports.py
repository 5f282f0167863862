"""Exports over HTTP: files read back (with the ``csv`` module and openpyxl, not the
writer) equal the API's own answers for the same scope and filters, masked as the
API masks them; the unit's scope is enforced; spreadsheet safety holds; and every
export is recorded in the log, with the file's digest, for auditors."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import re
import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import anyio
import openpyxl
import pytest

from api.export_columns import COLUMNS
from api.routes.exports import OneOffFileResponse
from loop import demo
from loop.rules.masking import MASKED
from tests.api.conftest import Api
from tests.api.test_training_over_http import YEAR
from tests.support import FakeClock

CHINA = timezone(timedelta(hours=8))
STATION_OFFICER = demo.STATION_OFFICER.id
AUDITOR = "au-ls-ma"


def china(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(CHINA).replace(tzinfo=None)


def read_csv(body: bytes, kind: str) -> list[dict[str, str]]:
    assert body.startswith(b"\xef\xbb\xbf")
    reader = csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""))
    header, *lines = list(reader)
    keys = [c.key for c in COLUMNS[kind]]
    assert len(header) == len(keys)
    return [dict(zip(keys, line, strict=True)) for line in lines]


def read_xlsx(body: bytes, kind: str) -> tuple[list[dict[str, Any]], Any]:
    sheet = openpyxl.load_workbook(io.BytesIO(body)).worksheets[0]
    keys = [c.key for c in COLUMNS[kind]]
    lines = list(sheet.iter_rows(min_row=2))
    return [{k: cell.value for k, cell in zip(keys, line, strict=True)} for line in lines], sheet


def as_csv(value: Any, kind: str) -> str:
    """What the API's ``value`` looks like in the CSV (China time, text as is)."""
    if value is None:
        return ""
    if kind == "time":
        return china(value).strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def as_xlsx(value: Any, kind: str) -> Any:
    if kind == "time" and value is not None:
        return china(value).replace(microsecond=0)
    return value


def export(api: Api, user: str, kind: str, **params: Any) -> Any:
    answer = api.get(user, f"/api/exports/{kind}", **params)
    assert answer.status_code == 200, answer.text
    return answer


def test_the_incident_export_read_back_equals_the_api_list_for_the_same_scope_and_filters(
    api: Api,
) -> None:
    params = {"unit": demo.STATION, "module": "hazard_screening"}
    listed = api.get(STATION_OFFICER, "/api/incidents", limit=500, **params).json()["items"]
    assert len(listed) >= 2
    kinds = {c.key: c.kind for c in COLUMNS["incidents"]}
    for file_format, read in (("csv", as_csv), ("xlsx", as_xlsx)):
        body = export(api, STATION_OFFICER, "incidents", format=file_format, **params).content
        rows = (
            read_csv(body, "incidents") if file_format == "csv" else read_xlsx(body, "incidents")[0]
        )
        assert [r["incident_id"] for r in rows] == [i["incident_id"] for i in listed]
        for row, item in zip(rows, listed, strict=True):
            for key, value in item.items():
                if key in kinds:
                    assert row[key] == read(value, kinds[key]), (file_format, key)
        assert {r["module"] for r in rows} == {"hazard_screening"}


def test_the_backlog_and_roll_exports_equal_the_api_lists(api: Api) -> None:
    backlog = api.get(STATION_OFFICER, "/api/backlog", limit=500).json()["items"]
    rows = read_csv(export(api, STATION_OFFICER, "backlog", format="csv").content, "backlog")
    assert [r["incident_id"] for r in rows] == [i["incident_id"] for i in backlog]
    assert [r["due_at"] for r in rows] == [as_csv(i["due_at"], "time") for i in backlog]
    assert [r["overdue"] for r in rows] == ["是" if i["overdue"] else "否" for i in backlog]

    roll = api.get(STATION_OFFICER, "/api/volunteers", limit=500).json()["items"]
    rows, _ = read_xlsx(export(api, STATION_OFFICER, "volunteers").content, "volunteers")
    for key in ("volunteer_id", "community", "status", "squad", "score", "balance", "earned"):
        assert [r[key] for r in rows] == [v[key] for v in roll], key
    board = api.get(STATION_OFFICER, "/api/leaderboard", limit=500).json()["items"]
    ranks = {b["volunteer_id"]: (b["rank"], b["star_level"]) for b in board}
    for row in rows:
        if row["volunteer_id"] in ranks:
            assert (row["rank"], row["star_level"]) == ranks[row["volunteer_id"]]


@pytest.mark.parametrize("user", [STATION_OFFICER, demo.PUBLICITY.id, demo.COUNTY_OFFICER.id])
def test_an_export_masks_exactly_what_the_same_users_api_answer_masks(api: Api, user: str) -> None:
    listed = api.get(user, "/api/incidents", unit=demo.STATION, limit=500).json()["items"]
    rows = read_csv(
        export(api, user, "incidents", format="csv", unit=demo.STATION).content, "incidents"
    )
    assert [r["reporter_id"] for r in rows] == [i["reporter_id"] for i in listed]

    volunteers, _ = read_xlsx(
        export(api, user, "volunteers", unit=demo.STATION).content, "volunteers"
    )
    assert volunteers
    for row in volunteers[:6]:
        shown = api.get(user, f"/api/volunteers/{row['volunteer_id']}").json()["personal"]
        for key in ("name", "phone", "id_number"):
            assert row[key] == shown["fields"][key], (user, key)
    masked = {row["id_number"] == MASKED for row in volunteers}
    assert masked == ({False} if user == STATION_OFFICER else {True})


def test_a_community_officer_asking_for_the_countys_export_is_refused_and_nothing_recorded(
    api: Api,
) -> None:
    before = api.get(AUDITOR, "/api/exports/records").json()["items"]
    for kind in ("incidents", "backlog", "volunteers", "ledger"):
        answer = api.get(demo.OFFICER_XF.id, f"/api/exports/{kind}", unit=demo.COUNTY)
        assert answer.status_code in (403, 404), answer.text
        assert answer.json()["code"] in ("not_permitted", "not_found")
    answer = api.get(demo.OFFICER_XF.id, "/api/exports/incidents", unit=demo.HEPING)
    assert answer.status_code in (403, 404)
    assert api.get(AUDITOR, "/api/exports/records").json()["items"] == before


def test_formula_looking_text_and_an_18_digit_id_are_text_cells(api: Api) -> None:
    formula = '=HYPERLINK("http://example.com","点此")'
    made = api.post(
        demo.RIDER.id,
        "/api/incidents",
        {
            "module": "hazard_screening",
            "sense": "seen",
            "what": formula,
            "where": "+1-2",
            "channel": "app",
        },
    ).json()
    answer = export(api, STATION_OFFICER, "incidents", unit=demo.XINGFU, wait_for=made["position"])
    rows, sheet = read_xlsx(answer.content, "incidents")
    line = next(i for i, r in enumerate(rows, start=2) if r["incident_id"] == made["incident_id"])
    what = sheet.cell(row=line, column=[c.key for c in COLUMNS["incidents"]].index("what") + 1)
    assert (what.data_type, what.value) == ("s", formula)
    assert rows[line - 2]["place"] == "+1-2"

    csv_rows = read_csv(
        export(api, STATION_OFFICER, "incidents", format="csv", unit=demo.XINGFU).content,
        "incidents",
    )
    mine = next(r for r in csv_rows if r["incident_id"] == made["incident_id"])
    assert (mine["what"], mine["place"]) == ("'" + formula, "'+1-2")

    people, sheet = read_xlsx(export(api, STATION_OFFICER, "volunteers").content, "volunteers")
    column = [c.key for c in COLUMNS["volunteers"]].index("id_number") + 1
    numbers = [sheet.cell(row=n, column=column) for n in range(2, len(people) + 2)]
    given = [c for c in numbers if c.value]
    assert given
    assert all(c.data_type == "s" and len(c.value) == 18 for c in given)
    assert any(c.value.isdigit() for c in given)  # no X: all digits, still text
    phones = [r["phone"] for r in people if r["phone"]]
    assert phones
    assert all(isinstance(p, str) for p in phones)
    csv_people = read_csv(
        export(api, STATION_OFFICER, "volunteers", format="csv").content, "volunteers"
    )
    digits = [r["id_number"] for r in csv_people if r["id_number"].strip().isdigit()]
    assert digits
    assert all(d.startswith("\t") and len(d) == 19 for d in digits)


def test_the_csv_opens_with_bom_and_crlf_and_the_name_says_the_filters(api: Api) -> None:
    answer = export(
        api,
        STATION_OFFICER,
        "incidents",
        format="csv",
        unit=demo.XINGFU,
        stage="closed",
        period="2026",
    )
    body = answer.content
    assert body[:3] == b"\xef\xbb\xbf"
    assert body.count(b"\n") == body.count(b"\r\n") > 0
    assert body.endswith(b"\r\n")
    disposition = answer.headers["content-disposition"]
    assert "lishu-chaoyang-xingfu_period-2026_stage-closed.csv" in disposition
    assert answer.headers["content-type"].startswith("text/csv")


def test_every_export_is_recorded_in_the_log_with_its_digest_and_shown_to_auditors(
    api: Api,
) -> None:
    answer = export(api, STATION_OFFICER, "volunteers", format="xlsx", status="active")
    digest = hashlib.sha256(answer.content).hexdigest()
    assert answer.headers["x-export-digest"] == digest
    position = int(answer.headers["x-log-position"])
    records = api.get(AUDITOR, "/api/exports/records", wait_for=position).json()["items"]
    record = next(r for r in records if r["export_id"] == answer.headers["x-export-id"])
    assert record["digest"] == digest
    assert record["actor_id"] == STATION_OFFICER
    assert (record["kind"], record["file_format"]) == ("volunteers", "xlsx")
    assert record["rows"] == int(answer.headers["x-export-rows"]) > 0
    assert '"status": "active"' in record["filters"]
    assert api.get(STATION_OFFICER, "/api/exports/records").status_code in (403, 404)
    app = api.services.loop.app
    stored = [
        n
        for n in app.recorder.select_notifications(position, 1)
        if n.topic.endswith("DataExport.Recorded")
    ]
    assert len(stored) == 1
    verified = api.get(AUDITOR, "/api/audit/verify")
    assert verified.status_code == 200, verified.text


def test_the_ledger_export_sums_to_the_accounts_balances(api: Api) -> None:
    rows, _ = read_xlsx(export(api, STATION_OFFICER, "ledger", unit=demo.XINGFU).content, "ledger")
    assert rows
    totals: dict[str, int] = {}
    for row in rows:
        totals[row["volunteer_id"]] = totals.get(row["volunteer_id"], 0) + row["amount"]
    for volunteer_id, total in totals.items():
        balance = api.get(STATION_OFFICER, f"/api/accounts/{volunteer_id}").json()["balance"]
        assert total == balance, volunteer_id
    assert {r["kind"] for r in rows} >= {"deposit"}


def test_bad_filters_are_refused_with_a_clear_error(api: Api) -> None:
    for params in ({"period": "2026-13"}, {"format": "pdf"}, {"period": "26"}):
        answer = api.get(STATION_OFFICER, "/api/exports/incidents", **params)
        assert answer.status_code in (400, 422), (params, answer.text)
        assert "code" in answer.json()


def test_the_statistics_page_links_the_months_exports_and_the_link_downloads(api: Api) -> None:
    from tests.api.test_console_pages import log_in

    log_in(api.client, STATION_OFFICER)
    month = datetime.now(CHINA).strftime("%Y-%m")
    page = api.client.get("/stats", params={"unit": demo.STATION, "period": month})
    assert page.status_code == 200
    links = re.findall(r'href="(/exports/incidents\?format=xlsx[^"]*)"', page.text)
    assert links
    answer = api.client.get(links[0].replace("&amp;", "&"))
    assert answer.status_code == 200, answer.text
    rows, _ = read_xlsx(answer.content, "incidents")
    listed = api.get(STATION_OFFICER, "/api/incidents", unit=demo.STATION, limit=500).json()
    opened = [i for i in listed["items"] if china(i["opened_at"]).strftime("%Y-%m") == month]
    assert [r["incident_id"] for r in rows] == [i["incident_id"] for i in opened]
    assert f"period-{month}" in answer.headers["content-disposition"]


def test_the_backlog_as_of_a_moment_and_a_stages_cases_equal_the_api_answers(api: Api) -> None:
    moment = datetime.now(CHINA).isoformat()
    past = api.get(STATION_OFFICER, "/api/backlog/as-of", moment=moment).json()["items"]
    assert past
    rows, _ = read_xlsx(export(api, STATION_OFFICER, "backlog", as_of=moment).content, "backlog")
    kinds = {c.key: c.kind for c in COLUMNS["backlog"]}
    for row, item in zip(rows, past, strict=True):
        for key, value in item.items():
            assert row[key] == (as_xlsx(value, kinds[key]) if key != "overdue" else "否"), key
    assert not any(i["overdue"] for i in past)

    stage = "closed"
    listed = api.get(STATION_OFFICER, "/api/incidents", stage=stage, limit=500).json()["items"]
    assert listed
    body = export(api, STATION_OFFICER, "incidents", format="csv", stage=stage).content
    assert [r["incident_id"] for r in read_csv(body, "incidents")] == [
        i["incident_id"] for i in listed
    ]


def test_exports_on_postgresql_equal_the_api_and_are_recorded(postgres_database: str) -> None:
    from tests.api.conftest import in_process

    with in_process(postgres_database) as pg:
        listed = pg.get(STATION_OFFICER, "/api/incidents", limit=500).json()["items"]
        answer = export(pg, STATION_OFFICER, "incidents")
        rows, _ = read_xlsx(answer.content, "incidents")
        assert [r["incident_id"] for r in rows] == [i["incident_id"] for i in listed]
        roll, _ = read_xlsx(export(pg, STATION_OFFICER, "volunteers").content, "volunteers")
        assert all(r["rank"] is None or r["rank"] >= 1 for r in roll)
        month = datetime.now(CHINA).strftime("%Y-%m")
        report = export(pg, STATION_OFFICER, "report", period=month)
        position = int(report.headers["x-log-position"])
        records = pg.get(AUDITOR, "/api/exports/records", wait_for=position).json()["items"]
        assert {r["kind"] for r in records} == {"incidents", "volunteers", "report"}


TASK_START = datetime(2026, 9, 1, 19, 0, tzinfo=CHINA)


def completed_task(api: Api) -> int:
    """A patrol on 1 September 2026 that v-xf-liu attended for two hours: the log
    position of its completion."""
    clock = FakeClock(TASK_START - timedelta(days=1))
    real, api.services.loop.app.clock = api.services.loop.app.clock, clock
    try:
        body = {
            "kind": "patrol",
            "topic": "幸福路夜间巡逻",
            "place": "幸福路",
            "community": demo.XINGFU,
            "starts_at": TASK_START.isoformat(),
            "ends_at": (TASK_START + timedelta(hours=2)).isoformat(),
            "needed": 2,
            "points": 10,
            "leader_id": "v-xf-zhou",
        }
        task = api.post(STATION_OFFICER, "/api/tasks", body).json()["task_id"]
        assert api.post("v-xf-liu", f"/api/tasks/{task}/sign-ups", {}).status_code == 200
        code = api.get("v-xf-zhou", f"/api/tasks/{task}/check-in-code").json()["code"]
        clock.now = TASK_START - timedelta(minutes=10)
        checked = api.post(
            "v-xf-liu",
            f"/api/tasks/{task}/check-ins",
            {"volunteer_id": "v-xf-liu", "code": code},
        )
        assert checked.status_code == 200, checked.text
        clock.now = TASK_START + timedelta(hours=3)
        done = api.post(STATION_OFFICER, f"/api/tasks/{task}/completion", {"reach": 60}).json()
        return int(done["position"])
    finally:
        api.services.loop.app.clock = real


def test_the_attendance_export_sums_to_the_task_statistics(api: Api) -> None:
    position = completed_task(api)
    month = "2026-09"
    body = export(
        api, STATION_OFFICER, "attendance", unit=demo.STATION, period=month, wait_for=position
    ).content
    rows, _ = read_xlsx(body, "attendance")
    assert [(r["volunteer_id"], r["minutes"]) for r in rows] == [("v-xf-liu", 120)]
    figures = api.get(STATION_OFFICER, "/api/tasks/statistics", unit=demo.STATION, period=month)
    totals = figures.json()["totals"]
    assert sum(r["minutes"] for r in rows) == totals["minutes"]
    assert len(rows) == totals["attendances"]
    refused = api.get(demo.OFFICER_XF.id, "/api/exports/attendance", unit=demo.STATION)
    assert refused.status_code in (403, 404)


@pytest.fixture
def fuping(database: str) -> Iterator[Api]:
    """The demo under Fuping's preset (10 days a year, the duty gate), on 1 September
    of the year it was seeded in: a whole day's session v-xf-liu attended and a half
    day v-xf-chen did."""
    from tests.api.conftest import in_process
    from tests.api.test_training_over_http import session_body

    with in_process(database, scoring="fuping") as client:
        client.services.loop.app.clock = FakeClock(datetime(YEAR, 9, 1, 8, 0, tzinfo=CHINA))
        for volunteer, credit in (("v-xf-liu", "whole"), ("v-xf-chen", "half")):
            made = client.post("s-cy-wang", "/api/training/sessions", session_body(credit=credit))
            session = made.json()["session_id"]
            done = client.post(
                "o-xf-li", f"/api/training/sessions/{session}/attendance",
                {"volunteer_id": volunteer},
            )  # fmt: skip
            assert done.status_code == 200, done.text
        yield client


TRAINING_USERS = [STATION_OFFICER, demo.OFFICER_XF.id, demo.COUNTY_OFFICER.id]


@pytest.mark.parametrize("user", TRAINING_USERS)
def test_the_training_shortfall_export_equals_the_apis_shortfall_for_the_same_user_and_year(
    fuping: Api, user: str
) -> None:
    from tests.api.test_training_over_http import NEWCOMER, admit_newcomer, norm_days

    api = fuping
    admit_newcomer(api)  # on the fixture's 1 September: 10 days x 4/12, 3.5 days due
    listed = api.get(user, "/api/training/shortfall", year=YEAR, wait_for=head_of(api))
    assert listed.status_code == 200, listed.text
    short = listed.json()["items"]
    by_id = {r["volunteer_id"]: r for r in short}
    newcomer = by_id[NEWCOMER]
    assert (newcomer["days"], newcomer["norm_days"], newcomer["short_days"]) == (0, 3.5, 3.5)
    for volunteer, days in (("v-xf-liu", 1), ("v-xf-chen", 0.5)):  # the demo's, as seeded
        found = by_id.get(volunteer, {"short_days": 0})
        assert found["short_days"] == max(0, norm_days(api, volunteer) - days)
    kinds = {c.key: c.kind for c in COLUMNS["training-shortfall"]}
    assert set(kinds) == set(short[0])
    for file_format in ("csv", "xlsx"):
        answer = export(api, user, "training-shortfall", format=file_format, year=YEAR)
        assert f"year-{YEAR}.{file_format}" in answer.headers["content-disposition"]
        if file_format == "csv":
            rows: list[dict[str, Any]] = read_csv(answer.content, "training-shortfall")
            yes_no = [{**r, "suspended": "是" if r["suspended"] else "否"} for r in short]
            expected = [{k: as_csv(v, kinds[k]) for k, v in r.items()} for r in yes_no]
        else:
            rows = read_xlsx(answer.content, "training-shortfall")[0]
            expected = [{**r, "suspended": "是" if r["suspended"] else "否"} for r in short]
        assert rows == expected, (user, file_format)
    other_year = export(api, user, "training-shortfall", format="csv", year=YEAR - 1).content
    year_before = api.get(user, "/api/training/shortfall", year=YEAR - 1).json()["items"]
    assert [r["volunteer_id"] for r in read_csv(other_year, "training-shortfall")] == [
        r["volunteer_id"] for r in year_before
    ]
    assert all(r["days"] == 0 for r in year_before)


def test_the_awaiting_training_export_equals_the_apis_awaiting_list(fuping: Api) -> None:
    from tests.api.test_training_over_http import NEWCOMER, admit_newcomer

    api = fuping
    assert api.post("k-ls-gao", "/api/training/gate").status_code == 200
    admit_newcomer(api)
    waiting = api.get(STATION_OFFICER, "/api/training/awaiting", wait_for=head_of(api)).json()
    assert [r["volunteer_id"] for r in waiting["items"]] == [NEWCOMER]
    rows, _ = read_xlsx(
        export(api, STATION_OFFICER, "training-awaiting").content, "training-awaiting"
    )
    assert rows == [
        {**r, "exam_missing": "是" if r["exam_missing"] else "否"} for r in waiting["items"]
    ]
    body = export(api, STATION_OFFICER, "training-awaiting", format="csv").content
    assert [r["volunteer_id"] for r in read_csv(body, "training-awaiting")] == [NEWCOMER]


def test_a_user_out_of_scope_is_refused_the_shortfall_export_as_the_api_refuses_him(
    fuping: Api,
) -> None:
    api = fuping
    before = head_of(api)
    for user, unit in (
        (demo.OFFICER_XF.id, demo.STATION),
        (demo.OFFICER_XF.id, demo.HEPING),
        (demo.RIDER.id, demo.XINGFU),
    ):
        read = api.get(user, "/api/training/shortfall", unit=unit, year=YEAR)
        assert read.status_code in (403, 404), read.text
        for kind in ("training-shortfall", "training-awaiting"):
            answer = api.get(user, f"/api/exports/{kind}", unit=unit, year=YEAR)
            assert answer.status_code == read.status_code, (user, unit, kind)
            assert answer.json()["code"] == read.json()["code"]
    bad = api.get(STATION_OFFICER, "/api/exports/training-shortfall", year=1999)
    assert bad.status_code == 422
    assert head_of(api) == before  # nothing recorded


def test_the_shortfall_export_is_recorded_with_its_year_and_digest(fuping: Api) -> None:
    api = fuping
    answer = export(api, STATION_OFFICER, "training-shortfall", format="csv", year=YEAR)
    position = int(answer.headers["x-log-position"])
    records = api.get(AUDITOR, "/api/exports/records", wait_for=position).json()["items"]
    record = next(r for r in records if r["export_id"] == answer.headers["x-export-id"])
    assert (record["kind"], record["file_format"]) == ("training-shortfall", "csv")
    assert record["digest"] == hashlib.sha256(answer.content).hexdigest()
    assert (
        record["rows"]
        == int(answer.headers["x-export-rows"])
        == len(read_csv(answer.content, "training-shortfall"))
        > 0
    )
    assert f'"year": {YEAR}' in record["filters"]
    assert record["actor_id"] == STATION_OFFICER


def test_the_training_page_links_the_shortfall_export_and_the_link_downloads(
    fuping: Api,
) -> None:
    from tests.api.test_console_pages import log_in

    api = fuping
    log_in(api.client, STATION_OFFICER)
    page = api.client.get("/training", params={"year": YEAR})
    assert page.status_code == 200
    links = re.findall(r'href="(/exports/training-shortfall\?format=xlsx[^"]*)"', page.text)
    assert links == [f"/exports/training-shortfall?format=xlsx&amp;year={YEAR}"]
    answer = api.client.get(links[0].replace("&amp;", "&"))
    assert answer.status_code == 200, answer.text
    rows, _ = read_xlsx(answer.content, "training-shortfall")
    shown = re.findall(r'data-short="([^"]+)"', page.text)
    assert [r["volunteer_id"] for r in rows] == shown
    assert "v-xf-chen" in shown


def head_of(api: Api) -> int:
    return int(api.services.loop.app.recorder.max_notification_id() or 0)


@pytest.mark.parametrize("hang_up", [OSError, asyncio.CancelledError])
def test_an_export_file_is_deleted_when_the_client_hangs_up_half_way(
    tmp_path: Path, hang_up: type[BaseException]
) -> None:
    made = tmp_path / "lishu-export-x.csv"
    made.write_bytes(b"x" * (1 << 20))  # several chunks
    sent: list[str] = []

    async def receive() -> dict[str, Any]:
        await anyio.sleep_forever()
        return {}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message["type"])
        if message["type"] == "http.response.body":
            raise hang_up()

    scope = {"type": "http", "method": "GET", "headers": [], "asgi": {"spec_version": "2.4"}}
    with pytest.raises(hang_up):
        anyio.run(OneOffFileResponse(made, filename="x.csv"), scope, receive, send)
    assert sent == ["http.response.start", "http.response.body"]  # it hung up half way
    assert not made.exists()


def test_an_export_file_is_deleted_once_sent(api: Api) -> None:
    before = set(Path(tempfile.gettempdir()).glob("lishu-export-*"))
    assert export(api, "k-ls-gao", "incidents", format="csv").status_code == 200
    assert set(Path(tempfile.gettempdir()).glob("lishu-export-*")) <= before
