"""Read queries about measures, checks and tests, for pages.

SQL gathers and groups the rows; the pure rules of :mod:`server.quarantine.rules` decide
which checks are still due, which were missed and which tests are owed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Date, String, and_, case, cast, func, literal, or_, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.guard import Principal, in_subtree, in_subtree_path
from server.areas.models import Area
from server.areas.queries import Groups
from server.people.models import Person
from server.quarantine.models import Check, Measure, Policy, Test
from server.quarantine.rules import (
    DEFAULT_POLICIES,
    PolicyRule,
    checks_due,
    day_number,
    missed_checks,
    policy_state,
    schedule,
)
from server.quarantine.rules import tests_due as open_test_dates
from server.quarantine.values import CheckSlot, MeasureStatus, TestResult
from server.querying import PAGE_SIZE, Page, count_of, page_offset
from server.timeutil import local_today

#: measure kinds with a check schedule (hospital patients are followed by the hospital)
CHECKED_KINDS = frozenset(p.kind for p in DEFAULT_POLICIES)


def _running_on(day: date) -> ColumnElement[bool]:
    """Active checked measures under way on `day` (started, release date still ahead)."""
    return and_(
        Measure.deleted.is_(False),
        Measure.status == MeasureStatus.ACTIVE,
        Measure.kind.in_(CHECKED_KINDS),
        Measure.start_date <= day,
        or_(Measure.end_date.is_(None), Measure.end_date > day),
    )


#: (checks per day, slots done that day, how many measures)
SlotGroups = list[tuple[int, set[str], int]]


async def _slots_done_on(
    session: AsyncSession, principal: Principal, *days: date
) -> dict[date, SlotGroups]:
    """For each of `days`, (checks per day, slots done that day, how many measures) over
    every measure running that day in the subtree. SQL groups the measures by those, so a
    county's measures come back as a handful of rows; several days share one pass over
    the measures and their checks (the supervisor's home asks for today and yesterday)."""
    running = {day: case((_running_on(day), 1), else_=0) for day in days}
    done = {
        (day, slot): func.max(
            case((and_(Check.check_date == day, Check.slot == slot), 1), else_=0)
        ).label(f"d{i}_{slot}")
        for i, day in enumerate(days)
        for slot in CheckSlot
    }
    per_measure = (
        select(
            Measure.id,
            func.coalesce(Policy.checks_per_day, len(CheckSlot)).label("per_day"),
            *(flag.label(f"on{i}") for i, flag in enumerate(running.values())),
            *done.values(),
        )
        .outerjoin(Policy, Policy.id == Measure.policy_id)
        .outerjoin(
            Check,
            and_(
                Check.measure_id == Measure.id,
                Check.check_date.in_(days),
                Check.deleted.is_(False),
            ),
        )
        .where(or_(*(_running_on(day) for day in days)), in_subtree(Measure.area_id, principal))
        .group_by(Measure.id, Policy.checks_per_day)
        .subquery()
    )
    on = [per_measure.c[f"on{i}"] for i in range(len(days))]
    flags = [per_measure.c[f"d{i}_{slot}"] for i in range(len(days)) for slot in CheckSlot]
    cols = [per_measure.c.per_day, *on, *flags]
    rows = await session.execute(select(*cols, func.count()).group_by(*cols))
    groups: dict[date, SlotGroups] = {day: [] for day in days}
    width = len(CheckSlot)
    for per_day, *values, n in rows.all():
        ran, done_flags = values[: len(days)], values[len(days) :]
        for i, day in enumerate(days):
            if not ran[i]:
                continue
            mine = done_flags[i * width : (i + 1) * width]
            done_slots = {slot.value for slot, flag in zip(CheckSlot, mine, strict=True) if flag}
            groups[day].append((int(per_day), done_slots, int(n)))
    return groups


@dataclass(frozen=True, slots=True)
class ChecksToday:
    under_check: int = 0
    open_by_slot: dict[str, int] = field(default_factory=dict)

    @property
    def open_total(self) -> int:
        return sum(self.open_by_slot.values())


async def checks_today(session: AsyncSession, principal: Principal, today: date) -> ChecksToday:
    """Check slots still open today over every active measure in the subtree."""
    return _open_today((await _slots_done_on(session, principal, today))[today], today)


async def missed_checks_on(session: AsyncSession, principal: Principal, day: date) -> int:
    """Check slots of a finished `day` (yesterday, on the supervisor's home) nobody did."""
    return _missed_on((await _slots_done_on(session, principal, day))[day], day)


async def checks_today_and_missed(
    session: AsyncSession, principal: Principal, today: date
) -> tuple[ChecksToday, int]:
    """:func:`checks_today` and :func:`missed_checks_on` yesterday, from one statement."""
    yesterday = today - timedelta(days=1)
    groups = await _slots_done_on(session, principal, today, yesterday)
    return _open_today(groups[today], today), _missed_on(groups[yesterday], yesterday)


def _open_today(groups: SlotGroups, today: date) -> ChecksToday:
    under, open_by_slot = 0, {slot.value: 0 for slot in CheckSlot}
    for per_day, done_slots, n in groups:
        # the SQL kept measures running today, so the rule's window check is met by
        # passing today as the start and no release date
        for slot in checks_due(today, None, MeasureStatus.ACTIVE, today, done_slots, per_day):
            open_by_slot[slot] += n
        under += n
    return ChecksToday(under_check=under, open_by_slot=open_by_slot)


def _missed_on(groups: SlotGroups, day: date) -> int:
    missed = 0
    for per_day, done_slots, n in groups:
        # the SQL kept measures running on `day`: the rule looks at that one day only
        done = [(day, slot) for slot in done_slots]
        missed += n * len(
            missed_checks(day, day + timedelta(days=1), day + timedelta(days=1), done, per_day)
        )
    return missed


async def tests_pending(session: AsyncSession, principal: Principal) -> int:
    """Samples taken and waiting for the lab's result."""
    return await count_of(
        session,
        select(func.count(Test.id)).where(
            Test.deleted.is_(False),
            Test.result == TestResult.PENDING,
            Test.sampled_at.is_not(None),
            in_subtree(Test.area_id, principal),
        ),
    )


async def tests_due(
    session: AsyncSession, principal: Principal, now: datetime, timezone: str
) -> int:
    """Persons under a measure with a scheduled test (today or earlier) not yet sampled.

    The rule (:func:`server.quarantine.rules.tests_due`) needs each measure's schedule
    (its policy and start day) and the local days its samples were taken on; measures
    alike in those three answer alike. On PostgreSQL the SQL groups them so (a county of
    a million people has tens of thousands of measures running, and a few thousand kinds
    of them); elsewhere one row per measure and one per sample come back.
    """
    today = local_today(now, timezone)
    rules = {
        policy.id: PolicyRule(
            kind=policy.kind,
            version=policy.version,
            duration_days=policy.duration_days,
            test_days=tuple(policy.test_days),
            checks_per_day=policy.checks_per_day,
            effective_from=policy.effective_from,
        )
        for policy in (await session.execute(select(Policy))).scalars()
    }
    if session.get_bind().dialect.name == "postgresql":
        kinds = await _measures_by_samples_pg(session, principal, today, timezone)
    else:
        kinds = await _measures_by_samples(session, principal, today, timezone)
    # a city has tens of thousands of measures but few (policy, start day) pairs
    schedules: dict[tuple[int, date], Any] = {}
    due = 0
    for (policy_id, start, taken), n in kinds.items():
        if policy_id not in rules:
            continue
        key = (policy_id, start)
        if key not in schedules:
            schedules[key] = schedule(rules[policy_id], start)
        if open_test_dates(schedules[key], today, taken):
            due += n
    return due


#: (policy, start day, local days of the samples taken, sorted) -> measures so
MeasureKinds = dict[tuple[int, date, tuple[date, ...]], int]


def _running_scheduled(principal: Principal, today: date) -> list[ColumnElement[bool]]:
    return [
        _running_on(today),
        Measure.policy_id.is_not(None),
        in_subtree(Measure.area_id, principal),
    ]


async def _measures_by_samples(
    session: AsyncSession, principal: Principal, today: date, timezone: str
) -> MeasureKinds:
    """One row per measure running today, then one per sample taken for them."""
    running = await session.execute(
        select(Measure.id, Measure.start_date, Measure.policy_id).where(
            *_running_scheduled(principal, today)
        )
    )
    measures = {mid: (int(pid or 0), start) for mid, start, pid in running.all()}
    if not measures:
        return {}
    taken: dict[object, list[date]] = defaultdict(list)
    samples = await session.execute(
        select(Test.measure_id, Test.sampled_at)
        .join(Measure, Measure.id == Test.measure_id)
        .where(
            Test.deleted.is_(False),
            Test.sampled_at.is_not(None),
            *_running_scheduled(principal, today),
        )
    )
    zone = ZoneInfo(timezone)
    for sampled_for, sampled_at in samples.all():
        if sampled_at is not None:  # the WHERE says so; the column type does not
            taken[sampled_for].append(sampled_at.astimezone(zone).date())
    kinds: MeasureKinds = defaultdict(int)
    for mid, (policy_id, start) in measures.items():
        kinds[(policy_id, start, tuple(sorted(taken[mid])))] += 1
    return dict(kinds)


async def _measures_by_samples_pg(
    session: AsyncSession, principal: Principal, today: date, timezone: str
) -> MeasureKinds:
    """The same, grouped by PostgreSQL: each measure's local sample days as one sorted
    text ("2026-01-03,2026-01-09"), then the measures counted per policy, start and days."""
    local_day = cast(func.timezone(timezone, Test.sampled_at), Date)
    days = func.string_agg(cast(local_day, String), aggregate_order_by(literal(","), local_day))
    per_measure = (
        select(
            Measure.policy_id.label("policy_id"),
            Measure.start_date.label("start_date"),
            days.label("days"),
        )
        .outerjoin(
            Test,
            and_(
                Test.measure_id == Measure.id,
                Test.deleted.is_(False),
                Test.sampled_at.is_not(None),
            ),
        )
        .where(*_running_scheduled(principal, today))
        .group_by(Measure.id, Measure.policy_id, Measure.start_date)
        .subquery()
    )
    rows = await session.execute(
        select(
            per_measure.c.policy_id, per_measure.c.start_date, per_measure.c.days, func.count()
        ).group_by(per_measure.c.policy_id, per_measure.c.start_date, per_measure.c.days)
    )
    kinds: MeasureKinds = {}
    for pid, start, days, n in rows.all():
        taken = tuple(date.fromisoformat(d) for d in days.split(",")) if days else ()
        kinds[(int(pid), start, taken)] = int(n)
    return kinds


# --- per child area (server.areas.queries.Groups): one statement per figure -------------


async def measures_by_group(
    session: AsyncSession, groups: Groups, day: date
) -> dict[int, dict[str, int]]:
    """Measures under way on `day` (any kind, not cancelled) by kind, per group."""
    g, home = groups.group, groups.home
    rows = await session.execute(
        select(g.id, Measure.kind, func.count(Measure.id))
        .join(home, groups.under)
        .join(Measure, Measure.area_id == home.id)
        .where(
            groups.where,
            Measure.deleted.is_(False),
            Measure.status != MeasureStatus.CANCELLED,
            Measure.start_date <= day,
            or_(Measure.end_date.is_(None), Measure.end_date > day),
        )
        .group_by(g.id, Measure.kind)
    )
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for gid, kind, n in rows.all():
        out[gid][kind] = int(n)
    return dict(out)


@dataclass(frozen=True, slots=True)
class GroupChecks:
    #: persons under a checked measure that day
    under_check: int = 0
    #: slots of the day not done: still due when the day is today, missed when it is past
    not_done: int = 0


async def checks_by_group(
    session: AsyncSession, groups: Groups, day: date, today: date
) -> dict[int, GroupChecks]:
    """Check slots of `day` per group: still due (today) or missed (a finished day)."""
    g, home = groups.group, groups.home
    done = {
        slot: func.max(case((Check.slot == slot, 1), else_=0)).label(slot) for slot in CheckSlot
    }
    per_measure = (
        select(
            g.id.label("gid"),
            Measure.id,
            func.coalesce(Policy.checks_per_day, len(CheckSlot)).label("per_day"),
            *done.values(),
        )
        .join(home, groups.under)
        .join(Measure, Measure.area_id == home.id)
        .outerjoin(Policy, Policy.id == Measure.policy_id)
        .outerjoin(
            Check,
            and_(
                Check.measure_id == Measure.id,
                Check.check_date == day,
                Check.deleted.is_(False),
            ),
        )
        .where(groups.where, _running_on(day))
        .group_by(g.id, Measure.id, Policy.checks_per_day)
        .subquery()
    )
    cols = [
        per_measure.c.gid,
        per_measure.c.per_day,
        *(per_measure.c[slot] for slot in CheckSlot),
    ]
    rows = await session.execute(select(*cols, func.count()).group_by(*cols))
    under: dict[int, int] = defaultdict(int)
    open_: dict[int, int] = defaultdict(int)
    for gid, per_day_raw, *flags, n in rows.all():
        per_day = int(per_day_raw)
        done_slots = {slot.value for slot, flag in zip(CheckSlot, flags, strict=True) if flag}
        under[gid] += int(n)
        if day >= today:
            slots = len(checks_due(day, None, MeasureStatus.ACTIVE, day, done_slots, per_day))
        else:
            after = day + timedelta(days=1)
            done_on = [(day, s) for s in done_slots]
            slots = len(missed_checks(day, after, after, done_on, per_day))
        open_[gid] += int(n) * slots
    return {gid: GroupChecks(under_check=n, not_done=open_[gid]) for gid, n in under.items()}


# --- line lists --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MeasureRow:
    """A person under a measure on a day: 第N天 of M, the day's open or missed check
    slots, scheduled tests not taken, and the last check's temperature."""

    person_id: str
    name: str
    kind: str
    area: str
    start_date: date
    day_n: int
    of_m: int | None
    not_done: list[str]
    tests_open: list[date]
    last_temperature: float | None


MEASURE_SORTS = ("start", "name", "kind", "area")


async def measures_on(
    session: AsyncSession,
    area_path: str,
    *,
    day: date,
    today: date,
    timezone: str,
    kind: str | None,
    not_done_only: bool,
    sort: str,
    page: int,
) -> Page[MeasureRow]:
    """Persons under a checked measure running on `day` under `area_path` (optionally only
    those with check slots not done that day): a count and one page, then the page's
    checks and samples in two statements."""
    done_count = (
        select(func.count(func.distinct(Check.slot)))
        .where(
            Check.measure_id == Measure.id,
            Check.check_date == day,
            Check.deleted.is_(False),
        )
        .scalar_subquery()
    )
    per_day = func.coalesce(Policy.checks_per_day, len(CheckSlot))
    where = [_running_on(day), in_subtree_path(Area.path, area_path)]
    if kind is not None:
        where.append(Measure.kind == kind)
    if not_done_only:
        where.append(done_count < per_day)
    base = (
        select(Measure.id, Person.id, Person.name, Measure.kind, Area.name, Measure.start_date)
        .add_columns(Policy)
        .join(Person, Person.id == Measure.person_id)
        .join(Area, Area.id == Measure.area_id)
        .outerjoin(Policy, Policy.id == Measure.policy_id)
        .where(*where)
    )
    total = await count_of(session, select(func.count()).select_from(base.subquery()))
    order = {
        "start": Measure.start_date.desc(),
        "name": Person.name,
        "kind": Measure.kind,
        "area": Area.code,
    }[sort]
    found = (
        await session.execute(
            base.order_by(order, Measure.id).offset(page_offset(page)).limit(PAGE_SIZE)
        )
    ).all()
    ids = [row[0] for row in found]
    done: dict[Any, set[str]] = defaultdict(set)
    last_temp: dict[Any, float | None] = {}
    taken: dict[Any, list[date]] = defaultdict(list)
    if ids:
        checks = await session.execute(
            select(Check.measure_id, Check.check_date, Check.slot, Check.temperature)
            .where(Check.measure_id.in_(ids), Check.deleted.is_(False), Check.check_date <= day)
            .order_by(Check.check_date, Check.checked_at)
        )
        for mid, on, slot, temperature in checks.all():
            if on == day:
                done[mid].add(slot)
            last_temp[mid] = temperature
        samples = await session.execute(
            select(Test.measure_id, Test.sampled_at).where(
                Test.measure_id.in_(ids), Test.deleted.is_(False), Test.sampled_at.is_not(None)
            )
        )
        for sampled_for, sampled in samples.all():
            if sampled is not None:
                taken[sampled_for].append(local_today(sampled, timezone))
    rows = []
    for mid, pid, name, kind_, area, start, policy in found:
        per = policy.checks_per_day if policy else len(CheckSlot)
        if day >= today:
            open_slots = [str(s) for s in checks_due(start, None, "active", day, done[mid], per)]
        else:
            after = day + timedelta(days=1)
            done_on = [(day, s) for s in done[mid]]
            open_slots = [str(s) for _d, s in missed_checks(day, after, after, done_on, per)]
        tests: list[date] = []
        if policy is not None:
            plan = schedule(_rule(policy), start)
            tests = open_test_dates(plan, day, [d for d in taken[mid] if d <= day])
        rows.append(
            MeasureRow(
                person_id=str(pid),
                name=name,
                kind=kind_,
                area=area,
                start_date=start,
                day_n=day_number(start, day),
                of_m=policy.duration_days if policy else None,
                not_done=open_slots,
                tests_open=tests,
                last_temperature=last_temp.get(mid),
            )
        )
    return Page(rows, total, page)


def _rule(policy: Policy) -> PolicyRule:
    return PolicyRule(
        kind=policy.kind,
        version=policy.version,
        duration_days=policy.duration_days,
        test_days=tuple(policy.test_days),
        checks_per_day=policy.checks_per_day,
        effective_from=policy.effective_from,
    )


async def measures_between(
    session: AsyncSession, area_path: str, first: date, last: date
) -> list[tuple[str, date, date | None]]:
    """(kind, start, release day) of every measure under `area_path` that runs on some day
    of [first, last] (not cancelled): one statement, for the census chart (rules.census)."""
    rows = await session.execute(
        select(Measure.kind, Measure.start_date, Measure.end_date)
        .join(Area, Area.id == Measure.area_id)
        .where(
            Measure.deleted.is_(False),
            Measure.status != MeasureStatus.CANCELLED,
            Measure.start_date <= last,
            or_(Measure.end_date.is_(None), Measure.end_date > first),
            in_subtree_path(Area.path, area_path),
        )
    )
    return [(kind, start, end) for kind, start, end in rows.all()]


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    id: int
    kind: str
    version: int
    duration_days: int
    test_days: tuple[int, ...]
    checks_per_day: int
    effective_from: date
    note: str
    #: "current", "upcoming" or "superseded" (rules.policy_state)
    state: str
    #: running measures opened under this version (they keep it)
    running: int


async def policy_versions(session: AsyncSession, today: date) -> list[PolicyVersion]:
    """Every policy version, by kind and newest first, with its state today and the number
    of running measures that follow it (one grouped count)."""
    stored = (
        (await session.execute(select(Policy).order_by(Policy.kind, Policy.version.desc())))
        .scalars()
        .all()
    )
    running = {
        int(pid or 0): int(n)
        for pid, n in (
            await session.execute(
                select(Measure.policy_id, func.count(Measure.id))
                .where(
                    Measure.deleted.is_(False),
                    Measure.status == MeasureStatus.ACTIVE,
                    Measure.policy_id.is_not(None),
                )
                .group_by(Measure.policy_id)
            )
        ).all()
    }
    rules = [_rule(p) for p in stored]
    return [
        PolicyVersion(
            id=p.id,
            kind=p.kind,
            version=p.version,
            duration_days=p.duration_days,
            test_days=tuple(p.test_days),
            checks_per_day=p.checks_per_day,
            effective_from=p.effective_from,
            note=p.note,
            state=policy_state(rule, rules, today),
            running=running.get(p.id, 0),
        )
        for p, rule in zip(stored, rules, strict=True)
    ]
