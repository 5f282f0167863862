"""The triage console: server-rendered pages (zh-CN first, English available)
served by the API's own FastAPI app at ``/``.

Every page runs the API's route functions as the logged-in user, so the
console shows what the API answers and offers only what the API allows; a
refusal is shown in the API's own words (``message_zh`` / ``message_en``).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from aggregates.errors import DomainError
from api.console.pages import audit, board, incident, login, stats, volunteer
from api.console.pages.common import see_other
from api.console.render import HERE, page
from api.console.session import LoginRequired, login_url, peek_user
from api.errors import error_response, status_of

ROUTERS = (login, board, incident, volunteer, audit, stats)


def install(app: FastAPI) -> None:
    """Mount the console's pages and static files, and answer a console page's
    refusal with a page (the API's paths keep their JSON error bodies)."""
    for module in ROUTERS:
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(LoginRequired)
    async def to_login(_request: Request, error: LoginRequired) -> Response:
        return see_other(login_url(error.next_path))

    @app.exception_handler(DomainError)
    async def refused(request: Request, error: DomainError) -> Response:
        if request.url.path.startswith("/api/"):
            return error_response(error)
        services = request.app.state.services
        return page(
            request,
            "error.html",
            {"error": error.as_dict()},
            services=services,
            user=peek_user(request, services),
            status_code=status_of(error),
        )
