"""Tables for server/visits/rules.py: a household's coverage state and the coverage ratio."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.visits.rules import coverage_ratio, coverage_state, format_percent, in_campaign

START = datetime(2021, 11, 1, 0, 0, tzinfo=UTC)
END = datetime(2021, 11, 8, 0, 0, tzinfo=UTC)
DURING = START + timedelta(days=2)
BEFORE = START - timedelta(seconds=1)


@pytest.mark.parametrize(
    ("visited_at", "end", "expected"),
    [
        (START, END, True),  # the window opens at the start
        (BEFORE, END, False),
        (END - timedelta(microseconds=1), END, True),
        (END, END, False),  # and closes just before the end
        (END + timedelta(days=30), None, True),  # no end: open campaign
        (BEFORE, None, False),
    ],
)
def test_in_campaign(visited_at: datetime, end: datetime | None, expected: bool) -> None:
    assert in_campaign(visited_at, START, end) is expected


@pytest.mark.parametrize(
    ("visits", "end", "expected"),
    [
        ([], END, "not_visited"),
        ([(DURING, "visited")], END, "visited"),
        ([(DURING, "nobody_home")], END, "attempted"),
        ([(DURING, "refused")], END, "attempted"),
        ([(DURING, "nobody_home"), (DURING + timedelta(hours=5), "visited")], END, "visited"),
        ([(DURING, "visited"), (DURING + timedelta(hours=5), "refused")], END, "visited"),
        ([(BEFORE, "visited")], END, "not_visited"),  # last campaign's visit
        ([(BEFORE, "visited"), (DURING, "nobody_home")], END, "attempted"),
        ([(END, "visited")], END, "not_visited"),
        ([(END, "visited")], None, "visited"),
        ([(START, "visited")], END, "visited"),
    ],
)
def test_coverage_state(
    visits: list[tuple[datetime, str]], end: datetime | None, expected: str
) -> None:
    assert coverage_state(visits, START, end) == expected


def test_coverage_state_rejects_unknown_outcome() -> None:
    with pytest.raises(ValueError, match="unknown visit outcome"):
        coverage_state([(DURING, "moved_away")], START, END)


def test_coverage_state_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        coverage_state([(datetime(2021, 11, 2), "visited")], START, END)


@pytest.mark.parametrize(
    ("visited", "total", "expected"),
    [(0, 0, 1.0), (0, 10, 0.0), (5, 10, 0.5), (10, 10, 1.0), (1, 3, 1 / 3)],
)
def test_coverage_ratio(visited: int, total: int, expected: float) -> None:
    assert coverage_ratio(visited, total) == pytest.approx(expected)


@pytest.mark.parametrize(("visited", "total"), [(11, 10), (-1, 10), (0, -1), (1, 0)])
def test_coverage_ratio_rejects_bad_counts(visited: int, total: int) -> None:
    with pytest.raises(ValueError, match="bad coverage counts"):
        coverage_ratio(visited, total)


@pytest.mark.parametrize(
    ("ratio", "digits", "expected"),
    [
        (1.0, 1, "100.0%"),
        (0.0, 1, "0.0%"),
        (0.5, 1, "50.0%"),
        (0.9995, 1, "99.9%"),  # one household missing never shows as 100%
        (0.29, 1, "29.0%"),  # float noise 28.999... must not drop to 28.9
        (2 / 3, 1, "66.6%"),
        (2 / 3, 0, "66%"),
        (0.125, 2, "12.50%"),
    ],
)
def test_format_percent(ratio: float, digits: int, expected: str) -> None:
    assert format_percent(ratio, digits) == expected


@settings(database=None)
@given(st.integers(min_value=0, max_value=5000), st.integers(min_value=0, max_value=5000))
def test_percent_shows_100_only_when_complete(a: int, b: int) -> None:
    visited, total = min(a, b), max(a, b)
    shown = format_percent(coverage_ratio(visited, total))
    assert (shown == "100.0%") == (visited == total)
