"""The statistics page's monthly chart: with a year or two of months on it, the
month labels (and the years under them) never run into each other at the largest
font size the console's stylesheet gives them."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from api.console import charts
from api.console.pages.stats import month_tick

CSS = Path(__file__).resolve().parents[2] / "api" / "console" / "static" / "console.css"
SVG = "{http://www.w3.org/2000/svg}"


def largest_tick_font() -> float:
    """The largest font-size any rule for .chart-tick sets (phone or desktop)."""
    sizes = re.findall(r"\.chart-tick\s*\{[^}]*font-size:\s*([\d.]+)px", CSS.read_text())
    assert sizes, "console.css sizes the month labels"
    return max(float(size) for size in sizes)


def width(text: str, font: float) -> float:
    """At least the drawn width: a CJK character is one em, anything else 0.6 em."""
    return font * sum(1.0 if ord(c) > 0x2E80 else 0.6 for c in text)


def months(count: int, last: tuple[int, int]) -> list[str]:
    year, month = last
    periods = []
    for _ in range(count):
        periods.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return periods[::-1]


def labels(svg: str) -> tuple[list[tuple[float, str]], list[tuple[float, str]]]:
    """The month labels and the captions under them, as (x, text), left to right."""
    root = ET.fromstring(svg)
    ticks, captions = [], []
    for text in root.iter(f"{SVG}text"):
        classes = (text.get("class") or "").split()
        if "chart-tick" in classes:
            row = captions if "chart-caption" in classes else ticks
            row.append((float(text.get("x", "0")), text.text or ""))
    return sorted(ticks), sorted(captions)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(
    ("count", "last"), [(12, (2026, 11)), (12, (2026, 12)), (13, (2026, 3)), (24, (2026, 11))]
)
def test_month_labels_do_not_overlap(count: int, last: tuple[int, int], lang: str) -> None:
    periods = months(count, last)
    groups = [(period, [n, n // 2, n // 3]) for n, period in enumerate(periods)]
    svg = charts.columns(
        groups,
        ["上报", "奖励", "办结"],
        label="各月警情数",
        ticks=[month_tick(p, lang) for p in periods],  # type: ignore[arg-type]
    )
    font = largest_tick_font()
    ticks, captions = labels(str(svg))
    for row in (ticks, captions):
        for (x1, left), (x2, right) in itertools.pairwise(row):
            assert x2 - x1 >= (width(left, font) + width(right, font)) / 2, (left, right)
    assert len(ticks) >= count // 2, "at most every other month loses its label"
    assert ticks[-1][1] == month_tick(periods[-1], lang)[0], "the latest month is labelled"
    if lang == "zh":
        assert all(re.fullmatch(r"\d{1,2}月", text) for _, text in ticks)
    assert captions[-1][1] == periods[-1][:4], "the latest year is shown"
    assert [c for _, c in captions] == sorted({c for _, c in captions})


def test_every_month_keeps_its_full_period_in_the_tooltip() -> None:
    periods = months(24, (2026, 11))
    svg = str(charts.columns([(p, [1]) for p in periods], ["上报"], label="各月警情数"))
    for period in periods:
        assert f"<title>{period} 上报: 1</title>" in svg


def test_a_month_label_is_short_and_carries_its_year() -> None:
    assert month_tick("2026-03", "zh") == ("3月", "2026")
    assert month_tick("2025-12", "en") == ("Dec", "2025")
    assert month_tick("odd", "zh") == ("odd", "")
