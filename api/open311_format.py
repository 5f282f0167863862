"""GeoReport v2's two formats: JSON, and the XML the spec requires (schemaless,
no namespace, UTF-8 with its declaration), the XML built from the same values
by the spec's Spark convention (a list's elements are named by their parent).

Refusals are answered in GeoReport's own error format: a list of errors, each
with a ``code`` (the HTTP status) and a ``description`` (zh-CN, then English),
and beside them the project's ``reason`` (machine-readable), ``message_zh`` and
``message_en``.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from xml.etree import ElementTree as ET

from fastapi.responses import JSONResponse, Response

from aggregates.errors import DomainError

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
CHINA = timezone(timedelta(hours=8))
ITEM_TAGS = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
}
"""The element each list's items are written as, by the list's name."""

STATUS_BY_CODE = {
    "api_key_refused": 403,
    "not_permitted": 403,
    "rate_limited": 429,
    "report_id_reused": 409,
}
NOT_FOUND = frozenset({"unknown_service", "unknown_jurisdiction", "incident_not_found"})


class Open311Refused(DomainError):
    """A request GeoReport answers 400 (or 404 for what does not exist)."""

    code = "invalid_input"


class UnknownService(Open311Refused):
    code = "unknown_service"


class UnknownJurisdiction(Open311Refused):
    code = "unknown_jurisdiction"


class RateLimited(DomainError):
    code = "rate_limited"


def w3c(moment: datetime | None) -> str | None:
    """A W3C date-time with its zone and whole seconds (Asia/Shanghai)."""
    if moment is None:
        return None
    return moment.astimezone(CHINA).replace(microsecond=0).isoformat()


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), item)
    elif isinstance(value, list):
        tag = ITEM_TAGS.get(element.tag, "item")
        for item in value:
            _fill(ET.SubElement(element, tag), item)
    else:
        element.text = _text(value)


def to_xml(root: str, value: Any) -> bytes:
    """``value`` as GeoReport XML under the element ``root``."""
    element = ET.Element(root)
    _fill(element, value)
    body: bytes = ET.tostring(element, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body


def answer(fmt: str, root: str, value: Any, status: int = 200) -> Response:
    """``value`` in ``fmt``: JSON as it is, XML under ``root``."""
    if fmt == "xml":
        return Response(to_xml(root, value), status_code=status, media_type=FORMATS["xml"])
    return JSONResponse(value, status_code=status, media_type=FORMATS["json"])


def status_of(error: DomainError) -> int:
    if error.code in NOT_FOUND:
        return 404
    return STATUS_BY_CODE.get(error.code, 400)


def refusal(fmt: str, error: DomainError) -> Response:
    """``error`` in GeoReport's error format, in ``fmt`` (JSON for an unknown one)."""
    status = status_of(error)
    item = {
        "code": status,
        "description": f"{error.message_zh} / {error.message_en}",
        "reason": error.code,
        "message_zh": error.message_zh,
        "message_en": error.message_en,
    }
    if "field" in error.details:
        item["field"] = str(error.details["field"])
    response = answer(fmt if fmt in FORMATS else "json", "errors", [item], status)
    if "retry_after" in error.details:
        response.headers["Retry-After"] = str(error.details["retry_after"])
    return response


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Refused(
            f"不支持的格式：{fmt}（可用 xml、json）",
            f"unsupported format: {fmt} (use xml or json)",
            field="format",
        )
    return fmt
