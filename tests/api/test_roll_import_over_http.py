"""A county's roll imported over HTTP by its administrator: the dry run lists
every bad row and stores nothing, a refused import stores nothing, 50 volunteers
from an XLSX file are admitted at once and one of them then reports, and nobody
but the administrator may import."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api
from tests.api.served import DEMO_USERS
from tests.api.test_loop_over_http import HAZARD
from tests.unit.test_roll_import import as_csv, as_xlsx, person

ADMIN = "admin"
CHECK, IMPORT = "/api/admin/accounts/imports/check", "/api/admin/accounts/imports"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ADMIN_UPLOADS = {CHECK, IMPORT}


def upload(api: Api, who: str, path: str, content: bytes, name: str) -> Any:
    kind = XLSX if name.endswith(".xlsx") else "text/csv"
    return api.client.post(path, files={"file": (name, content, kind)}, headers=api.headers(who))


def head(api: Api) -> int | None:
    position: int | None = api.services.loop.app.recorder.max_notification_id()
    return position


def test_fifty_volunteers_from_a_spreadsheet_are_admitted_and_serve(api: Api) -> None:
    roll = as_xlsx([person(n) for n in range(1, 51)])
    before = head(api)
    dry = upload(api, ADMIN, CHECK, roll, "义警名册.xlsx")
    assert dry.status_code == 200, dry.text
    assert (dry.json()["rows"], dry.json()["new"], dry.json()["problems"]) == (50, 50, [])
    assert head(api) == before
    done = upload(api, ADMIN, IMPORT, roll, "义警名册.xlsx")
    assert done.status_code == 201, done.text
    assert (done.json()["imported"], done.json()["existing"]) == (50, 0)
    again = upload(api, ADMIN, IMPORT, roll, "义警名册.xlsx")
    assert (again.json()["imported"], again.json()["existing"]) == (0, 50)
    reset = api.post(ADMIN, "/api/admin/accounts/v-im-00007/password", {"reason": "入队"})
    assert reset.status_code == 200, reset.text
    login = {"username": "v-im-00007", "password": reset.json()["one_time_password"]}
    token = api.client.post("/api/auth/login", json=login).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    mine = "a volunteer's own phrase 7"
    changed = api.client.post(
        "/api/auth/password",
        json={"current_password": login["password"], "new_password": mine},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    login["password"] = mine
    token = api.client.post("/api/auth/login", json=login).json()["access_token"]
    reported = api.client.post(
        "/api/incidents", json=HAZARD, headers={"Authorization": f"Bearer {token}"}
    )
    assert reported.status_code == 201, reported.text


def test_a_bad_roll_is_reported_row_by_row_and_refused_whole(api: Api) -> None:
    rows = [person(n) for n in range(1, 4)]
    rows[2][6] = "飞行员"
    before = head(api)
    dry = upload(api, ADMIN, CHECK, as_csv(rows), "roll.csv")
    problems = dry.json()["problems"]
    assert [(p["row"], p["column"]) for p in problems] == [(4, "职业")]
    assert problems[0]["message_zh"].startswith("未知职业「飞行员」")
    refused = upload(api, ADMIN, IMPORT, as_csv(rows), "roll.csv")
    assert (refused.status_code, refused.json()["code"]) == (422, "import_refused")
    assert refused.json()["details"]["problems"][0]["row"] == 4
    garbled = upload(api, ADMIN, CHECK, b"\xff\xfe\x00", "roll.csv")
    assert (garbled.status_code, garbled.json()["code"]) == (422, "invalid_input")
    assert head(api) == before


def test_only_the_administrator_imports(api: Api) -> None:
    roll = as_csv([person(1)])
    before = head(api)
    for user in DEMO_USERS:
        if user.role == "admin":
            continue
        for path in ADMIN_UPLOADS:
            answer = upload(api, user.id, path, roll, "roll.csv")
            assert answer.status_code == 403, (user.id, path, answer.text)
    assert head(api) == before
