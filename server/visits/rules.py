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
