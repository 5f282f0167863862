"""The console's password page: a user whose password an administrator set is
sent there before any other page, and a new password there ends his other
log-ins and starts a new session."""

from __future__ import annotations

import re

from loop import demo
from tests.api.conftest import Api

SET_BY_ADMIN = "handed over by the county"
MINE = "my own phrase for the console"


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page)
    assert found is not None
    return found.group(1)


def test_an_administrators_password_is_changed_first_in_the_console(api: Api) -> None:
    accounts = api.services.accounts
    accounts.set_password("c-hp-he", SET_BY_ADMIN, operator=demo.ADMIN, reason="忘记密码")
    login = {"username": "c-hp-he", "password": SET_BY_ADMIN}
    api_token = api.client.post("/api/auth/login", json=login).json()["access_token"]
    answer = api.client.post("/login", data=login, follow_redirects=False)
    assert answer.headers["location"] == "/password"
    for path in ("/board", "/incidents", "/"):
        sent = api.client.get(path, follow_redirects=False)
        assert sent.status_code == 303, path
        assert sent.headers["location"] == "/password", path
    page = api.client.get("/password")
    assert "您的密码由管理员设置，请先修改" in page.text
    csrf = csrf_of(page.text)
    for new, confirm, shown in [
        ("short", "short", "密码至少 12 位"),
        (MINE, MINE + "!", "两次输入的新密码不一致"),
        ("c-hp-he and more words", "c-hp-he and more words", "密码不能包含用户名或姓名"),
    ]:
        form = {
            "csrf_token": csrf,
            "current_password": SET_BY_ADMIN,
            "new_password": new,
            "confirm_password": confirm,
        }
        refused = api.client.post("/password", data=form)
        assert refused.status_code == 422, new
        assert shown in refused.text, new
    wrong = {"csrf_token": csrf, "current_password": "not the one at all",
             "new_password": MINE, "confirm_password": MINE}  # fmt: skip
    assert "当前密码不正确" in api.client.post("/password", data=wrong).text
    form = {"csrf_token": csrf, "current_password": SET_BY_ADMIN,
            "new_password": MINE, "confirm_password": MINE}  # fmt: skip
    done = api.client.post("/password", data=form, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == "/board"
    assert "lishu_session=" in done.headers["set-cookie"]
    assert api.client.get("/board").status_code == 200  # the new session works
    headers = {"Authorization": f"Bearer {api_token}"}
    assert api.client.get("/api/me", headers=headers).status_code == 401  # the old one ended
    assert accounts.get("c-hp-he").must_change_password is False  # type: ignore[union-attr]
    assert [e.action for e in api.services.log.entries("c-hp-he")] == ["password_changed"]
