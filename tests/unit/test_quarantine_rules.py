"""Tables for server/quarantine/rules.py: policies, schedule, day counter, checks, tests."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.quarantine.rules import (
    DEFAULT_POLICIES,
    NoPolicyError,
    PolicyRule,
    Schedule,
    checks_due,
    day_number,
    missed_checks,
    policy_for,
    schedule,
    slots_for,
)
from server.quarantine.rules import tests_due as open_tests  # pytest would collect "tests_due"

NOV1 = date(2021, 11, 1)
NOV15 = date(2021, 11, 15)
CENTRAL_V1 = DEFAULT_POLICIES[0]
CENTRAL_V2 = PolicyRule("central_quarantine", 2, 21, (0, 6, 20), 2, date(2021, 12, 1))
WITH_V2 = (*DEFAULT_POLICIES, CENTRAL_V2)


def d(day: int, month: int = 11) -> date:
    return date(2021, month, day)


@pytest.mark.parametrize(
    ("kind", "test_days"),
    [
        ("central_quarantine", (0, 13)),
        ("home_quarantine", (0, 13)),
        ("health_monitoring", (0, 7)),
    ],
)
def test_default_policies(kind: str, test_days: tuple[int, ...]) -> None:
    policy = policy_for(kind, NOV1)
    assert (policy.version, policy.duration_days, policy.checks_per_day) == (1, 14, 2)
    assert policy.test_days == test_days
    assert policy.effective_from == date(2021, 1, 1)


@pytest.mark.parametrize(
    ("on", "version"),
    [
        (date(2021, 1, 1), 1),  # v1's first day
        (d(30), 1),  # the day before v2
        (date(2021, 12, 1), 2),  # v2's first day
        (date(2022, 6, 1), 2),
    ],
)
def test_policy_for_picks_latest_effective_version(on: date, version: int) -> None:
    assert policy_for("central_quarantine", on, WITH_V2).version == version


@pytest.mark.parametrize(
    ("kind", "on"),
    [("central_quarantine", date(2020, 12, 31)), ("hospital", NOV1), ("unknown", NOV1)],
)
def test_policy_for_without_policy(kind: str, on: date) -> None:
    with pytest.raises(NoPolicyError):
        policy_for(kind, on)


@pytest.mark.parametrize(
    ("duration", "test_days", "checks"),
    [(0, (), 2), (14, (14,), 2), (14, (-1,), 2), (14, (7, 0), 2), (14, (0, 0), 2), (14, (0,), 3)],
)
def test_policy_rule_rejects_impossible_values(
    duration: int, test_days: tuple[int, ...], checks: int
) -> None:
    with pytest.raises(ValueError, match="must"):
        PolicyRule("home_quarantine", 1, duration, test_days, checks, NOV1)


def test_schedule_release_on_start_plus_duration() -> None:
    """14 days from 1 November: under the measure 1-14 Nov, released on 15 Nov."""
    plan = schedule(CENTRAL_V1, NOV1)
    assert plan == Schedule(start_date=NOV1, end_date=NOV15, test_dates=(NOV1, d(14)))


def test_running_episode_keeps_its_policy() -> None:
    """An episode begun under v1 keeps v1's dates after v2 takes effect."""
    begun_under = policy_for("central_quarantine", d(20), WITH_V2)
    plan = schedule(begun_under, d(20))
    assert plan.end_date == date(2021, 12, 4)
    assert schedule(CENTRAL_V2, d(20)).end_date == date(2021, 12, 11)


@pytest.mark.parametrize(
    ("today", "expected"),
    [(d(1), 1), (d(2), 2), (d(14), 14), (NOV15, 15), (date(2021, 10, 31), 0)],
)
def test_day_number_counts_start_day_as_one(today: date, expected: int) -> None:
    assert day_number(NOV1, today) == expected


@pytest.mark.parametrize(
    ("checks_per_day", "slots"), [(1, ("morning",)), (2, ("morning", "evening"))]
)
def test_slots_for(checks_per_day: int, slots: tuple[str, ...]) -> None:
    assert slots_for(checks_per_day) == slots


@pytest.mark.parametrize("checks_per_day", [0, 3, -1])
def test_slots_for_rejects_other_counts(checks_per_day: int) -> None:
    with pytest.raises(ValueError, match="checks_per_day"):
        slots_for(checks_per_day)


@pytest.mark.parametrize(
    ("end", "status", "today", "done", "per_day", "expected"),
    [
        (NOV15, "active", date(2021, 10, 31), set(), 2, []),  # before start
        (NOV15, "active", NOV1, set(), 2, ["morning", "evening"]),  # start day
        (NOV15, "active", d(5), {"morning"}, 2, ["evening"]),
        (NOV15, "active", d(5), {"evening"}, 2, ["morning"]),  # evening done first
        (NOV15, "active", d(5), {"morning", "evening"}, 2, []),
        (NOV15, "active", d(14), set(), 2, ["morning", "evening"]),  # last day
        (NOV15, "active", NOV15, set(), 2, []),  # release date
        (NOV15, "active", d(20), set(), 2, []),  # after release
        (None, "active", d(20), set(), 2, ["morning", "evening"]),  # open-ended
        (NOV15, "released", d(5), set(), 2, []),
        (NOV15, "transferred", d(5), set(), 2, []),
        (NOV15, "cancelled", d(5), set(), 2, []),
        (NOV15, "active", d(5), set(), 1, ["morning"]),
        (NOV15, "active", d(5), {"morning"}, 1, []),
    ],
)
def test_checks_due(
    end: date | None,
    status: str,
    today: date,
    done: set[str],
    per_day: int,
    expected: list[str],
) -> None:
    assert checks_due(NOV1, end, status, today, done, per_day) == expected


@pytest.mark.parametrize(
    ("end", "today", "done", "per_day", "expected"),
    [
        (NOV15, NOV1, set(), 2, []),  # today's slots are due, not missed
        (NOV15, date(2021, 10, 30), set(), 2, []),  # not started
        (NOV15, d(2), set(), 2, [(d(1), "morning"), (d(1), "evening")]),
        (NOV15, d(2), {(d(1), "morning")}, 2, [(d(1), "evening")]),
        (
            NOV15,
            d(3),
            {(d(1), "morning"), (d(1), "evening"), (d(2), "evening")},
            2,
            [(d(2), "morning")],
        ),
        (NOV15, d(3), {(d(2), "morning")}, 1, [(d(1), "morning")]),
        (d(2), d(20), set(), 1, [(d(1), "morning")]),  # released early on 2 Nov
        (None, d(3), set(), 1, [(d(1), "morning"), (d(2), "morning")]),
    ],
)
def test_missed_checks(
    end: date | None,
    today: date,
    done: set[tuple[date, str]],
    per_day: int,
    expected: list[tuple[date, str]],
) -> None:
    assert missed_checks(NOV1, end, today, done, per_day) == expected


def test_missed_checks_full_episode_counts_every_slot_until_release() -> None:
    missed = missed_checks(NOV1, NOV15, date(2021, 12, 1), [], 2)
    assert len(missed) == 28
    assert missed[-1] == (d(14), "evening")


PLAN = schedule(CENTRAL_V1, NOV1)  # tests on 1 Nov and 14 Nov


@pytest.mark.parametrize(
    ("today", "taken", "expected"),
    [
        (date(2021, 10, 31), [], []),
        (NOV1, [], [NOV1]),  # due today
        (NOV1, [NOV1], []),
        (d(5), [], [NOV1]),  # overdue
        (d(5), [d(2)], []),  # a day late still settles the entry test
        (d(5), [date(2021, 10, 28)], [NOV1]),  # the pre-arrival certificate is not the test
        (d(13), [NOV1], []),
        (d(14), [NOV1], [d(14)]),
        (d(14), [NOV1, d(14)], []),
        (d(14), [NOV1, d(10)], [d(14)]),  # an early test does not replace the release test
        (d(14), [d(14)], [d(14)]),  # one test cannot settle two
        (d(20), [], [NOV1, d(14)]),
    ],
)
def test_tests_due(today: date, taken: list[date], expected: list[date]) -> None:
    assert open_tests(PLAN, today, taken) == expected


@settings(database=None)
@given(
    start=st.dates(min_value=date(2021, 1, 1), max_value=date(2030, 1, 1)),
    offset=st.integers(min_value=-30, max_value=60),
    policy=st.sampled_from(DEFAULT_POLICIES),
)
def test_checks_due_only_inside_the_episode(start: date, offset: int, policy: PolicyRule) -> None:
    plan = schedule(policy, start)
    today = start + timedelta(days=offset)
    due = checks_due(start, plan.end_date, "active", today, set(), policy.checks_per_day)
    assert bool(due) == (1 <= day_number(start, today) <= policy.duration_days)
