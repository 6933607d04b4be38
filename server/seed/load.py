"""Writes the demo county into an empty database, in one transaction, with bulk inserts.

Every row of a synced or reference table takes its ``rev`` from the one RevAllocator of
the transaction, in insertion order, so the change feed starts at 1 and ends at
``sync_state.last_rev`` like any other write.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import User
from server.accounts.service import create_user
from server.areas.models import Area, Facility
from server.config import Settings
from server.db import make_engine, make_sessionmaker, transaction, utcnow
from server.fever.models import FeverEvent, FeverReport
from server.migrate import analyze
from server.models import Base
from server.people.models import Household, Person, RiskArea
from server.quarantine.models import Check, Measure, Policy, Test
from server.reminders.models import Reminder
from server.reports.models import DailyReport
from server.seed import names
from server.seed.activity import Activity, build_activity
from server.seed.alerts import raise_demo_alerts
from server.seed.county import Clock, County, Row, Scale, build_areas, build_ledger
from server.seed.reminders import demo_reminders
from server.sync.revs import RevAllocator
from server.timeutil import local_today
from server.visits.models import Campaign, Visit

DEFAULT_SEED = 2021
DEMO_PASSWORD = "demo1234"


@dataclass(frozen=True)
class DemoAccount:
    role: str
    phone: str
    name: str
    area_id: int
    facility_id: int | None
    area_label: str


@dataclass
class Demo:
    county: County
    activity: Activity
    accounts: list[DemoAccount]


def demo_accounts(seed: int, county: County) -> list[DemoAccount]:
    """One account per role around the first village of the first town, plus a second grid
    worker next door. The grid workers are their grids' posted leads, so their demo phones
    are written onto those grids."""
    rng = random.Random(f"{seed}:accounts")
    areas = {row["id"]: row for row in county.areas}
    facilities = {row["id"]: row["name"] for row in county.facilities}

    def label(area_id: int, facility_id: int | None) -> str:
        ids = [int(i) for i in areas[area_id]["path"].strip("/").split("/")]
        where = " ".join(areas[i]["name"] for i in (ids[1:] or ids))
        return f"{where} {facilities[facility_id]}" if facility_id else where

    def name() -> str:
        return names.person_name(rng, names.surname(rng), rng.choice(("male", "female")), 1980)

    town = county.towns[0]
    village = town.villages[0]
    first, second = village.grids[0], village.grids[1]
    for grid, phone in ((first, "13800000001"), (second, "13800000006")):
        areas[grid.id]["lead_phone"] = phone
    specs = [
        ("grid_worker", "13800000001", areas[first.id]["lead_name"], first.id, None),
        ("sentinel", "13800000002", name(), village.id, village.clinic_id),
        ("township_health", "13800000003", name(), town.id, town.centre_id),
        ("supervisor", "13800000004", name(), county.areas[1]["id"], None),
        ("admin", "13800000005", name(), county.areas[0]["id"], None),
        ("grid_worker", "13800000006", areas[second.id]["lead_name"], second.id, None),
    ]
    return [DemoAccount(r, p, n, a, f, label(a, f)) for r, p, n, a, f in specs]


def generate(seed: int, clock: Clock, scale: Scale | None = None) -> Demo:
    """The whole demo as rows; pure and deterministic for (seed, clock, scale)."""
    scale = scale or Scale()
    county = build_areas(seed, clock, scale)
    build_ledger(seed, clock, scale, county)
    activity = build_activity(seed, clock, county, county_area_id=county.areas[1]["id"])
    return Demo(county, activity, demo_accounts(seed, county))


def demo_accounts_text(seed: int = DEFAULT_SEED, scale: Scale | None = None) -> str:
    """The demo accounts as a small table for the terminal."""
    today = date.today()
    clock = Clock(today, utcnow(), ZoneInfo("UTC"))
    accounts = demo_accounts(seed, build_areas(seed, clock, scale or Scale()))
    lines = [
        f"Demo accounts 演示账号 (password 密码: {DEMO_PASSWORD})",
        f"  {'role':<16} {'phone':<12} {'password':<9} area",
    ]
    lines += [
        f"  {a.role:<16} {a.phone:<12} {DEMO_PASSWORD:<9} {a.area_label}  ({a.name})"
        for a in accounts
    ]
    return "\n".join(lines)


async def _create_user(session: AsyncSession, account: DemoAccount) -> int:
    user = await create_user(
        session,
        phone=account.phone,
        name=account.name,
        role=account.role,
        area_id=account.area_id,
        facility_id=account.facility_id,
        password=DEMO_PASSWORD,
        skip_password_policy=True,  # the demo's password is published; real users' are not
    )
    return user.id


def _stamp_authors(demo: Demo, user_ids: dict[str, int]) -> None:
    """Rows the demo users would have written carry their ids, as if made on their phones."""
    by_area = {a.area_id: user_ids[a.phone] for a in demo.accounts if a.role == "grid_worker"}
    act = demo.activity
    for rows in (
        demo.county.households,
        demo.county.persons,
        act.measures,
        act.checks,
        act.visits,
        act.daily_reports,
        act.tests,
    ):
        for row in rows:
            author = by_area.get(row["area_id"])
            row["created_by"] = row["updated_by"] = author
    sentinel = next(a for a in demo.accounts if a.role == "sentinel")
    township = next(a for a in demo.accounts if a.role == "township_health")
    town = demo.county.towns[0]
    town_facilities = {fid for fid, _ in town.sentinels}
    report_facility = {r["id"]: r["facility_id"] for r in act.fever_reports}
    for report in act.fever_reports:
        if report["facility_id"] == sentinel.facility_id:
            report["created_by"] = report["updated_by"] = user_ids[sentinel.phone]
    for row in act.fever_events:
        if report_facility[row["report_id"]] in town_facilities:
            row["created_by"] = row["updated_by"] = user_ids[township.phone]
    for row in act.tests:
        if row["fever_report_id"] and report_facility[row["fever_report_id"]] in town_facilities:
            row["created_by"] = row["updated_by"] = user_ids[township.phone]


async def _put(
    session: AsyncSession, alloc: RevAllocator | None, model: Any, rows: list[Row]
) -> None:
    if not rows:
        return
    if alloc is not None:
        for row in rows:
            row["rev"] = await alloc.next()
    # render_nulls keeps every row's column set identical, so the ORM sends one executemany
    # instead of one statement per run of rows with the same None pattern.
    await session.execute(insert(model).execution_options(render_nulls=True), rows)


async def write_demo(session: AsyncSession, demo: Demo, clock: Clock) -> None:
    """Insert everything in foreign-key order; revs follow the same order. Then the
    special reports those records would have raised (seed.alerts)."""
    alloc = RevAllocator(session)
    county, act = demo.county, demo.activity
    await _put(session, alloc, Area, county.areas)
    await _put(session, alloc, Facility, county.facilities)
    await _put(session, alloc, Policy, act.policies)
    await _put(session, alloc, Campaign, [act.campaign])
    await _put(session, alloc, RiskArea, act.risk_areas)
    user_ids = {a.phone: await _create_user(session, a) for a in demo.accounts}
    _stamp_authors(demo, user_ids)
    for model, rows in (
        (Household, county.households),
        (Person, county.persons),
        (Measure, act.measures),
        (Check, act.checks),
        (FeverReport, act.fever_reports),
        (FeverEvent, act.fever_events),
        (Test, act.tests),
        (Visit, act.visits),
        (DailyReport, act.daily_reports),
    ):
        await _put(session, alloc, model, rows)
    await _put(session, alloc, Reminder, demo_reminders(demo, clock, user_ids))
    await alloc.flush()
    await raise_demo_alerts(session, demo, clock, user_ids)
    if (await session.connection()).dialect.name == "postgresql":
        # Ids above were given explicitly; move the sequences past them for later inserts.
        for table in ("areas", "facilities", "policies", "campaigns", "risk_areas"):
            await session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            )


async def _is_empty(session: AsyncSession) -> tuple[bool, bool]:
    """(no users, nothing at all in the tables the demo fills)."""
    users = (await session.execute(select(func.count()).select_from(User))).scalar_one()
    others = 0
    for model in (Area, Household, Person, FeverReport):
        others += (await session.execute(select(func.count()).select_from(model))).scalar_one()
    return users == 0, users == 0 and others == 0


async def count_rows(session: AsyncSession) -> dict[str, int]:
    counts: dict[str, int] = {}
    for table in Base.metadata.sorted_tables:
        counts[table.name] = (
            await session.execute(select(func.count()).select_from(table))
        ).scalar_one()
    return counts


async def seed_demo(
    settings: Settings,
    *,
    seed: int = DEFAULT_SEED,
    if_empty: bool = False,
    today: date | None = None,
    now: datetime | None = None,
    scale: Scale | None = None,
) -> str:
    """Build the demo county in an empty database and return a printable summary.

    ``today`` defaults to the local date in ``settings.timezone`` and ``now`` to the current
    instant; with ``today`` given and no ``now``, the data is as of local noon that day, so
    a fixed ``today`` always gives the same rows. With ``if_empty`` nothing happens when a
    user exists; otherwise a non-empty database is refused with ValueError.
    """
    tz = ZoneInfo(settings.timezone)
    if today is None:
        now = now or utcnow()
        today = local_today(now, settings.timezone)
    elif now is None:
        now = datetime.combine(today, dtime(12, 0), tz)
    clock = Clock(today=today, now=now, tz=tz)
    engine = make_engine(settings.database_url)
    try:
        sessionmaker = make_sessionmaker(engine)
        started = time.perf_counter()
        async with transaction(sessionmaker) as session:
            no_users, empty = await _is_empty(session)
            if if_empty and not no_users:
                return "users exist: demo data not seeded (the database is left as it is)"
            if not empty:
                raise ValueError(
                    "the database is not empty; seed-demo fills only an empty database "
                    "(use --if-empty to skip when users exist)"
                )
            demo = generate(seed, clock, scale)
            generated = time.perf_counter()
            await write_demo(session, demo, clock)
        written = time.perf_counter()
        await analyze(engine)  # PostgreSQL: plans for the rows just loaded
        async with sessionmaker() as session:
            counts = await count_rows(session)
    finally:
        await engine.dispose()
    lines = [
        f"demo county seeded: seed {seed}, as of {today.isoformat()}, "
        f"{written - started:.1f} s (generate {generated - started:.1f} s, "
        f"write {written - generated:.1f} s)"
    ]
    lines += [f"  {name:<16} {n:>7}" for name, n in counts.items() if n]
    lines.append(demo_accounts_text(seed, scale))
    return "\n".join(lines)
