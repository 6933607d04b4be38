"""The codes of grid daily reports. Pure; stdlib only (server/labels.py names them)."""

from __future__ import annotations

from enum import StrEnum


class ReportStatus(StrEnum):
    """A grid-day's report as pages show it (computed from ``daily_reports``, never stored)."""

    REPORTED = "reported"
    ZERO = "zero"
    MISSING = "missing"
