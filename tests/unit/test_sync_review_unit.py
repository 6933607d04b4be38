"""Pure parts of the review fixes: date bounds, snapshot cursor positions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from server.registry import REGISTRY
from server.sync import cursor as cursors
from server.sync.feed import check_snapshot_cursor, parse_after
from server.sync.spec.schemas import in_range
from server.sync.validate import Rejected, validate_data


def test_in_range_bounds_dates_and_times_in_their_own_zone() -> None:
    assert in_range(date(1900, 1, 1))
    assert in_range(date(2100, 12, 31))
    assert not in_range(date(1899, 12, 31))
    assert not in_range(date(2101, 1, 1))
    plus_one = timezone(timedelta(hours=1))
    assert not in_range(datetime(1, 1, 1, tzinfo=plus_one))
    assert in_range(datetime(2026, 11, 29, 3, 4, 5, tzinfo=UTC))
    assert in_range("0001-01-01")
    assert in_range(37.5)
    assert in_range(None)


def test_validate_data_rejects_out_of_range_moments() -> None:
    coll = REGISTRY["visits"]
    with pytest.raises(Rejected) as info:
        validate_data(coll, {"visited_at": "0001-01-01T00:00:00+01:00"})
    assert (info.value.code, info.value.field) == ("invalid", "visited_at")


@pytest.mark.parametrize("after", ["2147483648", "99999999999", "1-2", "-1"])
def test_int_positions_beyond_the_column_are_not_cursors(after: str) -> None:
    with pytest.raises(ValueError, match=r"id out of range|invalid literal"):
        parse_after(REGISTRY["areas"], after)
    with pytest.raises(cursors.CursorError):
        check_snapshot_cursor(cursors.SnapshotCursor(1, 0, (0,), 0, after), REGISTRY)


def test_int_positions_within_the_column_are_cursors() -> None:
    assert parse_after(REGISTRY["areas"], "2147483647") == 2**31 - 1
    check_snapshot_cursor(cursors.SnapshotCursor(1, 0, (0,), 0, "12"), REGISTRY)
