"""Reminders' pure rules: one id per grid, subject and day of sending; the subject each
kind needs; the message; the read time on the server's clock."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from server.reminders.rules import compose_message, read_time, reminder_id, subject_problem

DAY = date(2026, 12, 2)
PERSON = uuid.UUID(int=5)


def test_the_same_subject_on_the_same_day_is_one_reminder() -> None:
    one = reminder_id(7, "missing_daily_report", DAY, None, None, DAY)
    assert one == reminder_id(7, "missing_daily_report", DAY, None, None, DAY)
    others = {
        reminder_id(8, "missing_daily_report", DAY, None, None, DAY),  # another grid
        reminder_id(7, "missing_daily_report", DAY - timedelta(1), None, None, DAY),
        reminder_id(7, "missing_daily_report", DAY, None, None, DAY + timedelta(1)),  # resent
        reminder_id(7, "missed_check", DAY, PERSON, "morning", DAY),
        reminder_id(7, "missed_check", DAY, PERSON, "evening", DAY),
    }
    assert one not in others
    assert len(others) == 5


@pytest.mark.parametrize(
    ("kind", "subject_date", "person", "slot", "problem"),
    [
        ("missing_daily_report", DAY, None, None, None),
        ("missing_daily_report", None, None, None, "subject_date"),
        ("missing_daily_report", DAY, PERSON, None, "person_id"),
        ("missing_daily_report", DAY, None, "morning", "slot"),
        ("missed_check", DAY, PERSON, "morning", None),
        ("missed_check", DAY, None, "morning", "person_id"),
        ("missed_check", DAY, PERSON, None, "slot"),
        ("missed_check", None, PERSON, "morning", "subject_date"),
        ("other", None, None, None, None),
    ],
)
def test_each_kind_names_its_subject(
    kind: str, subject_date: date | None, person: object, slot: str | None, problem: str | None
) -> None:
    assert subject_problem(kind, subject_date, person, slot) == problem


def test_messages_name_the_day_person_and_slot() -> None:
    assert "2026-12-02" in compose_message("missing_daily_report", DAY)
    text = compose_message("missed_check", DAY, "陈桂兰", "evening")
    assert "陈桂兰" in text
    assert "下午" in text
    english = compose_message("missed_check", DAY, "Chen", "morning", locale="en")
    assert "morning check of Chen on 2026-12-02" in english
    assert compose_message("other", None) == ""


SENT = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
RECEIVED = SENT + timedelta(hours=3)


@pytest.mark.parametrize(
    ("device_said", "offset_ms", "expected"),
    [
        (SENT + timedelta(hours=1), 0, SENT + timedelta(hours=1)),  # a right clock
        (SENT + timedelta(hours=1), 60_000, SENT + timedelta(hours=1)),  # within tolerance
        (SENT + timedelta(hours=2), 3_600_000, SENT + timedelta(hours=1)),  # an hour ahead
        (SENT - timedelta(days=1), 0, SENT),  # before it was sent: when it was sent
        (RECEIVED + timedelta(days=3), 0, RECEIVED),  # in the future: when it arrived
    ],
)
def test_the_read_time_is_on_the_servers_clock(
    device_said: datetime, offset_ms: int, expected: datetime
) -> None:
    assert read_time(device_said, offset_ms, RECEIVED, SENT) == expected


def test_the_read_time_needs_aware_times() -> None:
    with pytest.raises(ValueError, match="aware"):
        read_time(datetime(2026, 12, 2), 0, RECEIVED, SENT)
