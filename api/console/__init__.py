"""The triage console: server-rendered pages (zh-CN first, English available)
served by the API's own FastAPI app at ``/``.

Every page runs the API's route functions as the logged-in user, so the
console shows what the API answers and offers only what the API allows; a
refusal is shown in the API's own words (``message_zh`` / ``message_en``).
"""

from __future__ import annotations

import inspect
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from aggregates.errors import DomainError
from api.console.pages import (
    admin,
    audit,
    board,
    exports,
    incident,
    login,
    notices,
    stats,
    talks,
    tasks,
    told,
    training,
    volunteer,
)
from api.console.pages.common import see_other
from api.console.render import HERE, page
from api.console.session import (
    PASSWORD_PAGE,
    LoginRequired,
    PasswordChangeFirst,
    login_url,
    peek_user,
)
from api.errors import HTTP_MESSAGES, error_response, status_of, validation_body

ROUTERS = (
    login, board, incident, volunteer, tasks, training, audit, told, stats, notices, exports,
    admin, talks,
)  # fmt: skip
API_PATHS = ("/api/", "/docs", "/redoc", "/openapi.json", "/static/", "/healthz")


def install(app: FastAPI) -> None:
    """Mount the console's pages and static files, and answer a console page's
    refusal with a page (the API's paths keep their JSON error bodies)."""
    for module in ROUTERS:
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(LoginRequired)
    async def to_login(_request: Request, error: LoginRequired) -> Response:
        return see_other(login_url(error.next_path))

    @app.exception_handler(PasswordChangeFirst)
    async def to_password(_request: Request, _error: PasswordChangeFirst) -> Response:
        return see_other(PASSWORD_PAGE)

    @app.exception_handler(DomainError)
    async def refused(request: Request, error: DomainError) -> Response:
        if not is_console(request):
            return error_response(error)
        return error_page(request, error.as_dict(), status_of(error))

    api_invalid = app.exception_handlers[RequestValidationError]

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        if not is_console(request):
            answer = api_invalid(request, error)
            return await answer if inspect.isawaitable(answer) else answer
        return error_page(request, validation_body(list(error.errors())), 422)

    api_http_error = app.exception_handlers[StarletteHTTPException]

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if not is_console(request):
            answer = api_http_error(request, error)
            return await answer if inspect.isawaitable(answer) else answer
        code, zh, en = HTTP_MESSAGES.get(
            error.status_code, ("http_error", "请求无法处理", "The request cannot be handled")
        )
        body = {"code": code, "message_zh": zh, "message_en": en}
        return error_page(request, body, error.status_code)


def is_console(request: Request) -> bool:
    """A console page, not the API, its documents or a static file."""
    return not request.url.path.startswith(API_PATHS)


def error_page(request: Request, error: dict[str, Any], status: int) -> Response:
    services = request.app.state.services
    user = peek_user(request, services)
    context = {"error": error}
    return page(request, "error.html", context, services=services, user=user, status_code=status)
