"""Charts as plain SVG, drawn on the server from the statistics projection."""

from __future__ import annotations

from markupsafe import Markup, escape

PALETTE = ("#1d4e89", "#2f7dc1", "#5aa0d8", "#c0392b", "#e67e22", "#16a085", "#7f8c8d")


def _nice(top: int) -> int:
    """A round axis maximum at or above ``top``."""
    if top <= 5:
        return 5
    step = 10 ** (len(str(top)) - 1)
    for factor in (1, 2, 2.5, 5, 10):
        nice = int(step * factor)
        if nice >= top:
            return nice
    return top


def bars(rows: list[tuple[str, int]], *, label: str, width: int = 520) -> Markup:
    """Horizontal bars, one row per item, the value printed at the bar's end."""
    if not rows:
        return Markup("")
    row_h, left, right = 30, 132, 48
    height = row_h * len(rows) + 10
    top = _nice(max(v for _, v in rows))
    scale = (width - left - right) / top
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for n, (name, value) in enumerate(rows):
        y = 5 + n * row_h
        w = max(value * scale, 1.5 if value else 0)
        parts.append(
            f'<text x="{left - 8}" y="{y + 19}" text-anchor="end" class="chart-label">'
            f"{escape(name)}</text>"
            f'<rect x="{left}" y="{y + 5}" width="{w:.1f}" height="{row_h - 10}" rx="3" '
            f'fill="{PALETTE[n % 2]}"><title>{escape(name)}: {value}</title></rect>'
            f'<text x="{left + w + 6:.1f}" y="{y + 19}" class="chart-value">{value}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def columns(
    groups: list[tuple[str, list[int]]], series: list[str], *, label: str, width: int = 520
) -> Markup:
    """Grouped columns: one group per period, one column per series, with a legend."""
    if not groups:
        return Markup("")
    height, bottom, left, top_pad = 240, 28, 34, 28
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
        parts.append(
            f'<text x="{left + g * slot + slot / 2:.1f}" y="{height - 8}" text-anchor="middle" '
            f'class="chart-axis">{escape(period)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
