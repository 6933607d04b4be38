"""Tables for server/fever/rules.py: the two-hour clock, clock correction, follow-up states."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.config import SETTINGS_DOC, Settings
from server.fever.inbox import limits_of
from server.fever.rules import (
    REPORT_DEADLINE,
    Limits,
    Steps,
    corrected_time,
    deadline,
    escalation,
    report_timeliness,
    seen_at_on_server,
    state_from_events,
    step_time,
    time_left,
)
from server.fever.values import Escalation, FeverEventKind, FeverState
from server.people.rules import needs_fever_lead

SEEN = datetime(2021, 11, 1, 8, 0, tzinfo=UTC)
NAIVE = datetime(2021, 11, 1, 8, 0)
BEIJING = timezone(timedelta(hours=8))


def at(minutes: float) -> datetime:
    return SEEN + timedelta(minutes=minutes)


def test_deadline_is_two_hours_after_seen() -> None:
    assert timedelta(hours=2) == REPORT_DEADLINE
    assert deadline(SEEN) == datetime(2021, 11, 1, 10, 0, tzinfo=UTC)


def test_deadline_accepts_other_offsets_and_returns_utc() -> None:
    result = deadline(datetime(2021, 11, 1, 16, 0, tzinfo=BEIJING))
    assert result == datetime(2021, 11, 1, 10, 0, tzinfo=UTC)
    assert result.tzinfo is UTC


@pytest.mark.parametrize(
    ("device", "offset_ms", "expected"),
    [
        (SEEN, None, SEEN),
        (SEEN, 0, SEEN),
        (SEEN, 600_000, at(-10)),  # phone 10 min fast
        (SEEN, -600_000, at(10)),  # phone 10 min slow
        (SEEN, 1, SEEN - timedelta(milliseconds=1)),
        (SEEN, 8 * 3_600_000, at(-480)),  # phone set to local time but tagged UTC
    ],
)
def test_corrected_time(device: datetime, offset_ms: int | None, expected: datetime) -> None:
    assert corrected_time(device, offset_ms) == expected


@pytest.mark.parametrize(
    ("received", "now", "expected"),
    [
        (at(5), at(5), "on_time"),
        (at(119), at(500), "on_time"),
        (at(120), at(120), "on_time"),  # exactly two hours
        (at(120) + timedelta(microseconds=1), at(500), "late"),
        (at(121), at(121), "late"),
        (at(-3), at(0), "on_time"),  # phone clock behind the server's
        (None, at(0), "pending"),
        (None, at(120), "pending"),  # the deadline itself is still in time
        (None, at(120) + timedelta(microseconds=1), "overdue"),
        (None, at(600), "overdue"),
    ],
)
def test_report_timeliness(received: datetime | None, now: datetime, expected: str) -> None:
    assert report_timeliness(SEEN, received, now) == expected


@pytest.mark.parametrize(
    "call",
    [
        lambda: deadline(NAIVE),
        lambda: corrected_time(NAIVE, None),
        lambda: report_timeliness(NAIVE, None, SEEN),
        lambda: report_timeliness(SEEN, NAIVE, SEEN),
        lambda: report_timeliness(SEEN, None, NAIVE),
    ],
)
def test_naive_datetimes_are_refused(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([], "reported"),
        (["acknowledged"], "acknowledged"),
        (["acknowledged", "sampled"], "sampled"),
        (["sampled", "acknowledged"], "sampled"),  # out of order
        (["sent"], "sent"),  # "sampled" not synced yet
        (["resulted", "acknowledged", "sent", "sampled"], "resulted"),
        (["sampled", "sampled"], "sampled"),  # the same step recorded on two phones
    ],
)
def test_state_from_events(events: list[str], expected: str) -> None:
    assert state_from_events(events) == expected


def test_state_from_events_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown fever event"):
        state_from_events(["acknowledged", "discharged"])


@settings(database=None)
@given(st.lists(st.sampled_from(FeverEventKind), max_size=12), st.randoms())
def test_state_from_events_is_order_independent(events: list[str], rnd: random.Random) -> None:
    shuffled = list(events)
    rnd.shuffle(shuffled)
    assert state_from_events(shuffled) == state_from_events(events)


@settings(database=None)
@given(st.lists(st.sampled_from(FeverEventKind), max_size=12))
def test_state_from_events_never_goes_back(events: list[str]) -> None:
    ranks = [list(FeverState).index(state_from_events(events[:n])) for n in range(len(events) + 1)]
    assert ranks == sorted(ranks)


# --- "seen at" on the server's clock: corrected, and bounded like an HLC ----------------

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
LEAD_MS = 5 * 60 * 1000
THRESHOLD_MS = 2 * 60 * 1000


@pytest.mark.parametrize(
    ("device", "offset_ms", "received", "expected"),
    [
        # honest phone: taken as claimed
        (SEEN, 0, at(30), SEEN),
        # within the 2-minute threshold: not corrected
        (SEEN, 90_000, at(30), SEEN),
        # phone 3 hours behind, synced 90 minutes after the visit (true time)
        (SEEN - timedelta(hours=3), -3 * HOUR_MS, at(90), SEEN),
        # phone 2 days ahead: moved back 2 days
        (SEEN + timedelta(days=2), 2 * DAY_MS, at(10), SEEN),
        # phone 5 days behind, synced the same hour
        (SEEN - timedelta(days=5), -5 * DAY_MS, at(45), SEEN),
        # honest request clock, a claim 300 days ahead: bounded by receipt + lead
        (SEEN + timedelta(days=300), 0, at(10), at(15)),
        # a claim just inside the lead is kept
        (at(14), 0, at(10), at(14)),
        # a fast phone (1 hour) whose claim lies ahead even after correction
        (at(200), HOUR_MS, at(10), at(15)),
    ],
)
def test_seen_at_on_server(
    device: datetime, offset_ms: int, received: datetime, expected: datetime
) -> None:
    assert seen_at_on_server(device, offset_ms, received, LEAD_MS, THRESHOLD_MS) == expected


def test_a_clamped_report_can_still_become_late() -> None:
    seen = seen_at_on_server(SEEN + timedelta(days=300), 0, SEEN, LEAD_MS, THRESHOLD_MS)
    assert report_timeliness(seen, None, SEEN + timedelta(hours=3)) == "overdue"


# --- escalation -------------------------------------------------------------------------

LIMITS = Limits(
    acknowledge=timedelta(minutes=30), sample=timedelta(hours=2), result=timedelta(hours=24)
)
NONE, ACK, SAMPLE, RESULT = (
    Escalation.NONE,
    Escalation.NOT_ACKNOWLEDGED,
    Escalation.NOT_SAMPLED,
    Escalation.NO_RESULT,
)


@pytest.mark.parametrize(
    ("steps", "now", "code", "due"),
    [
        (Steps(received=None), at(600), NONE, None),
        (Steps(received=SEEN), at(29), NONE, at(30)),
        (Steps(received=SEEN), at(30), NONE, at(30)),  # at the limit: not yet late
        (Steps(received=SEEN), at(31), ACK, at(30)),
        (Steps(SEEN, acknowledged=at(10)), at(129), NONE, at(130)),
        (Steps(SEEN, acknowledged=at(10)), at(131), SAMPLE, at(130)),
        # sampled without an acknowledgement: the later step implies the earlier
        (Steps(SEEN, sampled=at(5)), at(10_000), NONE, None),
        (Steps(SEEN, acknowledged=at(1), sampled=at(5)), at(10_000), NONE, None),
        (Steps(SEEN, sent=at(60)), at(60 + 24 * 60), NONE, at(60 + 24 * 60)),
        (Steps(SEEN, sent=at(60)), at(61 + 24 * 60), RESULT, at(60 + 24 * 60)),
        (Steps(SEEN, sent=at(60), resulted=at(70)), at(100_000), NONE, None),
        # a result that arrived before "sent" (out of order): done
        (Steps(SEEN, resulted=at(70)), at(100_000), NONE, None),
    ],
)
def test_escalation(steps: Steps, now: datetime, code: Escalation, due: datetime | None) -> None:
    level = escalation(steps, now, LIMITS)
    assert (level.code, level.due) == (code, due)
    assert level.escalated is (code is not NONE)


def test_escalation_needs_an_aware_now() -> None:
    with pytest.raises(ValueError, match="now"):
        escalation(Steps(SEEN), NAIVE, LIMITS)


@pytest.mark.parametrize(
    ("claimed", "received", "expected"),
    [
        (at(10), at(20), at(10)),  # recorded offline, synced later: when it was done
        (at(30), at(20), at(20)),  # a clock ahead: never after the receipt
        (at(20), at(20), at(20)),
        (at(60 * 24 * 3), at(5), at(5)),  # days ahead
    ],
)
def test_step_time(claimed: datetime, received: datetime, expected: datetime) -> None:
    assert step_time(claimed, received) == expected


@pytest.mark.parametrize(
    ("seen", "now", "minutes"),
    [(SEEN, at(0), 120), (SEEN, at(90), 30), (SEEN, at(120), 0), (SEEN, at(150), -30)],
)
def test_time_left(seen: datetime, now: datetime, minutes: int) -> None:
    assert time_left(seen, now) == timedelta(minutes=minutes)


def test_default_limits_are_the_settings_and_the_readme() -> None:
    settings = Settings()
    assert limits_of(settings) == Limits()
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for name, value in (
        ("WANGGE_FEVER_ACK_MINUTES", settings.fever_ack_minutes),
        ("WANGGE_FEVER_SAMPLE_HOURS", settings.fever_sample_hours),
        ("WANGGE_FEVER_RESULT_HOURS", settings.fever_result_hours),
    ):
        row = next(line for line in readme.splitlines() if f"`{name}`" in line)
        assert f"(default {value}" in row, name
        assert f"(default {value})" in SETTINGS_DOC[name], name


@pytest.mark.parametrize(
    ("temperature", "symptoms", "lead"),
    [
        (37.5, [], True),
        (37.3, None, True),
        (37.29999, [], True),
        (37.2, [], False),
        (None, [], False),
        (None, ["cough"], True),
        (36.5, ["fever"], True),
        (36.5, ["headache", "fatigue"], False),
    ],
)
def test_needs_fever_lead(
    temperature: float | None, symptoms: list[str] | None, lead: bool
) -> None:
    assert needs_fever_lead(temperature, symptoms) is lead
