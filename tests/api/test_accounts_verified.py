"""The accounts table is a read model of the accounts' events: a role edited in
the database is named by ``lishu verify --read-models``, and the events, which
decide who logs in as what, are intact."""

from __future__ import annotations

import sqlite3
from contextlib import closing

from typer.testing import CliRunner

from api.cli import app
from tests.api.conftest import Api


def test_a_role_edited_in_the_database_is_reported_and_does_not_take(
    api: Api, database: str
) -> None:
    assert api.get("v-xf-liu", "/api/me").json()["role"] == "volunteer"
    api.services.views.runner.wait_for(api.services.loop.app.recorder.max_notification_id(), 30)
    with closing(sqlite3.connect(database.removeprefix("sqlite:///"))) as db, db:
        (table,) = {
            name
            for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
            if name.startswith("accounts_")
        }
        edit = f"UPDATE {table} SET role='auditor', unit='lishu' WHERE username='v-xf-liu'"
        assert db.execute(edit).rowcount == 1
    me = api.get("v-xf-liu", "/api/me").json()
    assert (me["role"], me["unit"]) == ("volunteer", "lishu/chaoyang/xingfu")
    printed = CliRunner().invoke(app, ["verify", "--database-url", database, "--read-models"])
    assert printed.exit_code == 1, printed.output
    assert "accounts.accounts" in printed.output
    assert "role: live 'auditor', rebuilt 'volunteer'" in printed.output, printed.output
