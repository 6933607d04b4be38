"""The pure tallies behind the area page's time charts: the quarantine census per day and
fever reports per local day by timeliness."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from server.config import DEFAULT_TIMEZONE
from server.fever.rules import timeliness_by_day
from server.quarantine.rules import census

D1 = date(2026, 1, 1)


def d(n: int) -> date:
    return D1 + timedelta(days=n - 1)


@pytest.mark.parametrize(
    ("measures", "expected"),
    [
        ([], {}),
        # from its start day up to, not including, its release day
        (
            [("home_quarantine", d(2), d(4))],
            {d(2): {"home_quarantine": 1}, d(3): {"home_quarantine": 1}},
        ),
        # started before the window, open-ended
        (
            [("hospital", d(-10), None)],
            {n: {"hospital": 1} for n in (d(1), d(2), d(3), d(4), d(5))},
        ),
        # released on the first day: not counted
        ([("health_monitoring", d(-3), d(1))], {}),
        # after the window
        ([("health_monitoring", d(6), None)], {}),
        (
            [
                ("home_quarantine", d(1), d(3)),
                ("home_quarantine", d(2), d(9)),
                ("hospital", d(5), None),
            ],
            {
                d(1): {"home_quarantine": 1},
                d(2): {"home_quarantine": 2},
                d(3): {"home_quarantine": 1},
                d(4): {"home_quarantine": 1},
                d(5): {"home_quarantine": 1, "hospital": 1},
            },
        ),
    ],
)
def test_census(
    measures: list[tuple[str, date, date | None]], expected: dict[date, dict[str, int]]
) -> None:
    out = census(measures, d(1), d(5))
    assert list(out) == [d(n) for n in range(1, 6)]
    assert {k: v for k, v in out.items() if v} == expected


NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


def test_timeliness_by_local_day() -> None:
    rows = [
        (at(2, 1), at(2, 2)),  # on time, 09:00 local on the 2nd
        (at(2, 1), at(2, 3)),  # exactly two hours: on time
        (at(2, 1), at(2, 3, 1)),  # late
        (at(2, 17), at(2, 18)),  # 01:00 local on the 3rd
        (at(5, 11), None),  # not received, still within two hours
        (at(4, 1), None),  # not received, overdue
        (at(9, 1), at(9, 2)),  # outside the days asked
    ]
    out = timeliness_by_day(rows, DEFAULT_TIMEZONE, NOW, date(2026, 1, 1), date(2026, 1, 5))
    assert list(out) == [date(2026, 1, n) for n in range(1, 6)]
    assert out[date(2026, 1, 2)] == {"on_time": 2, "late": 1, "pending": 0, "overdue": 0}
    assert out[date(2026, 1, 3)]["on_time"] == 1
    assert out[date(2026, 1, 4)]["overdue"] == 1
    assert out[date(2026, 1, 5)]["pending"] == 1
    assert sum(out[date(2026, 1, 1)].values()) == 0


def test_timeliness_by_day_refuses_naive_times() -> None:
    with pytest.raises(ValueError, match="seen_at"):
        timeliness_by_day([(datetime(2026, 1, 2), None)], "UTC", NOW, D1, d(3))
