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


class Escalation(StrEnum):
    """Why a report needs someone's attention now (``NONE``: it does not)."""

    NONE = "in_time"
    #: still "reported" N minutes after it reached the server
    NOT_ACKNOWLEDGED = "not_acknowledged"
    #: acknowledged M hours ago and no sample taken
    NOT_SAMPLED = "not_sampled"
    #: sent to the lab K hours ago and no result
    NO_RESULT = "no_result"


class FeverSource(StrEnum):
    """``fever_reports.source``: who found the patient."""

    #: a sentinel's two-hour report
    SENTINEL = "sentinel"
    #: a lead the server made from a grid worker's check (a fever or a cough at home)
    CHECK = "check"
