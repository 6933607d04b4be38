"""The stored codes of fever reports. Pure; stdlib only (server/labels.py names them)."""

from __future__ import annotations

from enum import StrEnum


class FeverState(StrEnum):
    """``fever_reports.state``, in the order the follow-up goes (the state machine's order)."""

    REPORTED = "reported"
    ACKNOWLEDGED = "acknowledged"
    SAMPLED = "sampled"
    SENT = "sent"
    RESULTED = "resulted"


class FeverEventKind(StrEnum):
    """``fever_events.kind``: each event moves its report to the state of the same name."""

    ACKNOWLEDGED = FeverState.ACKNOWLEDGED.value
    SAMPLED = FeverState.SAMPLED.value
    SENT = FeverState.SENT.value
    RESULTED = FeverState.RESULTED.value
