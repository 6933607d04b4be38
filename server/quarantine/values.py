"""The stored codes of quarantine and monitoring. Pure; stdlib only (server/labels.py
names them)."""

from __future__ import annotations

from enum import StrEnum


class MeasureStatus(StrEnum):
    """``measures.status``: only an active measure has checks and tests due."""

    ACTIVE = "active"
    RELEASED = "released"
    TRANSFERRED = "transferred"
    CANCELLED = "cancelled"


class CheckSlot(StrEnum):
    """``checks.slot``, in the order of the day: one check a day is the morning one."""

    MORNING = "morning"
    EVENING = "evening"


class TestResult(StrEnum):
    """``tests.result``, and a fever report's result once the lab answers."""

    __test__ = False  # not a pytest class

    PENDING = "pending"
    NEGATIVE = "negative"
    POSITIVE = "positive"
