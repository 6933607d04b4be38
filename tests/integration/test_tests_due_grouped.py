"""The supervisor's "tests due" and check figures, whose measures PostgreSQL groups by policy, start
day and sample days (server/quarantine/queries.py), equals the rule applied measure by
measure to the rows themselves, for every area of the demo county."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.accounts.guard import Principal
from server.accounts.values import Role
from server.areas.models import Area
from server.config import DEFAULT_TIMEZONE, Settings
from server.quarantine import queries
from server.quarantine.models import Check, Measure, Policy, Test
from server.quarantine.rules import PolicyRule, checks_due, missed_checks, schedule
from server.quarantine.rules import tests_due as open_tests
from server.quarantine.values import CheckSlot, MeasureStatus
from server.seed import Scale, seed_demo

pytestmark = pytest.mark.slow

DB = async_sessionmaker[AsyncSession]
TODAY = date(2026, 1, 20)
NOW = datetime(2026, 1, 20, 4, 0, tzinfo=UTC)  # local noon of the seed's day


async def one_by_one(session: AsyncSession, area: Area) -> int:
    """The rule over every running measure of the subtree, from the ORM rows."""
    zone = ZoneInfo(DEFAULT_TIMEZONE)
    policies = {p.id: p for p in (await session.execute(select(Policy))).scalars()}
    taken: dict[object, list[date]] = defaultdict(list)
    for test in (await session.execute(select(Test))).scalars():
        if not test.deleted and test.sampled_at is not None:
            taken[test.measure_id].append(test.sampled_at.astimezone(zone).date())
    paths = dict((await session.execute(select(Area.id, Area.path))).all())
    due = 0
    for m in (await session.execute(select(Measure))).scalars():
        running = (
            not m.deleted
            and m.status == MeasureStatus.ACTIVE
            and m.kind in queries.CHECKED_KINDS
            and m.start_date <= TODAY
            and (m.end_date is None or m.end_date > TODAY)
        )
        if not running or m.policy_id is None or not paths[m.area_id].startswith(area.path):
            continue
        p = policies[m.policy_id]
        rule = PolicyRule(
            p.kind, p.version, p.duration_days, tuple(p.test_days), p.checks_per_day,
            p.effective_from,
        )  # fmt: skip
        if open_tests(schedule(rule, m.start_date), TODAY, taken[m.id]):
            due += 1
    return due


async def test_tests_due_equals_the_rule_measure_by_measure(settings: Settings, db: DB) -> None:
    await seed_demo(settings, seed=3, today=TODAY, scale=Scale(towns=2, villages_per_town=2))
    async with db.begin() as session:
        # a sample taken a day late, one at local 00:30 (the day before in UTC), and a few
        # struck out (their measures owe a test again)
        tests = list(
            (await session.execute(select(Test).where(Test.sampled_at.is_not(None)))).scalars()
        )
        assert len(tests) >= 6
        struck = [t.id for t in tests[2:6]]
        await session.execute(update(Test).where(Test.id.in_(struck)).values(deleted=True))
        late = tests[0].sampled_at
        assert late is not None
        await session.execute(
            update(Test).where(Test.id == tests[0].id).values(sampled_at=late + timedelta(days=1))
        )
        midnight = datetime(2026, 1, 18, 16, 30, tzinfo=UTC)
        await session.execute(
            update(Test).where(Test.id == tests[1].id).values(sampled_at=midnight)
        )
    async with db() as session:
        areas = (await session.execute(select(Area).order_by(Area.path))).scalars().all()
        figures = []
        for area in areas[:12]:
            principal = Principal(
                user_id=1, role=Role.SUPERVISOR, area_id=area.id, area_path=area.path
            )
            got = await queries.tests_due(session, principal, NOW, DEFAULT_TIMEZONE)
            assert got == await one_by_one(session, area), area.path
            figures.append(got)
            # both ways of gathering the measures agree (PostgreSQL groups them in SQL)
            if session.get_bind().dialect.name == "postgresql":
                assert await queries._measures_by_samples_pg(
                    session, principal, TODAY, DEFAULT_TIMEZONE
                ) == await queries._measures_by_samples(session, principal, TODAY, DEFAULT_TIMEZONE)
        assert max(figures) > 0


async def test_checks_today_and_missed_equal_the_rule_measure_by_measure(
    settings: Settings, db: DB
) -> None:
    """Today's open check slots and yesterday's missed ones, read in one statement for
    the supervisor's home, equal the rule applied to each running measure's checks."""
    await seed_demo(settings, seed=3, today=TODAY, scale=Scale(towns=2, villages_per_town=2))
    yesterday = TODAY - timedelta(days=1)
    async with db.begin() as session:
        # a few of today's and yesterday's checks struck out
        days = (
            await session.execute(select(Check).where(Check.check_date.in_([TODAY, yesterday])))
        ).scalars()
        struck = [c.id for c in list(days)[::7]]
        assert struck
        await session.execute(update(Check).where(Check.id.in_(struck)).values(deleted=True))
    async with db() as session:
        policies = {p.id: p for p in (await session.execute(select(Policy))).scalars()}
        measures = list((await session.execute(select(Measure))).scalars())
        checks = list(
            (await session.execute(select(Check).where(Check.deleted.is_(False)))).scalars()
        )
        paths = dict((await session.execute(select(Area.id, Area.path))).all())
        areas = (await session.execute(select(Area).order_by(Area.path))).scalars().all()
        seen = []
        for area in areas[:12]:
            principal = Principal(
                user_id=1, role=Role.SUPERVISOR, area_id=area.id, area_path=area.path
            )
            got_today, got_missed = await queries.checks_today_and_missed(session, principal, TODAY)
            assert got_today == await queries.checks_today(session, principal, TODAY)
            assert got_missed == await queries.missed_checks_on(session, principal, yesterday)
            want_open = {slot.value: 0 for slot in CheckSlot}
            under = missed = 0
            for m in measures:
                if not paths[m.area_id].startswith(area.path):
                    continue
                per_day = policies[m.policy_id].checks_per_day if m.policy_id else len(CheckSlot)
                for day in (TODAY, yesterday):
                    running = (
                        not m.deleted
                        and m.status == MeasureStatus.ACTIVE
                        and m.kind in queries.CHECKED_KINDS
                        and m.start_date <= day
                        and (m.end_date is None or m.end_date > day)
                    )
                    if not running:
                        continue
                    done = {c.slot for c in checks if c.measure_id == m.id and c.check_date == day}
                    if day == TODAY:
                        under += 1
                        for slot in checks_due(day, None, MeasureStatus.ACTIVE, day, done, per_day):
                            want_open[slot] += 1
                    else:
                        end = day + timedelta(days=1)
                        missed += len(
                            missed_checks(day, end, end, [(day, s) for s in done], per_day)
                        )
            assert got_today == queries.ChecksToday(under_check=under, open_by_slot=want_open)
            assert got_missed == missed
            seen.append((under, missed))
        assert max(u for u, _ in seen) > 0
        assert max(m for _, m in seen) > 0
