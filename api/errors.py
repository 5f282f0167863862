"""Refusals as HTTP answers: a status, a machine-readable code, zh-CN and English.

Every error body has the same shape (``ErrorBody``): ``code``, ``message_zh``,
``message_en`` and ``details``. A refused command stored nothing.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from aggregates.errors import DomainError

STATUS_BY_CODE = {
    "invalid_input": 422,
    "invalid_query": 422,
    "account_refused": 422,
    "weak_password": 422,
    "key_refused": 422,
    "idempotency_key_reused": 422,
    "personal_data_in_text": 422,
    "unknown_reporter": 422,
    "unknown_occupation": 422,
    "unknown_team": 422,
    "challenge_refused": 422,
    "unknown_community": 422,
    "malformed_json": 400,
    "unknown_unit": 404,
    "unit_not_found": 404,
    "organisation_refused": 422,
    "import_refused": 422,
    "unknown_projection": 404,
    "incident_not_found": 404,
    "volunteer_not_found": 404,
    "reward_item_not_found": 404,
    "task_not_found": 404,
    "training_session_not_found": 404,
    "account_not_found": 404,
    "no_points_account": 409,
    "subject_not_found": 404,
    "history_not_available": 404,
    "notice_not_found": 404,
    "message_not_found": 404,
    "not_permitted": 403,
    "api_key_refused": 403,
    "client_not_found": 404,
    "talk_order_not_found": 404,
    "talk_speaker_unknown": 422,
    "csrf_refused": 403,
    "password_change_required": 403,
    "unauthenticated": 401,
    "login_throttled": 429,
    "login_busy": 503,
    "projection_not_ready": 503,
}
"""Codes not listed are refusals of the loop's or the ledger's rules: 409."""


class ErrorBody(BaseModel):
    code: str
    message_zh: str
    message_en: str
    details: dict[str, Any] = {}


RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in (
        (400, "请求无法解析 / the request could not be parsed"),
        (401, "未登录或登录已失效 / not logged in, or the login is no longer valid"),
        (403, "无权执行或查看 / not permitted"),
        (404, "没有这条记录 / no such record"),
        (409, "闭环规则或并发冲突拒绝 / refused by the loop's rules, or a concurrent change"),
        (413, "请求体过大 / the request body is too large"),
        (422, "请求内容不符合要求 / the request is not valid"),
        (503, "读模型尚未就绪 / a read model is not ready yet"),
    )
}
"""The refusals every operation may answer, all in the shape of :class:`ErrorBody`
(the OpenAPI document shows them instead of FastAPI's default 422)."""

JSON_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "description": response["description"],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }
    for status, response in RESPONSES.items()
}
"""The same, for an operation whose own answer is not JSON (refusals still are)."""


class Unauthenticated(DomainError):
    code = "unauthenticated"


class Forbidden(DomainError):
    code = "not_permitted"


class PasswordChangeRequired(DomainError):
    code = "password_change_required"


def status_of(error: DomainError) -> int:
    return STATUS_BY_CODE.get(error.code, 409)


def error_response(error: DomainError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if error.code == "unauthenticated" else {}
    if "retry_after" in error.details:
        headers["Retry-After"] = str(error.details["retry_after"])
    return JSONResponse(error.as_dict(), status_code=status_of(error), headers=headers)


def _problem(field: str, error: dict[str, Any]) -> dict[str, Any]:
    problem = {"field": field, "problem": error.get("msg", ""), "type": error.get("type", "")}
    allowed = (error.get("ctx") or {}).get("allowed")
    if isinstance(allowed, list):
        problem["allowed"] = allowed  # an unknown filter value: the values it may take
    return problem


def validation_body(errors: list[Any]) -> dict[str, Any]:
    """The error body of a request that failed validation (also the console's)."""
    fields = [".".join(str(p) for p in e.get("loc", ()) if p != "body") for e in errors]
    return {
        "code": "invalid_input",
        "message_zh": "请求内容不符合要求：" + "、".join(f for f in fields if f),
        "message_en": "The request is not valid: " + ", ".join(f for f in fields if f),
        "details": {"errors": [_problem(f, e) for f, e in zip(fields, errors, strict=True)]},
    }


def malformed_json(errors: list[Any]) -> dict[str, Any] | None:
    """The error body of a request whose body is not JSON at all (400), or None."""
    broken = [e for e in errors if e.get("type") == "json_invalid"]
    if not broken:
        return None
    where = (broken[0].get("ctx") or {}).get("error", "")
    return {
        "code": "malformed_json",
        "message_zh": "请求体不是有效的 JSON",
        "message_en": f"The request body is not valid JSON: {where}".rstrip(": "),
        "details": {},
    }


LOGIN_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in (
        (429, "登录失败次数过多，见 Retry-After / too many failed log-ins, see Retry-After"),
        (503, "登录请求过多，见 Retry-After / too many log-ins at once, see Retry-After"),
    )
}
"""What a log-in may answer besides the common refusals."""

HTTP_MESSAGES = {
    404: ("not_found", "没有这个地址", "No such path"),
    405: ("method_not_allowed", "不支持该请求方法", "Method not allowed"),
    413: ("body_too_large", "请求体过大", "The request body is too large"),
}


def install(app: FastAPI) -> None:
    """Register the handlers that turn refusals into error bodies."""

    @app.exception_handler(DomainError)
    async def domain_error(_request: Request, error: DomainError) -> JSONResponse:
        return error_response(error)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
        errors = list(error.errors())
        unparsed = malformed_json(errors)
        if unparsed is not None:
            return JSONResponse(unparsed, status_code=400)
        return JSONResponse(validation_body(errors), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        code, zh, en = HTTP_MESSAGES.get(
            error.status_code, ("http_error", "请求无法处理", str(error.detail))
        )
        return JSONResponse(
            {"code": code, "message_zh": zh, "message_en": en, "details": {}},
            status_code=error.status_code,
            headers=getattr(error, "headers", None),
        )
