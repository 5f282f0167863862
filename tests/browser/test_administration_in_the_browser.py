"""The administrator in the browser: he lands on 系统管理, registers a community
with its form, creates an officer's account and reads its one-time password
once, then disables it and reads the account's history."""

from __future__ import annotations

from tests.browser.conftest import Login, Server, shot


def test_the_administrator_builds_and_manages_from_his_landing_page(
    login: Login, server: Server
) -> None:
    admin = login("admin")
    assert admin.url.endswith("/admin")
    assert "朝阳派出所" in admin.locator("[data-unit='lishu/chaoyang']").inner_text()
    form = admin.locator("form[data-form=register-unit]")
    form.locator("select[name=kind]").select_option("community")
    form.locator("select[name=parent]").select_option("lishu/chaoyang")
    form.locator("input[name=code]").fill("lishu/chaoyang/nanshan")
    form.locator("input[name=name]").fill("南山社区")
    form.locator("button[type=submit]").click()
    admin.wait_for_selector("[data-unit='lishu/chaoyang/nanshan']")

    form = admin.locator("form[data-form=create-account]")
    form.locator("input[name=username]").fill("o-ns-qian")
    form.locator("input[name=display_name]").fill("钱警官")
    form.locator("select[name=role]").select_option("community_officer")
    form.locator("select[name=unit]").select_option("lishu/chaoyang/nanshan")
    form.locator("button[type=submit]").click()
    shown = admin.locator("[data-one-time='o-ns-qian'] code").inner_text()
    assert shown.startswith("lishu-")
    shot(admin, "admin-one-time-password")
    assert admin.locator("[data-one-time]").count() == 1
    admin.goto(f"{server.url}/admin")
    assert admin.locator("[data-one-time]").count() == 0  # shown once

    row = admin.locator("[data-account='o-ns-qian']")
    row.locator("form[data-form=disable] input[name=reason]").fill("调离")
    row.locator("form[data-form=disable] button").click()
    admin.wait_for_url(lambda url: "done=1" in url)
    admin.goto(f"{server.url}/admin?username=o-ns-qian")
    history = admin.locator("[data-history]").inner_text()
    assert "创建账号 o-ns-qian" in history
    assert "停用账号，理由：调离" in history
