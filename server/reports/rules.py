"""Daily and zero reports (日报告 / 零报告). Pure; no I/O.

Every grid reports every day, even with nothing to say; a missing report is a finding.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from server.reports.values import ReportStatus

DAILY_REPORT_NAMESPACE = uuid.UUID("6f1c2d4e-8b7a-4c3d-9e2f-1a0b9c8d7e6f")


def daily_report_id(grid_id: int, report_date: date) -> uuid.UUID:
    """The id of a grid's report for a day, the same on every phone.

    uuid5 of ``"daily:{grid_id}:{YYYY-MM-DD}"``: two workers filing the same grid's day while
    offline create the same record, which sync then merges instead of duplicating.
    """
    return uuid.uuid5(DAILY_REPORT_NAMESPACE, f"daily:{grid_id}:{report_date.isoformat()}")


def report_status(report_exists: bool, is_zero: bool) -> ReportStatus:
    """A grid-day's status: "missing" with no report, "zero" for a zero report, else "reported"."""
    if not report_exists:
        return ReportStatus.MISSING
    return ReportStatus.ZERO if is_zero else ReportStatus.REPORTED


def missing_grids(grid_ids: Iterable[int], reported_grid_ids: Iterable[int]) -> list[int]:
    """Grids with no report, in the order given, each once. A zero report is a report."""
    reported = set(reported_grid_ids)
    missing: list[int] = []
    seen: set[int] = set()
    for grid_id in grid_ids:
        if grid_id not in reported and grid_id not in seen:
            missing.append(grid_id)
            seen.add(grid_id)
    return missing


#: The counts a daily report carries; a zero report has them all at 0.
REPORT_COUNTS = (
    "households_visited",
    "new_returnees",
    "under_measure",
    "checks_done",
    "fever_found",
)


def has_findings(report: Mapping[str, Any] | None) -> bool:
    """A filed report that is not a zero report and counts something."""
    if report is None or report.get("is_zero"):
        return False
    return any(report.get(name) for name in REPORT_COUNTS)


def zero_report_allowed(existing: Mapping[str, Any] | None) -> bool:
    """Whether a zero report may be filed over `existing` (the day's report, or None).

    A zero report says "nothing to report": over a report with findings it would erase
    them (the supervisor would count the grid as zero). Correct the report instead."""
    return not has_findings(existing)
