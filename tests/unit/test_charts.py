"""Server-side SVG charts: pure functions, checked on their output."""

from __future__ import annotations

import re

import pytest

from server.web.charts import BAR_W, Bar, bar_chart


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
