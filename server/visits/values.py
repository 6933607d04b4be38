"""The codes of household visits. Pure; stdlib only (server/labels.py names them)."""

from __future__ import annotations

from enum import StrEnum


class VisitOutcome(StrEnum):
    """``visits.outcome``: what the worker found at the door."""

    VISITED = "visited"
    NOBODY_HOME = "nobody_home"
    REFUSED = "refused"


class CoverageState(StrEnum):
    """A household's place in a screening round (computed from its visits, never stored)."""

    VISITED = "visited"
    ATTEMPTED = "attempted"
    NOT_VISITED = "not_visited"
