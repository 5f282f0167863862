"""The ``lishu`` command line, run as an operator would."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aggregates.points_account import account_id
from api.cli import app  # the `lishu` entry point: the loop's commands and the accounts'
from loop import demo
from loop.bootstrap import build_loop
from loop.services.personal import erasure_record
from loop.settings import Settings

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/lishu.db"


def demo_ids(database: str) -> dict[str, str]:
    result = runner.invoke(app, ["demo", "--database-url", database])
    assert result.exit_code == 0, result.output
    return {m[1]: m[0] for m in re.findall(r"([0-9a-f-]{36})  (\w+)", result.output)}


def test_demo_fills_the_database_and_prints_a_timeline(database: str) -> None:
    result = runner.invoke(app, ["demo", "--database-url", database])
    assert result.exit_code == 0, result.output
    assert "已录入 10 起警情" in result.output
    assert "将警情移交县住建局，接收人：市政科 刘科长" in result.output


def test_history_prints_the_timeline_and_past_states(database: str) -> None:
    incident = demo_ids(database)["escalated_to_county"]
    timeline = runner.invoke(app, ["history", incident, "--database-url", database])
    assert timeline.exit_code == 0
    lines = timeline.output.splitlines()
    assert lines[0].startswith("v1 ")
    assert "统一派警" in lines[-1]
    english = runner.invoke(app, ["history", incident, "--database-url", database, "--en"])
    assert "escalated it from station to county" in english.output
    state = runner.invoke(app, ["history", incident, "--database-url", database, "--version", "3"])
    assert json.loads(state.output)["stage"] == "handling_community"
    late = runner.invoke(
        app,
        ["history", incident, "--database-url", database, "--as-of", "2999-01-01T00:00:00+08:00"],
    )
    assert json.loads(late.output)["stage"] == "handling_county"


def test_history_of_an_unknown_incident_fails_clearly(database: str) -> None:
    result = runner.invoke(app, ["history", "not-an-id", "--database-url", database])
    assert result.exit_code == 1
    missing = runner.invoke(
        app, ["history", "00000000-0000-0000-0000-000000000000", "--database-url", database]
    )
    assert missing.exit_code == 1
    assert "警情不存在" in missing.output


def scenario(name: str, *statuses: str) -> dict[str, object]:
    return {
        "type": "scenario",
        "name": name,
        "steps": [{"result": {"status": s}} for s in statuses],
    }


def test_policy_report_says_which_clauses_pass(tmp_path: Path) -> None:
    report = tmp_path / "cucumber.json"
    report.write_text(
        json.dumps(
            [
                {
                    "uri": "01.feature",
                    "name": "警情发现制度",
                    "elements": [scenario("发现", "passed", "passed")],
                },
                {
                    "uri": "02.feature",
                    "name": "警情反馈制度",
                    "elements": [scenario("反馈", "passed"), scenario("紧急", "passed", "failed")],
                },
            ]
        ),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["policy", "--report", str(report)])
    assert result.exit_code == 1
    assert "✔ 警情发现制度（1/1）" in result.output
    assert "✘ 警情反馈制度（1/2）" in result.output
    assert "    ✘ 紧急" in result.output
    assert "合计：2/3 条场景通过" in result.output


def test_policy_prints_the_table_and_the_diagram() -> None:
    table = runner.invoke(app, ["policy"])
    assert table.exit_code == 0
    assert any(
        line.startswith("典型宣传") and "县局宣传科" in line for line in table.output.splitlines()
    )
    diagram = runner.invoke(app, ["policy", "--mermaid"])
    assert "stateDiagram-v2" in diagram.output


# -- reading as the console's auditor, other records, forgetting ----------------------

RIDER_NAME, RIDER_PHONE = "刘某", "13904340001"  # the demo's first applicant


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, str]]:
    """One demo database for the read-only tests below."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo')}/lishu.db"
    return url, demo_ids(url)


def test_history_hides_people_unless_read_as_the_console_auditor(
    demo_database: tuple[str, dict[str, str]],
) -> None:
    database, ids = demo_database
    incident = ids["diverted"]
    hidden = runner.invoke(app, ["history", incident, "--database-url", database])
    assert hidden.exit_code == 0, hidden.output
    assert "义警 已隐藏 在「隐患排查」中发现" in hidden.output
    assert demo.SWEEPER.id not in hidden.output
    shown = runner.invoke(app, ["history", incident, "--database-url", database, "--as-auditor"])
    assert shown.exit_code == 0, shown.output
    assert f"义警 {demo.SWEEPER.id} 在「隐患排查」中发现" in shown.output
    assert "已隐藏" not in shown.output
    state = runner.invoke(
        app, ["history", incident, "--database-url", database, "--version", "1", "--as-auditor"]
    )
    assert json.loads(state.output)["reporter_id"] == demo.SWEEPER.id
    masked = runner.invoke(app, ["history", incident, "--database-url", database, "--version", "1"])
    assert json.loads(masked.output)["reporter_id"] == "已隐藏"


def test_history_of_a_volunteer_by_his_id_shows_his_details_only_to_the_auditor(
    demo_database: tuple[str, dict[str, str]],
) -> None:
    database, _ = demo_database
    hidden = runner.invoke(app, ["history", demo.RIDER.id, "--database-url", database])
    assert hidden.exit_code == 0, hidden.output
    assert "录入v-xf-liu的入队申请" in hidden.output
    assert '"name": "已隐藏"' in hidden.output
    assert RIDER_NAME not in hidden.output
    assert RIDER_PHONE not in hidden.output
    shown = runner.invoke(
        app, ["history", demo.RIDER.id, "--database-url", database, "--as-auditor"]
    )
    assert shown.exit_code == 0, shown.output
    assert f'"name": "{RIDER_NAME}"' in shown.output
    assert f'"phone": "{RIDER_PHONE}"' in shown.output


def test_history_of_a_points_account_and_what_is_refused(
    demo_database: tuple[str, dict[str, str]],
) -> None:
    database, _ = demo_database
    account = str(account_id(demo.RIDER.id))
    ledger = runner.invoke(app, ["history", account, "--database-url", database, "--en"])
    assert ledger.exit_code == 0, ledger.output
    assert "opened the Happiness Bank account of v-xf-liu" in ledger.output
    version = runner.invoke(
        app, ["history", demo.RIDER.id, "--database-url", database, "--version", "1"]
    )
    assert version.exit_code == 1
    assert "只能查询警情在某版本或某时刻的状态" in version.output
    nobody = runner.invoke(app, ["history", "v-nobody", "--database-url", database])
    assert nobody.exit_code == 1
    assert "不是警情或记录编号，也没有此编号的义警" in nobody.output


def administrator(database: str, username: str) -> None:
    """An enabled administrator account of the county, the first one or another."""
    created = runner.invoke(
        app,
        ["users", "add", username, "--role", "admin", "--unit", demo.COUNTY, "--password",
         "the county administrator", "--database-url", database]
        + ([] if username == "admin-ls" else ["--operator", "admin-ls"]),
    )  # fmt: skip
    assert created.exit_code == 0, created.output


def test_forget_erases_a_volunteer_and_is_recorded_for_the_operator(database: str) -> None:
    demo_ids(database)
    args = ["--database-url", database]
    administrator(database, "admin-ls")
    missing = runner.invoke(app, ["forget", demo.RIDER.id, "--operator", "admin-ls", *args])
    assert missing.exit_code == 2  # no reason given: refused before anything happens
    forgot = runner.invoke(
        app,
        ["forget", demo.RIDER.id, "--reason", "本人申请删除", "--operator", "admin-ls", *args],
    )
    assert forgot.exit_code == 0, forgot.output
    assert f"已删除 {demo.RIDER.id} 的个人信息（密钥已销毁）" in forgot.output

    shown = runner.invoke(app, ["history", demo.RIDER.id, "--as-auditor", *args])
    assert shown.exit_code == 0, shown.output
    assert '"name": "已删除"' in shown.output
    assert RIDER_NAME not in shown.output
    again = runner.invoke(
        app, ["forget", demo.RIDER.id, "--reason", "重复", "--operator", "admin-ls", *args]
    )
    assert again.exit_code == 1
    assert "此人的个人信息已删除" in again.output
    unknown = runner.invoke(
        app, ["forget", "person-nobody", "--reason", "无", "--operator", "admin-ls", *args]
    )
    assert unknown.exit_code == 1
    assert "没有此人的个人信息" in unknown.output
    assert runner.invoke(app, ["verify", *args]).exit_code == 0


def test_demo_as_auditor_then_forget_records_the_operator_and_the_reason(database: str) -> None:
    shown = runner.invoke(app, ["demo", "--database-url", database, "--as-auditor"])
    assert shown.exit_code == 0, shown.output
    assert f"义警 {demo.SWEEPER.id} 在「隐患排查」中发现" in shown.output
    args = ["--database-url", database]
    administrator(database, "admin-ls")
    administrator(database, "admin-x")
    runner.invoke(
        app, ["forget", demo.TAXI.id, "--reason", "退出义警队伍", "--operator", "admin-x", *args]
    )
    flow = build_loop(Settings(database_url=database)).incidents
    try:
        record = erasure_record(flow.app, demo.TAXI.id)
    finally:
        flow.app.close()
    assert record is not None
    assert record["actor"] == {"id": "admin-x", "role": "admin", "unit": demo.COUNTY}
    assert record["reason"] == "退出义警队伍"


@pytest.mark.parametrize("operator", ["admin-ls", "au-ls-ma", "admin-off"])
def test_forget_refuses_an_operator_who_is_not_an_enabled_administrator(
    database: str, operator: str
) -> None:
    """Nobody, an auditor or a disabled administrator: refused, nothing forgotten."""
    demo_ids(database)
    args = ["--database-url", database]
    if operator != "admin-ls":
        administrator(database, "admin-ls")
        role = "admin" if operator == "admin-off" else "auditor"
        made = runner.invoke(
            app,
            ["users", "add", operator, "--role", role, "--unit", demo.COUNTY, "--password",
             "another county account", "--operator", "admin-ls", *args],
        )  # fmt: skip
        assert made.exit_code == 0, made.output
        if operator == "admin-off":
            off = ["users", "disable", operator, "--operator", "admin-ls", *args]
            assert runner.invoke(app, off).exit_code == 0
    refused = runner.invoke(
        app, ["forget", demo.RIDER.id, "--reason", "本人申请删除", "--operator", operator, *args]
    )
    assert refused.exit_code == 2, refused.output
    assert "操作人须为已启用的系统管理员账号" in refused.output
    flow = build_loop(Settings(database_url=database)).incidents
    try:
        assert erasure_record(flow.app, demo.RIDER.id) is None
    finally:
        flow.app.close()
