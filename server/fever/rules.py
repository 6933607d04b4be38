"""The two-hour fever report: its clock, its timeliness and the follow-up state machine.

The seed: a sentinel that finds a fever/cough suspect reports to the township health centre
within two hours; the centre samples at once and sends the sample to the county lab. The
clock starts when the sentinel saw the patient, taken from the phone and corrected by that
phone's measured clock offset. Every datetime is aware; naive ones raise ValueError.
Pure; no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from server.fever.values import FeverEventKind, FeverState
from server.timeutil import require_aware

REPORT_DEADLINE = timedelta(hours=2)

_ORDER: tuple[FeverState, ...] = tuple(FeverState)
_RANK: dict[str, int] = {state: rank for rank, state in enumerate(_ORDER)}
_EVENT_KINDS = frozenset(FeverEventKind)


def deadline(seen_at: datetime) -> datetime:
    """The latest instant the report may reach the health centre: seen_at + 2 h (inclusive)."""
    return require_aware(seen_at, "seen_at") + REPORT_DEADLINE


def corrected_time(device_time: datetime, clock_offset_ms: int | None) -> datetime:
    """Device time put on the server's clock.

    ``clock_offset_ms`` is device clock minus server clock, as measured at the phone's last
    sync, so a phone 10 minutes fast has +600000 and its times move 10 minutes back. With no
    measurement (``None``) the device time is taken as it is.
    """
    device_time = require_aware(device_time, "device_time")
    if clock_offset_ms is None:
        return device_time
    return device_time - timedelta(milliseconds=clock_offset_ms)


def report_timeliness(seen_at: datetime, received_at: datetime | None, now: datetime) -> str:
    """Whether a fever report came in time: "on_time", "late", "pending" or "overdue".

    Received at or before the deadline: "on_time" (exactly 2 h is still on time); after it:
    "late". Not received yet: "pending" while `now` is at or before the deadline, "overdue"
    after it.
    """
    due = deadline(seen_at)
    if received_at is not None:
        return "on_time" if require_aware(received_at, "received_at") <= due else "late"
    return "pending" if require_aware(now, "now") <= due else "overdue"


def _rank_of_event(kind: str) -> int:
    if kind not in _EVENT_KINDS:
        raise ValueError(f"unknown fever event kind {kind!r}")
    return _RANK[kind]


def state_from_events(kinds: Iterable[str]) -> FeverState:
    """The furthest state the events reach, whatever order they arrived in.

    Events are append-only and come from several phones that sync at different times, so
    "sent" may arrive before "sampled"; a later step implies the earlier ones happened.
    No events: "reported".
    """
    rank = max((_rank_of_event(k) for k in kinds), default=0)
    return _ORDER[rank]
