"""Daily and zero reports (日报告 / 零报告). Pure; no I/O.

Every grid reports every day, even with nothing to say; a missing report is a finding.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

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
