"""Statistics with charts, from the projection endpoints only (GET
/api/statistics and /api/leaderboard): never from the event log."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.console import charts, i18n
from api.console.pages.common import names, units_within
from api.console.render import lang_of, page
from api.console.session import ConsoleUser
from api.deps import ServicesDep
from api.query import MonthFilter, UnitFilter
from api.routes import tasks, views
from loop.rules.vocabulary import Module

router = APIRouter(include_in_schema=False)

HEADLINE = ("reported", "escalated", "diverted", "rewarded", "publicized", "points")
MONTH_SERIES = ("reported", "rewarded", "closed")


OUTCOME_COLOUR, REJECTED_COLOUR, CLOSED_COLOUR = "#1e7e4f", "#98a2b3", "#0b3a6e"


def _outcomes(totals: dict[str, int], lang: i18n.Lang) -> tuple[list[tuple[str, int]], list[str]]:
    """The outcome counts by source, the rejections by kind, and the closed count,
    with a colour for each kind of row."""
    rows: list[tuple[str, int]] = []
    colours: list[str] = []
    for metric, value in totals.items():
        kind, _, what = metric.partition(":")
        if kind == "outcome":
            rows.append((i18n.label("outcome", what, lang), value))
            colours.append(OUTCOME_COLOUR)
        elif kind == "rejected":
            name = i18n.label("rejection", what, lang)
            rows.append((f"{i18n.text('metric.rejected', lang)}·{name}", value))
            colours.append(REJECTED_COLOUR)
    if "closed" in totals:
        rows.append((i18n.text("metric.closed", lang), totals["closed"]))
        colours.append(CLOSED_COLOUR)
    return rows, colours


MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def month_tick(period: str, lang: i18n.Lang) -> tuple[str, str]:
    """A month's short label and its year: ("3月", "2026") for "2026-03"."""
    year, _, month = period.partition("-")
    if not month.isdigit() or not 1 <= int(month) <= 12:
        return period, ""
    return (f"{int(month)}月" if lang == "zh" else MONTHS_EN[int(month) - 1]), year


def _charts(figures: dict[str, Any], lang: i18n.Lang) -> dict[str, Any]:
    by_module = figures["by_module"]
    modules = [
        (i18n.label("module", m.value, lang), by_module.get(m.value, {}).get("reported", 0))
        for m in Module
    ]
    months = [
        (period, [counts.get(metric, 0) for metric in MONTH_SERIES])
        for period, counts in figures["by_month"].items()
    ][-12:]
    series = [i18n.text(f"metric.{m}", lang) for m in MONTH_SERIES]
    ticks = [month_tick(period, lang) for period, _ in months]
    outcomes, outcome_colours = _outcomes(figures["totals"], lang)
    return {
        "by_module": charts.bars(modules, label=i18n.text("stats.by_module", lang)),
        "by_month": charts.columns(
            months, series, label=i18n.text("stats.by_month", lang), ticks=ticks
        ),
        "outcomes": charts.bars(
            outcomes, label=i18n.text("stats.outcomes", lang), colours=outcome_colours
        ),
    }


@router.get("/stats", response_class=HTMLResponse)
async def statistics(
    request: Request,
    user: ConsoleUser,
    s: ServicesDep,
    unit: UnitFilter = None,
    period: MonthFilter = None,
) -> Response:
    chosen = unit or user.unit
    month = period or None
    figures = await views.statistics(user, s, unit=chosen, period=month)
    every = figures if month is None else await views.statistics(user, s, unit=chosen)
    board = (await views.leaderboard(user, s, unit=chosen, period=month, limit=10)).items
    context = {
        "figures": figures,
        "headline": [(m, figures["totals"].get(m, 0)) for m in HEADLINE],
        "board": board,
        "people": names(s, [r["volunteer_id"] for r in board]),
        "units": units_within(s, user.unit),
        "months": list(every["by_month"]),
        "filters": {"unit": chosen, "period": month},
        "tasks": await tasks.task_statistics(user, s, unit=chosen, period=month),
        **_charts(figures, lang_of(request)),
    }
    return page(request, "stats.html", context, services=s, user=user)
