"""Server-side SVG charts: pure functions, checked on their output."""

from __future__ import annotations

import itertools
import re

import pytest

from server.web.charts import (
    BAR_W,
    DAY_LABEL_W,
    FONT,
    WIDTH,
    Bar,
    Column,
    Series,
    bar_chart,
    column_chart,
    label_every,
    legend,
    nice_top,
)


@pytest.mark.parametrize(
    ("value", "maximum", "width"),
    [(0, 10, 0.0), (5, 10, BAR_W / 2), (10, 10, float(BAR_W)), (20, 10, float(BAR_W)), (3, 0, 0.0)],
)
def test_bar_length_is_scaled_and_clamped(value: float, maximum: float, width: float) -> None:
    svg = str(bar_chart([Bar("一组", value, str(value))], maximum=maximum, title="t"))
    widths = [float(w) for w in re.findall(r'width="([\d.]+)"', svg)]
    assert widths[-1] == width


def test_labels_are_escaped_and_the_chart_scales() -> None:
    svg = str(bar_chart([Bar("<b>", 1, "1/2", warn=True)], maximum=2, title="日报"))
    assert "<b>" not in svg.replace("<b>", "", 0) or "&lt;b&gt;" in svg
    assert "&lt;b&gt;" in svg
    assert 'viewBox="0 0 ' in svg
    assert "#b3261e" in svg
    assert "<title>日报</title>" in svg


def test_columns_stack_their_series_and_label_the_last_day() -> None:
    series = [Series("a", "#111111"), Series("b", "#222222")]
    columns = [Column(f"01-{d:02d}", (d % 3, 1)) for d in range(1, 31)]
    svg = str(column_chart(columns, series, title="t"))
    assert svg.count('fill="#222222"') == 30  # every day's "b" part
    assert svg.count('fill="#111111"') == sum(1 for d in range(1, 31) if d % 3)
    found = re.findall(
        r'<text x="([\d.]+)" y="\d+" text-anchor="middle" fill="#1b1b1b">([\d-]+)<', svg
    )
    labels = sorted((float(x), text) for x, text in found)
    assert labels[-1][1] == "01-30"
    assert 2 <= len(labels) <= 6  # never crowded on a phone
    xs = [x for x, _text in labels]
    assert all(b - a >= DAY_LABEL_W for a, b in itertools.pairwise(xs))
    assert max(xs) + DAY_LABEL_W / 2 <= WIDTH


def test_every_chart_is_drawn_for_a_phone_with_readable_text() -> None:
    """On a 360 px phone a chart gets ~300 px: 13-unit text in a 320-unit drawing shows at
    12 px or more (site.css gives the figure the card's whole width)."""
    bars = str(bar_chart([Bar("一组", 1, "1")], maximum=1, title="t"))
    cols = str(column_chart([Column("01-01", (1,))], [Series("a", "#000")], title="t"))
    for svg in (bars, cols):
        assert f'viewBox="0 0 {WIDTH} ' in svg
        assert f'font-size="{FONT}"' in svg
        assert "font-size" not in svg.replace(f'font-size="{FONT}"', "", 1)
    assert 300 / WIDTH * FONT >= 12


@pytest.mark.parametrize(("columns", "every"), [(1, 1), (5, 1), (7, 2), (14, 3), (30, 6)])
def test_label_every(columns: int, every: int) -> None:
    assert label_every(columns) == every


@pytest.mark.parametrize(
    ("value", "top"), [(0, 1), (1, 1), (3, 5), (11, 20), (240, 250), (7300, 8000)]
)
def test_nice_top(value: int, top: int) -> None:
    assert nice_top(value) == top


def test_legend_is_escaped_html() -> None:
    html = str(legend([Series("<x>", "#123456")]))
    assert "&lt;x&gt;" in html
    assert 'fill="#123456"' in html
