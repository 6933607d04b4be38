"""The growth plot: page times against persons (both axes logarithmic), as hand-written SVG.

``growth_svg(series)`` draws one line per series, a series being a label and its points
(persons, milliseconds); a dashed line marks the 300 ms goal. ``python -m bench.plot
BEFORE.json AFTER.json`` draws the county home and the slowest snapshot page of two
`bench.city` runs into bench/results/growth.svg.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

W, H = 640, 400
LEFT, RIGHT, TOP, BOTTOM = 64, 180, 24, 48
COLOURS = ("#b91c1c", "#ea580c", "#0f766e", "#2563eb", "#7c3aed", "#4d7c0f")
GOAL_MS = 300


def _scale(lo: float, hi: float, size: int, start: int) -> Any:
    a, b = math.log10(lo), math.log10(hi)

    def at(value: float) -> float:
        return start + (math.log10(max(value, lo)) - a) / (b - a) * size

    return at


def growth_svg(series: list[tuple[str, list[tuple[float, float]]]], title: str) -> str:
    xs = [x for _, pts in series for x, _ in pts] or [1.0, 10.0]
    ys = [y for _, pts in series for _, y in pts] + [GOAL_MS]
    x_lo, x_hi = 10 ** math.floor(math.log10(min(xs))), 10 ** math.ceil(math.log10(max(xs)))
    y_lo = 10 ** math.floor(math.log10(max(1.0, min(ys))))
    y_hi = 10 ** math.ceil(math.log10(max(ys)))
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    fx = _scale(x_lo, x_hi, plot_w, LEFT)
    fy_up = _scale(y_lo, y_hi, plot_h, 0)

    def fy(v: float) -> float:
        return TOP + plot_h - fy_up(v)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" '
        f'font-family="sans-serif" font-size="11">',
        f'<rect width="{W}" height="{H}" fill="#fff"/>',
        f'<text x="{LEFT}" y="16" font-size="13">{escape(title)}</text>',
    ]
    decade = x_lo
    while decade <= x_hi:
        x = fx(decade)
        label = (
            f"{decade / 1e6:g}M"
            if decade >= 1e6
            else f"{decade / 1000:g}k"
            if decade >= 1000
            else f"{decade:g}"
        )
        out.append(
            f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{TOP + plot_h}" stroke="#e5e7eb"/>'
        )
        out.append(f'<text x="{x:.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">{label}</text>')
        decade *= 10
    decade = y_lo
    while decade <= y_hi:
        y = fy(decade)
        out.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + plot_w}" y2="{y:.1f}" stroke="#e5e7eb"/>'
        )
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{decade:g} ms</text>')
        decade *= 10
    goal = fy(GOAL_MS)
    out.append(
        f'<line x1="{LEFT}" y1="{goal:.1f}" x2="{LEFT + plot_w}" y2="{goal:.1f}" '
        f'stroke="#111" stroke-dasharray="4 3"/>'
    )
    out.append(f'<text x="{LEFT + plot_w + 6}" y="{goal + 4:.1f}">goal {GOAL_MS} ms</text>')
    out.append(
        f'<text x="{LEFT + plot_w / 2}" y="{H - 8}" text-anchor="middle">persons (log)</text>'
    )
    for i, (label, pts) in enumerate(series):
        colour = COLOURS[i % len(COLOURS)]
        coords = " ".join(f"{fx(x):.1f},{fy(y):.1f}" for x, y in sorted(pts))
        dash = ' stroke-dasharray="6 3"' if "before" in label else ""
        out.append(
            f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>'
        )
        for x, y in pts:
            out.append(f'<circle cx="{fx(x):.1f}" cy="{fy(y):.1f}" r="3" fill="{colour}"/>')
        ly = TOP + 14 + i * 16
        out.append(
            f'<line x1="{LEFT + plot_w + 6}" y1="{ly - 4}" x2="{LEFT + plot_w + 24}" '
            f'y2="{ly - 4}" stroke="{colour}" stroke-width="2"{dash}/>'
        )
        out.append(f'<text x="{LEFT + plot_w + 28}" y="{ly}">{escape(label)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def city_series(label: str, city: dict[str, Any]) -> list[tuple[str, list[tuple[float, float]]]]:
    """The home page (fastest of its requests) and the median first-sync page, per size,
    from a bench.city result."""
    home: list[tuple[float, float]] = []
    snap: list[tuple[float, float]] = []
    for size in city.get("sizes", []):
        if "home" in size:
            page = size["home"]
            home.append((float(size["persons"]), float(page.get("min_ms", page["median_ms"]))))
        if "snapshot" in size:
            snap.append((float(size["persons"]), float(size["snapshot"]["median_ms"])))
    return [(f"home, {label}", home), (f"sync page, {label}", snap)]


def main(argv: list[str]) -> int:
    # city-before-* files are "before", any other city file "after"; per label and size
    # the newest file (names end in a UTC stamp) wins
    runs: dict[str, dict[str, dict[str, Any]]] = {}
    for path in sorted(argv, key=lambda p: Path(p).name.rsplit("-", 1)[-1]):
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        label = "before" if "before" in Path(path).name else "after"
        for size in data.get("sizes", []):
            runs.setdefault(label, {})[size["size"]] = size
    series: list[tuple[str, list[tuple[float, float]]]] = []
    for label in sorted(runs, reverse=True):
        series += city_series(label, {"sizes": list(runs[label].values())})
    out = Path(__file__).resolve().parent / "results" / "growth.svg"
    out.write_text(growth_svg(series, "County supervisor: page time by persons"), "utf-8")
    print(f"written: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
