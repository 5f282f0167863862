"""The monthly chart as Chromium draws it, with the console's stylesheet, on a
phone and on a desktop page: a year or two of month labels, none running into
the next (measured on the drawn text, with the browser's own font)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from api.console import charts
from api.console.pages.stats import month_tick
from tests.browser.conftest import DESKTOP, PHONE, shot
from tests.unit.test_month_chart import CSS, months


def page_with_chart(count: int) -> str:
    periods = months(count, (2026, 11))
    svg = charts.columns(
        [(p, [20 + n % 7, 9 + n % 5, 12 + n % 4]) for n, p in enumerate(periods)],
        ["上报", "奖励", "办结"],
        label="各月警情数",
        ticks=[month_tick(p, "zh") for p in periods],
    )
    return (
        f'<!doctype html><html lang="zh-CN"><head><meta name="viewport" '
        f'content="width=device-width, initial-scale=1"><style>{CSS.read_text()}</style>'
        f'</head><body><main class="page"><div class="two"><section class="panel">'
        f"<h2>各月警情数</h2>{svg}</section><section class=panel></section></div></main>"
        "</body></html>"
    )


@pytest.mark.parametrize("count", [12, 24])
@pytest.mark.parametrize("phone", [True, False], ids=["phone", "desktop"])
def test_month_labels_are_apart_as_drawn(browser: Any, count: int, phone: bool) -> None:
    context = browser.new_context(
        viewport=PHONE if phone else DESKTOP, device_scale_factor=2 if phone else 1,
        is_mobile=phone, has_touch=phone, locale="zh-CN",
    )  # fmt: skip
    try:
        page = context.new_page()
        page.set_content(page_with_chart(count))
        for row in (".chart-tick:not(.chart-caption)", ".chart-caption"):
            boxes = page.eval_on_selector_all(
                f"svg.chart {row}",
                "els => els.map(e => { const r = e.getBoundingClientRect();"
                " return [r.left, r.right, r.height, e.textContent]; })",
            )
            assert boxes, row
            for left, right in itertools.pairwise(boxes):
                assert left[1] < right[0], f"{left[3]} runs into {right[3]}"
            if row.startswith(".chart-tick"):
                assert len(boxes) >= count // 2
                assert min(b[2] for b in boxes) >= 9, "labels drawn at a readable size"
        shot(page, f"month-chart-{count}-{'phone' if phone else 'desktop'}")
    finally:
        context.close()
