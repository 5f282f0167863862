"""The published GeoReport v2 JSON schemas (``open311_schemas/``) as validators,
and the W3C date-time form the spec requires (a zone, whole seconds)."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

SCHEMAS = Path(__file__).parent / "open311_schemas"
BASE = "https://open311.invalid/georeport-v2/"
W3C = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)")
DATETIMES = ("requested_datetime", "updated_datetime", "expected_datetime")


def _load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    return loaded


@cache
def validator(name: str) -> Any:
    """The validator of ``name`` (``requests.json``...), its references resolved
    among the vendored files; ``swagger:<Definition>`` for a Swagger definition."""
    if name.startswith("swagger:"):
        schema = _load("swagger.json")["definitions"][name.partition(":")[2]]
        return jsonschema_rs.Draft4Validator(schema, validate_formats=False)
    registry = jsonschema_rs.Registry(
        [(BASE + f.name, _load(f.name)) for f in SCHEMAS.glob("*.json")]
    )
    schema = {**_load(name), "$id": BASE + name}
    return jsonschema_rs.validator_for(schema, registry=registry, validate_formats=True)


def check(name: str, value: Any) -> None:
    """``value`` is valid under the schema ``name``; every error listed otherwise."""
    errors = [str(e) for e in validator(name).iter_errors(value)]
    assert not errors, errors


def check_requests(value: Any) -> None:
    """A list of requests: valid, and every date-time in W3C form with its zone."""
    check("requests.json", value)
    for request in value:
        check("request.json", request)
        for name in DATETIMES:
            if request.get(name) is not None:
                assert W3C.fullmatch(request[name]), (name, request[name])
