"""Pages from the Jinja2 templates, in the reader's language, with the frame's
navigation for the logged-in user's role."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from uuid import uuid4

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api.accounts import User
from api.console import i18n
from api.console.i18n import Lang
from api.console.session import CSRF_FIELD, LANG_COOKIE, csrf_token, keep_alive, token_of
from api.services import Services
from loop.rules.units import UnitTree
from loop.rules.vocabulary import Role
from projections.notifications.inbox import Reader

CHINA = timezone(timedelta(hours=8), "CST")
HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")

AUDITORS = {Role.AUDITOR}


def lang_of(request: Request) -> Lang:
    asked = request.query_params.get("lang")
    return i18n.lang_of(asked or request.cookies.get(LANG_COOKIE))


def moment(value: str | datetime | None) -> datetime | None:
    if value is None or value == "":
        return None
    at = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return at.astimezone(CHINA)


def when(value: str | datetime | None, lang: Lang, *, seconds: bool = False) -> str:
    """A time in China time: 12月1日 19:30, or 1 Dec 19:30."""
    at = moment(value)
    if at is None:
        return i18n.text("none", lang)
    clock = at.strftime("%H:%M:%S" if seconds else "%H:%M")
    if lang == "en":
        return f"{at.day} {at.strftime('%b')} {at.year} {clock}"
    return f"{at.year}年{at.month}月{at.day}日 {clock}"


def span(seconds: float, lang: Lang) -> str:
    """A duration, roughly: 25分钟, 3小时, 2天."""
    minutes = int(abs(seconds) // 60)
    if minutes < 60:
        return i18n.text("minutes", lang, n=max(minutes, 1))
    if minutes < 48 * 60:
        return i18n.text("hours", lang, n=minutes // 60)
    return i18n.text("days", lang, n=minutes // (24 * 60))


def nav_for(user: User) -> list[tuple[str, str]]:
    """The frame's links for the user's role: (path, text key)."""
    if user.role == Role.VOLUNTEER:
        return [
            ("/me", "nav.me"), ("/tasks", "nav.tasks"), ("/training", "nav.training"),
            ("/report", "nav.report"),
        ]  # fmt: skip
    if user.role == Role.ADMIN:
        return [("/admin", "nav.admin"), ("/notices", "nav.notices")]
    links = [("/board", "nav.board"), ("/incidents", "nav.cases"), ("/calendar", "nav.calendar")]
    links.append(("/training", "nav.training"))
    if user.role in {Role.COMMUNITY_OFFICER, Role.AUXILIARY}:
        links.append(("/report", "nav.report"))
    if user.role in {Role.STATION_OFFICER, Role.COUNTY_OFFICER}:
        links.append(("/talks", "nav.talks"))
    links.append(("/stats", "nav.stats"))
    links.append(("/notices", "nav.notices"))
    if user.role in AUDITORS:
        links.append(("/audit", "nav.audit"))
    return links


def unread(services: Services, user: User | None) -> int:
    """The frame's inbox badge: the user's unread messages."""
    if user is None:
        return 0
    return services.notifier.inbox.unread(Reader(user.username, user.role, user.unit))


def with_query(request: Request, **changes: str | None) -> str:
    """This page's path with some query parameters changed (None drops one)."""
    params = {k: v for k, v in request.query_params.items() if k not in changes}
    params.update({k: v for k, v in changes.items() if v is not None})
    query = urlencode(params)
    return request.url.path + (f"?{query}" if query else "")


def county_name(tree: UnitTree, user: User | None, lang: Lang) -> str:
    """The county bureau the page speaks for, by the registry: the user's own, or
    the only one registered (none when it cannot tell)."""
    county = tree.ancestor(user.unit, "county") if user else None
    if county is None or not tree.registered(county):
        served = [u.code for u in tree if u.kind == "county" and u.active]
        county = served[0] if len(served) == 1 else None
    return tree.name(county, lang=lang) if county else ""


def page(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    services: Services,
    user: User | None,
    status_code: int = 200,
) -> HTMLResponse:
    lang = lang_of(request)
    token = token_of(request)
    tree = services.loop.registry.tree()
    frame: dict[str, Any] = {
        "lang": lang,
        "t": lambda key, **values: i18n.text(key, lang, **values),
        "L": lambda kind, value: i18n.label(kind, value, lang, tree),
        "when": lambda value, **kw: when(value, lang, **kw),
        "span": lambda seconds: span(seconds, lang),
        "user": user,
        "county": county_name(tree, user, lang),
        "demo_mode": services.settings.demo,
        "nav": nav_for(user) if user else [],
        "path": request.url.path,
        "csrf_field": CSRF_FIELD,
        "csrf": csrf_token(services, token) if token and user else "",
        "lang_link": with_query(request, lang="zh" if lang == "en" else "en"),
        "with_query": lambda **changes: with_query(request, **changes),
        "new_key": lambda: str(uuid4()),
        "unread": unread(services, user),
    }
    response = templates.TemplateResponse(
        request, name, {**frame, **context}, status_code=status_code
    )
    keep_alive(request, response)
    asked = request.query_params.get("lang")
    if asked in i18n.LANGS:
        response.set_cookie(LANG_COOKIE, asked, max_age=365 * 86400, samesite="lax", path="/")
    return response
