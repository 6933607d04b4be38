"""Quarantine and monitoring rules: policies, schedules, day counter, checks and tests due.

Pure functions over dates; no I/O. Conventions used throughout:

* Day offsets (``test_days``) count from **day 0 = the start day**.
* The field worker's counter ("第N天", :func:`day_number`) is **1 on the start day**, so the
  test on offset 0 is taken on 第1天 and the test on offset 13 on 第14天.
* ``end_date`` is the **release date**: ``start_date + duration_days``. It is the first day
  the person is free; no check is due on it. 14 days from 1 November means the person is
  under the measure 1-14 November and released on 15 November.
* All dates are local calendar dates (see :mod:`server.timeutil`).
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from datetime import date, timedelta

import msgspec

from server.quarantine.values import CheckSlot, MeasureStatus

_SLOTS: tuple[CheckSlot, ...] = tuple(CheckSlot)


class NoPolicyError(LookupError):
    """No policy version of this kind is in effect on the given date."""


class PolicyRule(msgspec.Struct, frozen=True):
    """One version of the rules for a measure kind (mirrors the ``policies`` table)."""

    kind: str
    version: int
    duration_days: int
    test_days: tuple[int, ...]
    checks_per_day: int
    effective_from: date

    def __post_init__(self) -> None:
        if self.duration_days < 1:
            raise ValueError("duration_days must be at least 1")
        if any(not 0 <= d < self.duration_days for d in self.test_days):
            raise ValueError("test_days must fall within the measure (0 .. duration_days - 1)")
        if list(self.test_days) != sorted(set(self.test_days)):
            raise ValueError("test_days must be increasing and distinct")
        if not 1 <= self.checks_per_day <= len(_SLOTS):
            raise ValueError(f"checks_per_day must be 1..{len(_SLOTS)}")


class Schedule(msgspec.Struct, frozen=True):
    """The dates of one episode: start (day 0), release date and nucleic-acid test dates."""

    start_date: date
    end_date: date
    test_dates: tuple[date, ...]


_EPOCH = date(2021, 1, 1)

DEFAULT_POLICIES: tuple[PolicyRule, ...] = (
    # The seed: "集中隔离14天, 2次核酸检测" - one test on entry, one on the last day before release.
    PolicyRule("central_quarantine", 1, 14, (0, 13), 2, _EPOCH),
    # Home quarantine follows the same 14 days and the same two tests.
    PolicyRule("home_quarantine", 1, 14, (0, 13), 2, _EPOCH),
    # Health monitoring: a test every 7 days counted from the entry test, i.e. offsets 0 and 7.
    # Offset 14 would be the release date, which is no longer part of the measure.
    PolicyRule("health_monitoring", 1, 14, (0, 7), 2, _EPOCH),
)


def policy_for(
    kind: str, on: date, policies: Iterable[PolicyRule] = DEFAULT_POLICIES
) -> PolicyRule:
    """The highest version of `kind` whose ``effective_from`` is on or before `on`.

    Use it only when an episode starts; a running episode keeps the policy it began under
    and passes that explicitly to :func:`schedule`.
    """
    candidates = [p for p in policies if p.kind == kind and p.effective_from <= on]
    if not candidates:
        raise NoPolicyError(f"no {kind!r} policy in effect on {on.isoformat()}")
    return max(candidates, key=lambda p: (p.version, p.effective_from))


def schedule(policy: PolicyRule, start_date: date) -> Schedule:
    """Release date ``start + duration_days`` and test dates ``start + offset``."""
    return Schedule(
        start_date=start_date,
        end_date=start_date + timedelta(days=policy.duration_days),
        test_dates=tuple(start_date + timedelta(days=d) for d in policy.test_days),
    )


def day_number(start_date: date, today: date) -> int:
    """The worker's "第N天": 1 on the start day; 0 or negative before the start."""
    return (today - start_date).days + 1


def slots_for(checks_per_day: int) -> tuple[CheckSlot, ...]:
    """The check slots of a day: one check is the morning one, two add the evening."""
    if not 1 <= checks_per_day <= len(_SLOTS):
        raise ValueError(f"checks_per_day must be 1..{len(_SLOTS)}, got {checks_per_day}")
    return _SLOTS[:checks_per_day]


def _under_measure(start_date: date, end_date: date | None, day: date) -> bool:
    return start_date <= day and (end_date is None or day < end_date)


def checks_due(
    start_date: date,
    end_date: date | None,
    status: str,
    today: date,
    done_slots: AbstractSet[str],
    checks_per_day: int,
) -> list[CheckSlot]:
    """The slots still to do today, in order.

    None before the start date, none on or after the release date (`end_date`, ``None`` for an
    open-ended measure), none unless the measure's status is ``"active"``.
    """
    slots = slots_for(checks_per_day)
    if status != MeasureStatus.ACTIVE or not _under_measure(start_date, end_date, today):
        return []
    return [slot for slot in slots if slot not in done_slots]


def missed_checks(
    start_date: date,
    end_date: date | None,
    today: date,
    done: Iterable[tuple[date, str]],
    checks_per_day: int,
) -> list[tuple[date, CheckSlot]]:
    """Every (date, slot) of a finished day under the measure with no check recorded.

    Days counted: from `start_date` up to, not including, the earlier of `end_date` and
    `today`. Today's open slots are "due" (:func:`checks_due`), not yet missed. For an
    episode that ended early, pass the day it actually ended as `end_date`.
    """
    slots = slots_for(checks_per_day)
    stop = today if end_date is None else min(end_date, today)
    done_set = set(done)
    missed: list[tuple[date, CheckSlot]] = []
    day = start_date
    while day < stop:
        missed.extend((day, slot) for slot in slots if (day, slot) not in done_set)
        day += timedelta(days=1)
    return missed


def tests_due(plan: Schedule, today: date, tests_taken_dates: Iterable[date]) -> list[date]:
    """Scheduled test dates on or before `today` that no test taken so far accounts for.

    Each test taken counts for the earliest still-open scheduled date on or before the day
    it was taken: a test a day late still settles the overdue one, but a test taken early
    does not replace a later scheduled test (the pre-release test must be near release).
    """
    open_dates = sorted(d for d in plan.test_dates if d <= today)
    for taken in sorted(tests_taken_dates):
        settled = next((d for d in open_dates if d <= taken), None)
        if settled is not None:
            open_dates.remove(settled)
    return open_dates


def census(
    measures: Iterable[tuple[str, date, date | None]], first: date, last: date
) -> dict[date, dict[str, int]]:
    """People under each measure kind on every day of [first, last]: a measure counts from
    its start day up to (not including) its release day, as ``measures_by_group`` counts.
    Every day is present (an empty dict when nobody is under a measure)."""
    days = (last - first).days + 1
    out: dict[date, dict[str, int]] = {first + timedelta(days=i): {} for i in range(days)}
    for kind, start, end in measures:
        since = max(start, first)
        until = last + timedelta(days=1) if end is None else min(end, last + timedelta(days=1))
        day = since
        while day < until:
            out[day][kind] = out[day].get(kind, 0) + 1
            day += timedelta(days=1)
    return out


#: the measure kinds that follow a policy (a hospital stay has none)
POLICY_KINDS: tuple[str, ...] = ("health_monitoring", "home_quarantine", "central_quarantine")
#: the longest measure a policy version may set
MAX_DURATION_DAYS = 60


def parse_test_days(text: str) -> tuple[int, ...] | None:
    """ "0, 13" (commas, Chinese commas or spaces) -> (0, 13); None when a part is not a
    whole number. An empty text is no test at all."""
    parts = [
        p for p in text.replace("，", ",").replace("、", ",").replace(" ", ",").split(",") if p
    ]
    if not all(p.isdigit() and len(p) <= 3 for p in parts):
        return None
    return tuple(int(p) for p in parts)


def new_version_problem(
    kind: str,
    duration_days: int,
    test_days: Iterable[int],
    checks_per_day: int,
    effective_from: date,
    existing: Iterable[PolicyRule],
    today: date | None = None,
) -> tuple[str, str] | None:
    """Why a new policy version cannot be added, as (field, reason), or None.

    Reasons: ``kind`` (not a measure kind with a policy), ``duration`` (1..60 days),
    ``test_days`` (each within the measure, increasing, distinct), ``checks`` (1 or 2 a
    day), ``past`` (it would start before `today`: measures already opened keep their
    version, so a version cannot reach back), ``before_latest`` (it would start before the
    kind's latest version, which would then never apply).
    """
    days = tuple(test_days)
    if kind not in POLICY_KINDS:
        return "kind", "kind"
    if not 1 <= duration_days <= MAX_DURATION_DAYS:
        return "duration_days", "duration"
    if any(not 0 <= d < duration_days for d in days) or list(days) != sorted(set(days)):
        return "test_days", "test_days"
    if not 1 <= checks_per_day <= len(_SLOTS):
        return "checks_per_day", "checks"
    if today is not None and effective_from < today:
        return "effective_from", "past"
    latest = max((p.effective_from for p in existing if p.kind == kind), default=None)
    if latest is not None and effective_from < latest:
        return "effective_from", "before_latest"
    return None


def next_version(kind: str, existing: Iterable[PolicyRule]) -> int:
    """The number the next version of `kind` takes: one above the highest so far."""
    return max((p.version for p in existing if p.kind == kind), default=0) + 1


def policy_state(policy: PolicyRule, policies: Iterable[PolicyRule], today: date) -> str:
    """ "current" (what a measure opened today follows), "upcoming" (takes over on its
    effective date) or "superseded" (measures opened under it keep it)."""
    if policy.effective_from > today:
        return "upcoming"
    try:
        current = policy_for(policy.kind, today, policies)
    except NoPolicyError:
        return "superseded"
    return "current" if current.version == policy.version else "superseded"
