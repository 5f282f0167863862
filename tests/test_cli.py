"""The ``lishu`` command line, run as an operator would."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from loop.cli import app

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
