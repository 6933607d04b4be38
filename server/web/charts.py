"""Charts as server-side SVG (no script, no CDN): horizontal bars, one per label, sized
by viewBox so they scale to a 360 px phone; the page puts each chart's numbers beside it
as a table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

ROW_H = 22
LABEL_W = 64
BAR_W = 150
VALUE_W = 56


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: float
    #: what is printed after the bar (a percent, "3/5")
    text: str
    warn: bool = False


def bar_chart(bars: Sequence[Bar], *, maximum: float, title: str) -> Markup:
    """A horizontal bar chart; every bar scaled against `maximum` (0 draws nothing)."""
    width = LABEL_W + BAR_W + VALUE_W
    height = max(1, len(bars)) * ROW_H
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i, bar in enumerate(bars):
        y = i * ROW_H
        share = 0.0 if maximum <= 0 else max(0.0, min(1.0, bar.value / maximum))
        length = round(BAR_W * share, 1)
        fill = "#b3261e" if bar.warn else "#0b6e4f"
        parts.append(
            f'<text x="{LABEL_W - 4}" y="{y + 15}" text-anchor="end" font-size="12">'
            f"{escape(bar.label[:5])}</text>"
            f'<rect x="{LABEL_W}" y="{y + 4}" width="{BAR_W}" height="{ROW_H - 8}" fill="#e0e3e1"/>'
            f'<rect x="{LABEL_W}" y="{y + 4}" width="{length}" height="{ROW_H - 8}" fill="{fill}"/>'
            f'<text x="{LABEL_W + BAR_W + 4}" y="{y + 15}" font-size="12">{escape(bar.text)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
