"""The API's step routes and bodies, the console's forms, labels and loop drawing
are all read from the step table: checked against the OpenAPI document the
service publishes and the Mermaid diagram it sends."""

from __future__ import annotations

import re
from typing import Any

import pytest

from api.app import create_app
from api.config import ApiSettings
from api.console import actions, diagram, i18n
from loop.rules.fields import Kind
from loop.rules.stages import LOOP, REGULATIONS, STAGES
from loop.rules.steps import STEPS, Step

ARROW = re.compile(r"^\s*(?P<src>\w+) --> (?P<dest>\w+): (?P<step>\w+)", re.M)


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    app = create_app(ApiSettings(database_url="memory://", secret_key="s" * 40))
    document: dict[str, Any] = app.openapi()
    return document


def body_schema(openapi: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any]:
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    ref = schema["$ref"] if "$ref" in schema else schema["anyOf"][0]["$ref"]
    found: dict[str, Any] = openapi["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return found


@pytest.mark.parametrize("step", list(STEPS.values()), ids=list(STEPS))
def test_each_step_is_one_route_with_the_body_it_declares(
    openapi: dict[str, Any], step: Step
) -> None:
    operation = openapi["paths"][f"/api/incidents/{{incident_id}}/{step.path}"]["post"]
    path_id = step.path.replace("-", "_")
    assert operation["operationId"] == f"{step.name}_api_incidents__incident_id__{path_id}_post"
    assert operation["summary"] == step.summary
    assert "Idempotency-Key" in [p["name"] for p in operation["parameters"]]
    body = body_schema(openapi, operation)
    assert set(body["properties"]) == {"expected_version", *(f.name for f in step.fields)}
    assert set(body.get("required", [])) == {f.name for f in step.fields if f.required}
    assert operation["requestBody"].get("required", False) == any(f.required for f in step.fields)
    for field in step.fields:
        shown = body["properties"][field.name]
        limits = [shown, *shown.get("anyOf", [])]
        if field.kind in (Kind.TEXT, Kind.PROSE, Kind.INCIDENT):
            assert {s.get("maxLength") for s in limits} >= {field.max_len}, field.name
        if field.kind is Kind.SCORE_ITEMS:
            assert shown["maxItems"] == field.max_len
        if field.kind is Kind.CHOICE:
            assert field.vocabulary is not None
            ref = shown["$ref"].rsplit("/", 1)[1]
            assert openapi["components"]["schemas"][ref]["enum"] == [
                v.value for v in field.vocabulary
            ]


def test_every_command_route_takes_an_idempotency_key(openapi: dict[str, Any]) -> None:
    commands = [
        (path, item["post"])
        for path, item in openapi["paths"].items()
        if "post" in item and not path.startswith("/api/auth")
    ]
    assert len(commands) >= len(STEPS) + 11
    for path, operation in commands:
        names = [p["name"] for p in operation.get("parameters", [])]
        assert "Idempotency-Key" in names, path
        answer = operation["responses"][next(iter(operation["responses"]))]
        assert "$ref" in answer["content"]["application/json"]["schema"], path


def test_the_consoles_forms_and_labels_are_the_steps() -> None:
    assert list(actions.FORMS) == list(STEPS)
    for name, step in STEPS.items():
        form = actions.FORMS[name]
        shown = [f.name for f in form.fields]
        expected = [
            n
            for f in step.fields
            for n in (("item", "points") if f.kind is Kind.SCORE_ITEMS else (f.name,))
        ]
        assert shown == expected, name
        assert i18n.label("step", name, "zh") == step.zh
        assert i18n.label("step", name, "en") == step.en
        for field in step.fields:
            assert i18n.text(f"f.{field.name}", "zh") == field.label[0]
            assert i18n.text(f"f.{field.name}", "en") == field.label[1]
        required = {f.name for f in step.fields if f.required}
        assert {f.name for f in form.fields if f.required} >= required - {"items"}


def test_the_consoles_loop_is_the_declared_one_and_agrees_with_the_mermaid_diagram() -> None:
    for stage in STAGES:
        drawn = [
            (m["step"], m["dest"])
            for m in ARROW.finditer(LOOP.mermaid(stage))
            if m["src"] == stage and m["dest"] != stage
        ]
        assert [(a.step, a.dest) for a in diagram.next_from(stage)] == drawn, stage
    phases = diagram.phases("handling_station", ["discovered", "reported"], "en")
    assert [p.name for p in phases] == [r.label[1] for r in REGULATIONS]
    assert [p.state for p in phases][:4] == ["passed", "passed", "current", "ahead"]
    handle = phases[2]
    assert dict(handle.stages)["handling_station"] == "current"
    assert [s for s, _ in handle.stages] == [s.name for s in REGULATIONS[2].stages]
