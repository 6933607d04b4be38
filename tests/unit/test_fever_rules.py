"""Tables for server/fever/rules.py: the two-hour clock, clock correction, follow-up states."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.fever.rules import (
    REPORT_DEADLINE,
    corrected_time,
    deadline,
    report_timeliness,
    state_from_events,
)
from server.fever.values import FeverEventKind, FeverState

SEEN = datetime(2021, 11, 1, 8, 0, tzinfo=UTC)
NAIVE = datetime(2021, 11, 1, 8, 0)
BEIJING = timezone(timedelta(hours=8))


def at(minutes: float) -> datetime:
    return SEEN + timedelta(minutes=minutes)


def test_deadline_is_two_hours_after_seen() -> None:
    assert timedelta(hours=2) == REPORT_DEADLINE
    assert deadline(SEEN) == datetime(2021, 11, 1, 10, 0, tzinfo=UTC)


def test_deadline_accepts_other_offsets_and_returns_utc() -> None:
    result = deadline(datetime(2021, 11, 1, 16, 0, tzinfo=BEIJING))
    assert result == datetime(2021, 11, 1, 10, 0, tzinfo=UTC)
    assert result.tzinfo is UTC


@pytest.mark.parametrize(
    ("device", "offset_ms", "expected"),
    [
        (SEEN, None, SEEN),
        (SEEN, 0, SEEN),
        (SEEN, 600_000, at(-10)),  # phone 10 min fast
        (SEEN, -600_000, at(10)),  # phone 10 min slow
        (SEEN, 1, SEEN - timedelta(milliseconds=1)),
        (SEEN, 8 * 3_600_000, at(-480)),  # phone set to local time but tagged UTC
    ],
)
def test_corrected_time(device: datetime, offset_ms: int | None, expected: datetime) -> None:
    assert corrected_time(device, offset_ms) == expected


@pytest.mark.parametrize(
    ("received", "now", "expected"),
    [
        (at(5), at(5), "on_time"),
        (at(119), at(500), "on_time"),
        (at(120), at(120), "on_time"),  # exactly two hours
        (at(120) + timedelta(microseconds=1), at(500), "late"),
        (at(121), at(121), "late"),
        (at(-3), at(0), "on_time"),  # phone clock behind the server's
        (None, at(0), "pending"),
        (None, at(120), "pending"),  # the deadline itself is still in time
        (None, at(120) + timedelta(microseconds=1), "overdue"),
        (None, at(600), "overdue"),
    ],
)
def test_report_timeliness(received: datetime | None, now: datetime, expected: str) -> None:
    assert report_timeliness(SEEN, received, now) == expected


@pytest.mark.parametrize(
    "call",
    [
        lambda: deadline(NAIVE),
        lambda: corrected_time(NAIVE, None),
        lambda: report_timeliness(NAIVE, None, SEEN),
        lambda: report_timeliness(SEEN, NAIVE, SEEN),
        lambda: report_timeliness(SEEN, None, NAIVE),
    ],
)
def test_naive_datetimes_are_refused(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([], "reported"),
        (["acknowledged"], "acknowledged"),
        (["acknowledged", "sampled"], "sampled"),
        (["sampled", "acknowledged"], "sampled"),  # out of order
        (["sent"], "sent"),  # "sampled" not synced yet
        (["resulted", "acknowledged", "sent", "sampled"], "resulted"),
        (["sampled", "sampled"], "sampled"),  # the same step recorded on two phones
    ],
)
def test_state_from_events(events: list[str], expected: str) -> None:
    assert state_from_events(events) == expected


def test_state_from_events_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown fever event"):
        state_from_events(["acknowledged", "discharged"])


@settings(database=None)
@given(st.lists(st.sampled_from(FeverEventKind), max_size=12), st.randoms())
def test_state_from_events_is_order_independent(events: list[str], rnd: random.Random) -> None:
    shuffled = list(events)
    rnd.shuffle(shuffled)
    assert state_from_events(shuffled) == state_from_events(events)


@settings(database=None)
@given(st.lists(st.sampled_from(FeverEventKind), max_size=12))
def test_state_from_events_never_goes_back(events: list[str]) -> None:
    ranks = [list(FeverState).index(state_from_events(events[:n])) for n in range(len(events) + 1)]
    assert ranks == sorted(ranks)
