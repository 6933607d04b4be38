"""The stored codes of alerts. Pure; stdlib only (server/labels.py names them)."""

from __future__ import annotations

from enum import StrEnum


class AlertKind(StrEnum):
    """``alerts.kind``: why the town must know now (特报)."""

    #: a person recorded as (or changed to) a returnee from a medium/high-risk area or abroad
    ARRIVAL = "arrival"
    #: a positive nucleic-acid test, or a fever report's positive result
    POSITIVE = "positive_result"
