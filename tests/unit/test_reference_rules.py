"""The pure rules of the reference lists: a new policy version, a risk area entry, a
campaign's window."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from server.people.rules import days_overlap, risk_area_problem
from server.quarantine.rules import (
    PolicyRule,
    new_version_problem,
    next_version,
    parse_test_days,
    policy_state,
)
from server.visits.rules import campaign_problem, windows_overlap

D = date(2026, 12, 1)
V1 = PolicyRule("home_quarantine", 1, 14, (0, 13), 2, date(2021, 1, 1))
V2 = PolicyRule("home_quarantine", 2, 7, (0, 6), 1, date(2026, 12, 10))
OTHER = PolicyRule("central_quarantine", 3, 14, (0, 13), 2, date(2021, 1, 1))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0, 13", (0, 13)), ("0，6", (0, 6)), ("0、3 6", (0, 3, 6)), ("", ()), ("a", None),
     ("-1", None), ("1.5", None), ("1234", None)],
)  # fmt: skip
def test_parse_test_days(text: str, expected: tuple[int, ...] | None) -> None:
    assert parse_test_days(text) == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("home_quarantine", 7, (0, 6), 1, date(2026, 12, 11)), None),
        (("hospital", 7, (0,), 1, D), ("kind", "kind")),
        (("home_quarantine", 0, (), 1, D), ("duration_days", "duration")),
        (("home_quarantine", 61, (), 1, D), ("duration_days", "duration")),
        (("home_quarantine", 7, (0, 7), 1, D), ("test_days", "test_days")),
        (("home_quarantine", 7, (3, 1), 1, D), ("test_days", "test_days")),
        (("home_quarantine", 7, (1, 1), 1, D), ("test_days", "test_days")),
        (("home_quarantine", 7, (), 3, D), ("checks_per_day", "checks")),
        (("home_quarantine", 7, (), 1, date(2026, 11, 30)), ("effective_from", "past")),
        (("home_quarantine", 7, (), 1, date(2026, 12, 9)), ("effective_from", "before_latest")),
        (("home_quarantine", 7, (), 1, date(2026, 12, 10)), None),  # same day: supersedes
        (("central_quarantine", 7, (), 1, D), None),  # another kind's versions do not count
    ],
)
def test_new_version_problem(args: tuple[object, ...], expected: object) -> None:
    kind, days, tests, checks, start = args
    got = new_version_problem(kind, days, tests, checks, start, [V1, V2, OTHER], D)  # type: ignore[arg-type]
    assert got == expected


def test_versions_are_numbered_per_kind() -> None:
    assert next_version("home_quarantine", [V1, V2, OTHER]) == 3
    assert next_version("health_monitoring", [V1, V2, OTHER]) == 1


@pytest.mark.parametrize(
    ("policy", "today", "state"),
    [(V1, D, "current"), (V2, D, "upcoming"), (V1, date(2026, 12, 10), "superseded"),
     (V2, date(2026, 12, 10), "current")],
)  # fmt: skip
def test_policy_state(policy: PolicyRule, today: date, state: str) -> None:
    assert policy_state(policy, [V1, V2], today) == state


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        ((D, None), (date(2026, 12, 5), None), True),
        ((D, date(2026, 12, 5)), (date(2026, 12, 5), None), False),  # to is the first day off
        ((D, date(2026, 12, 6)), (date(2026, 12, 5), None), True),
        ((D, D), (date(2026, 11, 1), None), False),  # a withdrawn entry covers no day
        ((date(2026, 12, 5), None), (D, date(2026, 12, 3)), False),
    ],
)
def test_days_overlap(
    a: tuple[date, date | None], b: tuple[date, date | None], overlap: bool
) -> None:
    assert days_overlap(*a, *b) is overlap
    assert days_overlap(*b, *a) is overlap


@pytest.mark.parametrize(
    ("place", "expected"),
    [
        (("湖北省", "", "", "high", D, None), None),
        ((" ", "", "", "high", D, None), ("province", "province")),
        (("湖北省", "", "江岸区", "high", D, None), ("city", "city")),
        (("湖北省", "武汉市", "", "low", D, None), ("level", "level")),
        (("湖北省", "", "", "mid", D, date(2026, 11, 30)), ("effective_to", "to_before_from")),
        (("湖北省", "", "", "mid", D, D), None),
    ],
)
def test_risk_area_problem(place: tuple[object, ...], expected: object) -> None:
    assert risk_area_problem(*place) == expected  # type: ignore[arg-type]


def test_a_risk_area_may_not_be_listed_twice_at_once() -> None:
    others = [(date(2026, 11, 1), date(2026, 12, 3))]
    assert risk_area_problem("湖北省", "", "", "mid", D, None, others) == (
        "effective_from",
        "overlap",
    )
    assert risk_area_problem("湖北省", "", "", "mid", date(2026, 12, 3), None, others) is None


def _t(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, tzinfo=UTC)


def test_campaign_windows() -> None:
    assert windows_overlap(_t(1), None, _t(5), None)
    assert not windows_overlap(_t(1), _t(5), _t(5), None)
    assert not windows_overlap(_t(5), _t(5), _t(1), None)  # cancelled before it began
    assert campaign_problem(_t(5), _t(4), []) == "ends_before_start"
    assert campaign_problem(_t(5), None, [(_t(1), None)]) == "overlap"
    assert campaign_problem(_t(5, 10), None, [(_t(1), _t(5, 10))]) is None
