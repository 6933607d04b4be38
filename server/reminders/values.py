"""The codes of reminders. Pure; stdlib only (server/labels.py names them)."""

from __future__ import annotations

from enum import StrEnum


class ReminderKind(StrEnum):
    """``reminders.kind``: what the reminder is about."""

    MISSING_DAILY_REPORT = "missing_daily_report"
    MISSED_CHECK = "missed_check"
    OTHER = "other"


class ReminderState(StrEnum):
    """A reminder as lists filter it (from ``read_at``, never stored)."""

    UNREAD = "unread"
    READ = "read"
