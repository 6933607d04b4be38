"""Charts as server-side SVG (no script, no CDN): horizontal bars (one per label) and
stacked columns (one per day). Pure functions; the page puts each chart's numbers beside
it as a table.

Legibility at 360 px: the page gives a chart about 300 px (the page's and the card's
padding taken off), so every chart is drawn for that width (``WIDTH``) with text of
``FONT`` px: the browser scales the viewBox by ~0.95 on a 360 px phone and the text stays
at 12 px or more. Desktop pages cap the chart's width (site.css) so text does not swell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

#: the drawing's width in viewBox units: about what a 360 px phone gives a chart
WIDTH = 320
#: text size in viewBox units (>= 12 px on a 360 px phone)
FONT = 13
ROW_H = 24
LABEL_W = 76
VALUE_W = 60
BAR_W = WIDTH - LABEL_W - VALUE_W
#: characters of a bar's label that fit LABEL_W at FONT (Chinese characters are widest)
LABEL_CHARS = 5

#: column chart geometry
PLOT_TOP = 8  # half the top number's height above the plot
PLOT_H = 120
AXIS_W = 32  # room for the y axis' numbers
AXIS_H = 20  # room for the day labels under the plot
#: a day label takes this many units ("01-20" at FONT)
DAY_LABEL_W = 44

GOOD = "#0b6e4f"
BAD = "#b3261e"
TRACK = "#e0e3e1"
INK = "#1b1b1b"
MUTED = "#5f6368"


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: float
    #: what is printed after the bar (a percent, "3/5")
    text: str
    warn: bool = False


def _svg_open(width: int, height: int, title: str) -> list[str]:
    return [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg" '
        f'font-size="{FONT}">',
        f"<title>{escape(title)}</title>",
    ]


def bar_chart(bars: Sequence[Bar], *, maximum: float, title: str) -> Markup:
    """A horizontal bar chart; every bar scaled against `maximum` (0 draws nothing)."""
    height = max(1, len(bars)) * ROW_H
    parts = _svg_open(WIDTH, height, title)
    for i, bar in enumerate(bars):
        y = i * ROW_H
        share = 0.0 if maximum <= 0 else max(0.0, min(1.0, bar.value / maximum))
        length = round(BAR_W * share, 1)
        fill = BAD if bar.warn else GOOD
        parts.append(
            f'<text x="{LABEL_W - 4}" y="{y + 16}" text-anchor="end">'
            f"{escape(bar.label[:LABEL_CHARS])}</text>"
            f'<rect x="{LABEL_W}" y="{y + 4}" width="{BAR_W}" height="{ROW_H - 8}" fill="{TRACK}"/>'
            f'<rect x="{LABEL_W}" y="{y + 4}" width="{length}" height="{ROW_H - 8}" fill="{fill}"/>'
            f'<text x="{LABEL_W + BAR_W + 4}" y="{y + 16}">{escape(bar.text)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True, slots=True)
class Series:
    """One stacked part of every column: its name (the legend) and colour."""

    name: str
    colour: str


@dataclass(frozen=True, slots=True)
class Column:
    label: str
    #: one value per series, bottom first
    values: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.values)


def label_every(columns: int) -> int:
    """Label every n-th column so day labels never overlap on the plot's width."""
    room = WIDTH - AXIS_W
    fits = max(1, room // DAY_LABEL_W - 1)  # one spare: the last label is pinned right
    return max(1, -(-columns // fits))


def nice_top(value: int) -> int:
    """A round upper end of the y axis at or above `value` (1 when nothing)."""
    if value <= 0:
        return 1
    for top in (1, 2, 5, 10, 20, 25, 50, 100, 150, 200, 250, 300, 400, 500, 1000, 2000, 5000):
        if value <= top:
            return top
    step = 10 ** (len(str(value)) - 1)
    return int(-(-value // step) * step)


def column_chart(columns: Sequence[Column], series: Sequence[Series], *, title: str) -> Markup:
    """Stacked columns, one per day, every n-th day labelled under the plot (the last day
    always); the y axis shows 0 and its round top. The legend is HTML (``legend``): it
    wraps on a phone where SVG text would not."""
    top = nice_top(max((c.total for c in columns), default=0))
    height = PLOT_TOP + PLOT_H + AXIS_H
    parts = _svg_open(WIDTH, height, title)
    base = PLOT_TOP + PLOT_H
    parts.append(
        f'<text x="{AXIS_W - 4}" y="{PLOT_TOP + 4}" text-anchor="end" fill="{MUTED}">'
        f"{top}</text>"
        f'<text x="{AXIS_W - 4}" y="{base}" text-anchor="end" fill="{MUTED}">0</text>'
        f'<line x1="{AXIS_W}" y1="{base}" x2="{WIDTH}" y2="{base}" stroke="{MUTED}"/>'
        f'<line x1="{AXIS_W}" y1="{PLOT_TOP}" x2="{WIDTH}" y2="{PLOT_TOP}" stroke="{TRACK}"/>'
    )
    n = max(1, len(columns))
    step = (WIDTH - AXIS_W) / n
    gap = 1.0 if step < 8 else 2.0
    every = label_every(len(columns))
    last = len(columns) - 1
    kept: float | None = None  # the centre of the label drawn to the right
    for i in range(last, -1, -1):
        col = columns[i]
        x0 = round(AXIS_W + i * step + gap / 2, 1)
        y = float(base)
        for value, s in zip(col.values, series, strict=True):
            if value <= 0:
                continue
            h = round(PLOT_H * value / top, 1)
            y -= h
            parts.append(
                f'<rect x="{x0}" y="{round(y, 1)}" width="{round(step - gap, 1)}" '
                f'height="{h}" fill="{s.colour}"/>'
            )
        # the last day always (kept inside the drawing); the others every `every`
        # counting back from it, never closer than a label's width to the one after
        centre = min(x0 + step / 2, WIDTH - DAY_LABEL_W / 2)
        if (last - i) % every == 0 and (kept is None or kept - centre >= DAY_LABEL_W):
            kept = centre
            parts.append(
                f'<text x="{round(centre, 1)}" y="{base + AXIS_H - 2}" text-anchor="middle" '
                f'fill="{INK}">{escape(col.label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def legend(series: Sequence[Series]) -> Markup:
    """The series' names with their colours, as an HTML list (it wraps on a phone)."""
    items = "".join(
        f'<li><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" '
        f'fill="{s.colour}"/></svg> {escape(s.name)}</li>'
        for s in series
    )
    return Markup(f'<ul class="legend">{items}</ul>')
