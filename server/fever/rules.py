"""The two-hour fever report: its clock, its timeliness and the follow-up state machine.

The seed: a sentinel that finds a fever/cough suspect reports to the township health centre
within two hours; the centre samples at once and sends the sample to the county lab. The
clock starts when the sentinel saw the patient, taken from the phone and corrected by that
phone's measured clock offset. Every datetime is aware; naive ones raise ValueError.
Pure; no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from server.fever.values import Escalation, FeverEventKind, FeverState
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


def seen_at_on_server(
    seen_at_device: datetime,
    clock_offset_ms: int,
    received_at: datetime,
    max_lead_ms: int,
    threshold_ms: int,
) -> datetime:
    """When the patient was seen, on the server's clock: the device's claim corrected by its
    measured offset (when off by more than ``threshold_ms``), and never later than the
    receipt plus the allowed clock lead.

    The bound is the HLC's: a claim far in the future (a phone whose clock is days ahead and
    whose request clock was honest) would otherwise start a clock that can never run out.
    """
    seen = require_aware(seen_at_device, "seen_at_device")
    if abs(clock_offset_ms) > threshold_ms:
        seen = corrected_time(seen, clock_offset_ms)
    latest = require_aware(received_at, "received_at") + timedelta(milliseconds=max_lead_ms)
    return min(seen, latest)


@dataclass(frozen=True, slots=True)
class Limits:
    """How long each step may wait (Settings: fever_ack_minutes, fever_sample_hours,
    fever_result_hours)."""

    acknowledge: timedelta = timedelta(minutes=30)
    sample: timedelta = timedelta(hours=2)
    result: timedelta = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Steps:
    """When each step of a report happened on the server's clock (None: not yet).

    ``received`` is the server's receipt; the others are the events' times, each taken no
    later than its own receipt (a step recorded offline counts from when it was done,
    never from a future a wrong clock claims)."""

    received: datetime | None
    acknowledged: datetime | None = None
    sampled: datetime | None = None
    sent: datetime | None = None
    resulted: datetime | None = None


@dataclass(frozen=True, slots=True)
class Level:
    code: Escalation
    #: when the step now waited for falls (or fell) due; None when nothing waits
    due: datetime | None

    @property
    def escalated(self) -> bool:
        return self.code is not Escalation.NONE


def escalation(steps: Steps, now: datetime, limits: Limits) -> Level:
    """The escalation of a report at ``now``: the first step still missing decides.

    A later step implies the earlier ones (events arrive out of order): a sample recorded
    without an acknowledgement waits for no acknowledgement. At exactly the limit the step
    is not yet late.
    """
    now = require_aware(now, "now")
    if steps.resulted is not None:
        return Level(Escalation.NONE, None)
    if steps.sent is not None:
        return _level(Escalation.NO_RESULT, steps.sent + limits.result, now)
    if steps.sampled is not None:
        return Level(Escalation.NONE, None)  # the sample waits to be sent: no limit set
    if steps.acknowledged is not None:
        return _level(Escalation.NOT_SAMPLED, steps.acknowledged + limits.sample, now)
    if steps.received is None:
        return Level(Escalation.NONE, None)
    return _level(Escalation.NOT_ACKNOWLEDGED, steps.received + limits.acknowledge, now)


def _level(code: Escalation, due: datetime, now: datetime) -> Level:
    return Level(code if now > due else Escalation.NONE, due)


def step_time(claimed: datetime, received: datetime) -> datetime:
    """An event's time on the server's clock: what the device claimed, but never after the
    server received it."""
    return min(require_aware(claimed, "claimed"), require_aware(received, "received"))


def time_left(seen_at: datetime, now: datetime) -> timedelta:
    """What remains of the two-hour clock (negative once it has run out)."""
    return deadline(seen_at) - require_aware(now, "now")


def timeliness_by_day(
    reports: Iterable[tuple[datetime, datetime | None]],
    tz: str,
    now: datetime,
    first: date,
    last: date,
) -> dict[date, dict[str, int]]:
    """Reports per local day of their (corrected) "seen at" in [first, last], counted by
    ``report_timeliness``: every day present with every outcome (0 when none)."""
    zone = ZoneInfo(tz)
    outcomes = ("on_time", "late", "pending", "overdue")
    days = (last - first).days + 1
    out = {first + timedelta(days=i): dict.fromkeys(outcomes, 0) for i in range(days)}
    for seen, received in reports:
        day = require_aware(seen, "seen_at").astimezone(zone).date()
        if day in out:
            out[day][report_timeliness(seen, received, now)] += 1
    return out
