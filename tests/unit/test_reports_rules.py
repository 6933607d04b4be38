"""Tables for server/reports/rules.py: deterministic daily report ids, status, missing grids."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from server.reports.rules import (
    DAILY_REPORT_NAMESPACE,
    daily_report_id,
    missing_grids,
    report_status,
)

DAY = date(2021, 11, 1)


def test_namespace_is_fixed() -> None:
    # Changing it would give every past report a new id on the next sync.
    assert uuid.UUID("6f1c2d4e-8b7a-4c3d-9e2f-1a0b9c8d7e6f") == DAILY_REPORT_NAMESPACE


def test_daily_report_id_is_uuid5_of_the_grid_day() -> None:
    rid = daily_report_id(42, DAY)
    assert rid == uuid.uuid5(DAILY_REPORT_NAMESPACE, "daily:42:2021-11-01")
    assert rid.version == 5


def test_two_phones_make_the_same_id() -> None:
    assert daily_report_id(42, date(2021, 11, 1)) == daily_report_id(42, DAY)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ((42, DAY), (43, DAY)),
        ((42, DAY), (42, date(2021, 11, 2))),
        ((1, date(2021, 11, 11)), (11, date(2021, 1, 11))),
        ((4, date(2021, 1, 1)), (42, date(2021, 1, 1))),
    ],
)
def test_different_grid_days_differ(a: tuple[int, date], b: tuple[int, date]) -> None:
    assert daily_report_id(*a) != daily_report_id(*b)


@pytest.mark.parametrize(
    ("exists", "is_zero", "expected"),
    [
        (True, False, "reported"),
        (True, True, "zero"),
        (False, False, "missing"),
        (False, True, "missing"),  # no record: the flag means nothing
    ],
)
def test_report_status(exists: bool, is_zero: bool, expected: str) -> None:
    assert report_status(exists, is_zero) == expected


@pytest.mark.parametrize(
    ("grids", "reported", "expected"),
    [
        ([], [], []),
        ([1, 2, 3], [], [1, 2, 3]),
        ([1, 2, 3], [1, 2, 3], []),
        ([3, 1, 2], [1], [3, 2]),  # keeps the given order
        ([1, 2, 2, 3], [3], [1, 2]),  # each once
        ([1, 2], [2, 99], [1]),  # a report from a grid not listed changes nothing
    ],
)
def test_missing_grids(grids: list[int], reported: list[int], expected: list[int]) -> None:
    assert missing_grids(grids, reported) == expected


def test_missing_grids_accepts_generators() -> None:
    assert missing_grids((g for g in range(4)), (g for g in (0, 2))) == [1, 3]
