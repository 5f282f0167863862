"""Charts as plain SVG, drawn on the server from the statistics projection."""

from __future__ import annotations

from markupsafe import Markup, escape

PALETTE = ("#1d4e89", "#2f7dc1", "#5aa0d8", "#c0392b", "#e67e22", "#16a085", "#7f8c8d")
# The largest font size (in the chart's own units) console.css gives a period's label
# (.chart-tick, bigger on a phone where the chart is drawn smaller): labels are
# spaced for it, so that none runs into the next at any page width.
TICK_FONT = 15.0


def _nice(top: int, ticks: int = 4) -> int:
    """A round axis maximum at or above ``top`` that ``ticks`` whole steps divide."""
    wanted = max(top, 1) / ticks
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            if factor * magnitude >= wanted:
                return factor * magnitude * ticks
        magnitude *= 10


def _label_width(rows: list[tuple[str, int]]) -> int:
    """Room for the longest label (CJK characters are about 12.5 px at 12 px)."""
    longest = max(sum(1.0 if ord(c) > 0x2E80 else 0.6 for c in name) for name, _ in rows)
    return int(min(240, max(64, longest * 12.5 + 14)))


def text_width(text: str, font: float = TICK_FONT) -> float:
    """A generous width for ``text`` at ``font`` px: a CJK character is one em, any
    other character six tenths of one."""
    return font * sum(1.0 if ord(c) > 0x2E80 else 0.6 for c in text)


def _every(labels: list[str], slot: float) -> int:
    """Show every n-th label: the smallest n that leaves a gap between neighbours."""
    widest = max((text_width(t) for t in labels), default=0.0) + TICK_FONT * 0.4
    n = 1
    while n * slot < widest:
        n += 1
    return n


def _captions(shown: list[tuple[float, str]]) -> list[tuple[float, str]]:
    """Captions (a year under the first label of a year) that do not run into the
    next: when two would meet, the later one (the new year) is kept."""
    kept: list[tuple[float, str]] = []
    for x, text in shown:
        while kept and x - kept[-1][0] < (
            (text_width(text) + text_width(kept[-1][1])) / 2 + TICK_FONT * 0.4
        ):
            kept.pop()
        kept.append((x, text))
    return kept


def bars(
    rows: list[tuple[str, int]],
    *,
    label: str,
    width: int = 520,
    colours: list[str] | None = None,
) -> Markup:
    """Horizontal bars, one row per item, the value printed at the bar's end."""
    if not rows:
        return Markup("")
    row_h, left, right = 30, _label_width(rows), 48
    height = row_h * len(rows) + 10
    top = max(max(v for _, v in rows), 1)
    scale = (width - left - right) / top
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for n, (name, value) in enumerate(rows):
        y = 5 + n * row_h
        w = max(value * scale, 1.5 if value else 0)
        colour = colours[n] if colours else PALETTE[1]
        parts.append(
            f'<text x="{left - 8}" y="{y + 19}" text-anchor="end" class="chart-label">'
            f"{escape(name)}</text>"
            f'<rect x="{left}" y="{y + 5}" width="{w:.1f}" height="{row_h - 10}" rx="3" '
            f'fill="{colour}"><title>{escape(name)}: {value}</title></rect>'
            f'<text x="{left + w + 6:.1f}" y="{y + 19}" class="chart-value">{value}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def columns(
    groups: list[tuple[str, list[int]]],
    series: list[str],
    *,
    label: str,
    width: int = 520,
    ticks: list[tuple[str, str]] | None = None,
) -> Markup:
    """Grouped columns: one group per period, one column per series, with a legend.

    ``ticks`` gives each group a short label and a caption ("3月", "2026"); the
    caption is shown under the first label and wherever it changes. By default the
    label is the period itself. Labels thin out to every n-th group when they would
    otherwise run into each other."""
    if not groups:
        return Markup("")
    ticks = ticks or [(period, "") for period, _ in groups]
    height, bottom, left, top_pad = 260, 44, 34, 28
    top = _nice(max((v for _, values in groups for v in values), default=1))
    plot_h = height - bottom - top_pad
    slot = (width - left - 8) / len(groups)
    bar_w = min(28.0, slot * 0.8 / max(len(series), 1))
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for tick in range(5):
        value = top * tick / 4
        y = top_pad + plot_h - plot_h * tick / 4
        parts.append(
            f'<line x1="{left}" x2="{width - 4}" y1="{y:.1f}" y2="{y:.1f}" class="chart-grid"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="chart-axis">'
            f"{value:g}</text>"
        )
    for n, name in enumerate(series):
        key_x = left + n * 96
        colour = PALETTE[n % len(PALETTE)]
        parts.append(
            f'<rect x="{key_x}" y="4" width="12" height="12" rx="2" fill="{colour}"/>'
            f'<text x="{key_x + 17}" y="14" class="chart-label">{escape(name)}</text>'
        )
    for g, (period, values) in enumerate(groups):
        x0 = left + g * slot + (slot - bar_w * len(values)) / 2
        for n, value in enumerate(values):
            h = plot_h * value / top
            x = x0 + n * bar_w
            parts.append(
                f'<rect x="{x:.1f}" y="{top_pad + plot_h - h:.1f}" width="{bar_w - 3:.1f}" '
                f'height="{h:.1f}" fill="{PALETTE[n % len(PALETTE)]}">'
                f"<title>{escape(period)} {escape(series[n])}: {value}</title></rect>"
            )
    every = _every([text for text, _ in ticks], slot)
    start = (len(groups) - 1) % every  # the latest period always keeps its label
    shown = [(left + g * slot + slot / 2, ticks[g]) for g in range(start, len(groups), every)]
    for x, (text, _) in shown:
        parts.append(
            f'<text x="{x:.1f}" y="{height - bottom + 18}" text-anchor="middle" '
            f'class="chart-tick">{escape(text)}</text>'
        )
    changes = [
        (x, caption)
        for n, (x, (_, caption)) in enumerate(shown)
        if caption and (n == 0 or caption != shown[n - 1][1][1])
    ]
    for x, caption in _captions(changes):
        parts.append(
            f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle" '
            f'class="chart-tick chart-caption">{escape(caption)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
