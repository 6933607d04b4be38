"""Household coverage for a screening campaign (村不漏户). Pure; no I/O."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime

from server.timeutil import require_aware
from server.visits.values import CoverageState, VisitOutcome

_OUTCOMES = frozenset(VisitOutcome)


def in_campaign(visited_at: datetime, start: datetime, end: datetime | None) -> bool:
    """Whether a visit falls in the campaign window ``[start, end)``; ``end=None`` is open."""
    at = require_aware(visited_at, "visited_at")
    if at < require_aware(start, "campaign_start"):
        return False
    return end is None or at < require_aware(end, "campaign_end")


def coverage_state(
    visits: Iterable[tuple[datetime, str]],
    campaign_start: datetime,
    campaign_end: datetime | None,
) -> CoverageState:
    """A household's state in a campaign, from its (visited_at, outcome) visits.

    "visited" when a visit in the window had outcome "visited"; "attempted" when visits in
    the window found nobody home or were refused; "not_visited" when no visit falls in the
    window. Visits outside the window belong to another round and are ignored.
    """
    attempted = False
    for visited_at, outcome in visits:
        if outcome not in _OUTCOMES:
            raise ValueError(f"unknown visit outcome {outcome!r}")
        if not in_campaign(visited_at, campaign_start, campaign_end):
            continue
        if outcome == VisitOutcome.VISITED:
            return CoverageState.VISITED
        attempted = True
    return CoverageState.ATTEMPTED if attempted else CoverageState.NOT_VISITED


def coverage_ratio(visited: int, total: int) -> float:
    """Visited households / all households, 0.0 to 1.0.

    A grid with no households has nothing left to visit, so its coverage is 1.0: the
    supervisor's list of gaps should not show it. Counts out of range raise ValueError.
    """
    if total < 0 or visited < 0 or visited > total:
        raise ValueError(f"bad coverage counts: visited={visited}, total={total}")
    return 1.0 if total == 0 else visited / total


def format_percent(ratio: float, digits: int = 1) -> str:
    """0.9995 -> "99.9%": rounded down, so "100%" is shown only when nothing is missing."""
    scale = 10**digits
    floored = math.floor(ratio * 100 * scale + 1e-9) / scale
    return f"{floored:.{digits}f}%"


def windows_overlap(
    a_start: datetime, a_end: datetime | None, b_start: datetime, b_end: datetime | None
) -> bool:
    """Two ``[start, end)`` windows share a moment (``end=None``: still open). An empty
    window (end == start, a campaign cancelled before it began) shares none."""
    if (a_end is not None and a_end <= a_start) or (b_end is not None and b_end <= b_start):
        return False
    return (a_end is None or b_start < a_end) and (b_end is None or a_start < b_end)


def campaign_problem(
    starts_on: datetime,
    ends_on: datetime | None,
    others: Iterable[tuple[datetime, datetime | None]],
) -> str | None:
    """Why a campaign of an area cannot have this window, or None. ``others`` are the
    windows of the area's other campaigns. Reasons: ``ends_before_start``; ``overlap``
    (one area runs one campaign at a time: coverage counts visits since the running
    campaign began, so two at once would make the figure ambiguous)."""
    if ends_on is not None and ends_on < starts_on:
        return "ends_before_start"
    if any(windows_overlap(starts_on, ends_on, s, e) for s, e in others):
        return "overlap"
    return None
