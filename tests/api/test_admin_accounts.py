"""Accounts over HTTP, by the administrator: created with a one-time password to
change at the first log-in, a new role or a disabling ends the account's
sessions at once, every change is in the account's history with its actor and
reason; refusals are coded, bilingual and store nothing; an account outside the
administrator's reach answers 404."""

from __future__ import annotations

from typing import Any

from api.seed import DEMO_PASSWORD
from tests.api.conftest import Api
from tests.api.served import DEMO_USERS
from tests.api.test_console_pages import csrf_of

ADMIN = "admin"
BASE = "/api/admin/accounts"
NEW = {
    "username": "o-hp-sun",
    "display_name": "孙警官",
    "role": "community_officer",
    "unit": "lishu/chaoyang/heping",
    "reason": "新调入和平社区",
}


def head(api: Api) -> int | None:
    position: int | None = api.services.loop.app.recorder.max_notification_id()
    return position


def refused(api: Api, who: str, path: str, body: Any, status: int, code: str) -> None:
    before = head(api)
    answer = api.post(who, path, body)
    assert (answer.status_code, answer.json()["code"]) == (status, code), answer.text
    assert answer.json()["message_zh"]
    assert answer.json()["message_en"]
    assert head(api) == before


def test_an_account_is_created_with_a_one_time_password_and_its_history_says_who(
    api: Api,
) -> None:
    made = api.post(ADMIN, BASE, NEW)
    assert made.status_code == 201, made.text
    password = made.json()["one_time_password"]
    assert password
    login = api.client.post("/api/auth/login", json={"username": "o-hp-sun", "password": password})
    assert login.status_code == 200, login.text
    assert login.json()["password_change_required"] is True
    listed = api.get(ADMIN, BASE, search="孙警", wait_for=made.json()["position"]).json()
    assert [(r["username"], r["unit"], r["must_change_password"]) for r in listed["items"]] == [
        ("o-hp-sun", "lishu/chaoyang/heping", True)
    ]
    history = api.get(ADMIN, f"{BASE}/o-hp-sun/history").json()
    assert [e["event"] for e in history] == ["Created", "RoleGranted", "PasswordReset"]
    assert {e["actor"]["id"] for e in history} == {"admin"}
    assert "新调入和平社区" in history[1]["sentence_zh"]
    assert "和平社区" in history[1]["sentence_zh"]


def test_a_new_role_and_a_disabling_end_every_session_at_once(api: Api) -> None:
    assert api.get("o-xf-li", "/api/me").status_code == 200
    moved = api.post(
        ADMIN,
        f"{BASE}/o-xf-li/role",
        {"role": "community_officer", "unit": "lishu/chaoyang/heping", "reason": "轮岗"},
    )
    assert moved.status_code == 200, moved.text
    assert api.get("o-xf-li", "/api/me").status_code == 401
    api.tokens.pop("o-xf-li")
    assert api.get("o-xf-li", "/api/me").json()["unit"] == "lishu/chaoyang/heping"
    off = api.post(ADMIN, f"{BASE}/o-xf-li/disable", {"reason": "离职"})
    assert (off.status_code, off.json()["disabled"]) == (200, True)
    assert api.get("o-xf-li", "/api/me").status_code == 401
    on = api.post(ADMIN, f"{BASE}/o-xf-li/enable", {"reason": "返岗"})
    assert on.status_code == 200, on.text
    assert api.get("o-xf-li", "/api/me").status_code == 401  # old sessions stay ended
    reset = api.post(ADMIN, f"{BASE}/o-xf-li/password", {"reason": "忘记密码"})
    login = {"username": "o-xf-li", "password": reset.json()["one_time_password"]}
    assert api.client.post("/api/auth/login", json=login).json()["password_change_required"]
    events = [e["event"] for e in api.get(ADMIN, f"{BASE}/o-xf-li/history").json()]
    assert events[-5:] == ["RoleRevoked", "RoleGranted", "Disabled", "Enabled", "PasswordReset"]


def test_refusals_are_coded_and_store_nothing(api: Api) -> None:
    refused(api, ADMIN, BASE, {**NEW, "unit": "lishu/chaoyang"}, 422, "invalid_input")
    refused(api, ADMIN, BASE, {**NEW, "role": "sheriff"}, 422, "invalid_input")
    refused(api, ADMIN, BASE, {**NEW, "unit": "lishu/chaoyang/nowhere"}, 422, "invalid_input")
    refused(api, ADMIN, BASE, {**NEW, "username": "o-xf-li"}, 409, "already_registered")
    refused(api, ADMIN, BASE, {**NEW, "extra": 1}, 422, "invalid_input")
    refused(api, ADMIN, f"{BASE}/admin/disable", {"reason": "x"}, 403, "not_permitted")
    refused(api, ADMIN, f"{BASE}/nobody/disable", {"reason": "x"}, 404, "account_not_found")
    refused(
        api,
        ADMIN,
        f"{BASE}/v-xf-liu/role",
        {"role": "volunteer", "unit": "lishu-zhujian", "reason": "x"},
        422,
        "invalid_input",
    )


ADMIN_READS = {f"{BASE}", f"{BASE}/{{username}}/history"}
ADMIN_COMMANDS = {
    BASE: NEW,
    f"{BASE}/{{username}}/role": {"role": "auditor", "unit": "lishu", "reason": "x"},
    f"{BASE}/{{username}}/disable": {"reason": "x"},
    f"{BASE}/{{username}}/enable": {"reason": "x"},
    f"{BASE}/{{username}}/password": {"reason": "x"},
}
"""Only an administrator manages accounts: for everyone else, 403 or 404."""


def test_only_the_administrator_manages_accounts(api: Api) -> None:
    for user in DEMO_USERS:
        if user.role == "admin":
            continue
        for path, body in ADMIN_COMMANDS.items():
            before = head(api)
            answer = api.post(user.id, path.replace("{username}", "v-xf-liu"), body)
            assert answer.status_code in (403, 404), (user.id, path, answer.text)
            assert head(api) == before
        for path in ADMIN_READS:
            answer = api.get(user.id, path.replace("{username}", "v-xf-liu"))
            assert answer.status_code in (403, 404), (user.id, path, answer.text)


ADMIN_PAGES = {"/admin"}
ADMIN_FORMS = {
    "/admin/units",
    "/admin/rename",
    "/admin/accounts",
    "/admin/accounts/{username}/{action}",
}


def test_the_administrator_lands_on_his_page_and_builds_with_its_forms(api: Api) -> None:
    client = api.client
    logged = client.post(
        "/login", data={"username": ADMIN, "password": DEMO_PASSWORD}, follow_redirects=False
    )
    assert logged.status_code == 303
    landing = client.get(logged.headers["location"], follow_redirects=False)
    assert landing.headers["location"] == "/admin"
    shown = client.get("/admin")
    assert shown.status_code == 200
    assert "朝阳派出所" in shown.text
    assert 'data-account="v-xf-liu"' in shown.text
    csrf = csrf_of(shown.text)
    made = client.post(
        "/admin/units",
        data={
            "csrf_token": csrf,
            "kind": "community",
            "parent": "lishu/chaoyang",
            "code": "lishu/chaoyang/nanshan",
            "name": "南山社区",
        },
        follow_redirects=True,
    )
    assert made.status_code == 200, made.text
    assert 'data-unit="lishu/chaoyang/nanshan"' in made.text
    created = client.post(
        "/admin/accounts",
        data={
            "csrf_token": csrf,
            "username": "o-ns-qian",
            "display_name": "钱警官",
            "role": "community_officer",
            "unit": "lishu/chaoyang/nanshan",
        },
    )
    assert 'data-one-time="o-ns-qian"' in created.text
    wrong = client.post(
        "/admin/accounts",
        data={"csrf_token": csrf, "username": "x", "role": "volunteer", "unit": "lishu"},
    )
    assert wrong.status_code == 422
    assert 'data-code="invalid_input"' in wrong.text
    before = head(api)
    forged = client.post(
        "/admin/accounts/o-ns-qian/disable", data={"csrf_token": "0" * 64, "reason": "x"}
    )
    assert forged.status_code == 403
    assert head(api) == before
    off = client.post(
        "/admin/accounts/o-ns-qian/disable",
        data={"csrf_token": csrf, "reason": "调离"},
        follow_redirects=True,
    )
    assert off.status_code == 200
    history = client.get("/admin", params={"username": "o-ns-qian"})
    assert "停用账号，理由：调离" in history.text


def test_a_retried_creation_with_its_key_answers_once_and_keeps_no_password(api: Api) -> None:
    first = api.post(ADMIN, BASE, NEW, **{"Idempotency-Key": "new-officer-1"})
    assert first.status_code == 201, first.text
    assert first.json()["one_time_password"]
    before = head(api)
    again = api.post(ADMIN, BASE, NEW, **{"Idempotency-Key": "new-officer-1"})
    assert again.status_code == 201, again.text
    assert (again.json()["replayed"], again.json()["one_time_password"]) == (True, None)
    assert again.json()["version"] == first.json()["version"]
    assert head(api) == before
    login = {"username": "o-hp-sun", "password": first.json()["one_time_password"]}
    assert api.client.post("/api/auth/login", json=login).status_code == 200
