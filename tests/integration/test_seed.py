"""The demo county: deterministic, complete in its states, consistent, and quick to build."""

from __future__ import annotations

import hashlib
import json
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import pytest
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.accounts.models import User
from server.accounts.passwords import verify_password
from server.alerts.models import Alert
from server.areas.models import Area, Facility
from server.cli import main as cli_main
from server.config import Settings
from server.db import make_engine, make_sessionmaker
from server.fever.models import FeverEvent, FeverReport
from server.fever.rules import report_timeliness, state_from_events
from server.fever.values import FeverState
from server.models import Base
from server.people.models import Household, Person, RiskArea
from server.people.rules import (
    certificate_state,
    check_id_number,
    check_past_date,
    check_phone,
    required_measure,
    risk_category_for,
)
from server.people.values import PersonCategory
from server.quarantine.models import Check, Measure, Policy, Test
from server.quarantine.rules import DEFAULT_POLICIES, schedule
from server.registry import REGISTRY
from server.reminders.models import Reminder
from server.reports.models import DailyReport
from server.reports.rules import daily_report_id
from server.seed import DEMO_PASSWORD, Scale, demo_accounts_text, seed_demo
from server.seed.load import count_rows
from server.seed.names import id_check_digit
from server.sync.models import SyncState
from server.visits.models import Visit
from tests.conftest import create_schema

# Seeding the demo county takes seconds per test: `make slow`, not `make unit`.
pytestmark = pytest.mark.slow

TODAY = date(2026, 1, 20)
SMALL = Scale(towns=2, villages_per_town=2, households_per_village=30)
DEMO_TABLES = (
    "areas", "facilities", "policies", "campaigns", "users", "households", "persons",
    "measures", "checks", "tests", "visits", "fever_reports", "fever_events", "daily_reports",
    "alerts",
)  # fmt: skip
# Users get created_at from the wall clock and a salted hash: compare what the seed chose.
SKIP_COLUMNS = {"users": {"created_at", "password_hash"}}

Sessions = async_sessionmaker[AsyncSession]

#: each device-written collection's wire fields and schema, from its declaration
FIELDS = {c.name: c.fields for c in REGISTRY.ordered if c.fields}
SCHEMAS = {c.name: c.schema for c in REGISTRY.ordered if c.schema is not None}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value) if value is not None else None


async def _digest(db: Sessions) -> str:
    """One hash over every column of every row the seed writes, in a stable order."""
    sha = hashlib.sha256()
    async with db() as session:
        for name in DEMO_TABLES:
            table: Table = Base.metadata.tables[name]
            cols = [c for c in table.columns if c.name not in SKIP_COLUMNS.get(name, set())]
            rows = (await session.execute(select(*cols))).all()
            for line in sorted(repr(tuple(_plain(v) for v in r)) for r in rows):
                sha.update(f"{name}{line}".encode())
    return sha.hexdigest()


async def _seed_sqlite_file(path: Path, seed: int) -> str:
    url = f"sqlite+aiosqlite:///{path}"
    await create_schema(url)
    await seed_demo(Settings(database_url=url), seed=seed, today=TODAY, scale=SMALL)
    engine = make_engine(url)
    try:
        return await _digest(make_sessionmaker(engine))
    finally:
        await engine.dispose()


async def test_same_seed_and_day_give_the_same_rows(
    settings: Settings, db: Sessions, tmp_path: Path
) -> None:
    await seed_demo(settings, seed=7, today=TODAY, scale=SMALL)
    here = await _digest(db)
    # A fresh SQLite file with the same seed and day: identical, whichever database ran first.
    assert await _seed_sqlite_file(tmp_path / "again.db", seed=7) == here
    assert await _seed_sqlite_file(tmp_path / "other.db", seed=8) != here


async def test_every_state_is_present(settings: Settings, db: Sessions) -> None:
    await seed_demo(settings, seed=3, today=TODAY, scale=SMALL)
    async with db() as s:
        persons = (await s.execute(select(Person))).scalars().all()
        measures = (await s.execute(select(Measure))).scalars().all()
        reports = (await s.execute(select(FeverReport))).scalars().all()
        events = (await s.execute(select(FeverEvent))).scalars().all()
        tests = (await s.execute(select(Test))).scalars().all()
        visits = (await s.execute(select(Visit))).scalars().all()
        dailies = (await s.execute(select(DailyReport))).scalars().all()
        grids = (await s.execute(select(Area.id).where(Area.level == "grid"))).scalars().all()
        checks = (await s.execute(select(Check))).scalars().all()
    assert {p.category for p in persons} == set(PersonCategory)
    returnees = [p for p in persons if p.category != "resident"]
    assert all(p.arrival_date and p.origin for p in returnees)
    certs = {certificate_state(p.certificate_date, p.arrival_date, TODAY) for p in returnees}
    assert certs == {"valid", "expired", "missing"}
    assert {m.kind for m in measures} == {
        "health_monitoring", "home_quarantine", "central_quarantine", "hospital"
    }  # fmt: skip
    assert {m.kind for m in measures if m.status == "active"} == {m.kind for m in measures}
    assert {m.status for m in measures} == {"active", "released"}
    assert len({m.start_date for m in measures if m.status == "active"}) >= 7  # various days

    assert {r.state for r in reports} == set(FeverState)
    now = datetime(2026, 1, 20, 4, 0, tzinfo=UTC)  # local noon: the seed's "now"
    timeliness = {report_timeliness(r.seen_at, r.received_at, now) for r in reports}
    assert timeliness == {"on_time", "late"}
    by_report: dict[Any, list[str]] = defaultdict(list)
    for e in events:
        by_report[e.report_id].append(e.kind)
    for r in reports:
        assert state_from_events(by_report[r.id]) == r.state
        assert (r.result is not None) == (r.state == "resulted")
    # the county's one positive result: report, result event and test agree
    positive = [r for r in reports if r.result == "positive"]
    assert len(positive) == 1
    assert [(e.kind, e.result) for e in events if e.report_id == positive[0].id][-1] == (
        "resulted",
        "positive",
    )
    fever_tests = {t.fever_report_id: t for t in tests if t.reason == "fever"}
    assert set(fever_tests) == {r.id for r in reports if r.state in ("sampled", "sent", "resulted")}
    assert {t.result for t in tests} == {"pending", "negative", "positive"}
    assert [t.fever_report_id for t in tests if t.result == "positive"] == [positive[0].id]
    assert any(r.seen_at_device != r.seen_at for r in reports)  # some phone clocks are off

    assert {v.outcome for v in visits} >= {"visited", "nobody_home"}
    assert {c.slot for c in checks} == {"morning", "evening"}
    assert any(c.temperature is not None and c.temperature >= 37.3 for c in checks)
    filed = {(d.area_id, d.report_date) for d in dailies}
    past = {(g, TODAY - timedelta(days=n)) for g in grids for n in range(1, 15)}
    assert filed <= past | {(g, TODAY) for g in grids}
    assert 0 < len(past - filed) < len(past) * 0.15  # a few missing, not many
    assert {d.is_zero for d in dailies} == {True, False}


async def test_revs_are_unique_increasing_and_counted(settings: Settings, db: Sessions) -> None:
    await seed_demo(settings, seed=5, today=TODAY, scale=SMALL)
    revs: list[int] = []
    async with db() as s:
        for table in Base.metadata.sorted_tables:
            if "rev" in table.columns and table.name not in ("sync_state",):
                revs += (await s.execute(select(table.c.rev))).scalars().all()
        last = (await s.execute(select(SyncState.last_rev))).scalar_one()
        area_revs = (await s.execute(select(Area.rev).order_by(Area.id))).scalars().all()
        household_min = (await s.execute(select(Household.rev).order_by(Household.rev))).first()
        daily_max = (await s.execute(select(DailyReport.rev).order_by(-DailyReport.rev))).first()
        # this morning's reminders (about yesterday's missing reports) come last
        reminder_revs = (await s.execute(select(Reminder.rev))).scalars().all()
    assert sorted(revs) == list(range(1, len(revs) + 1))  # one number per row, no gaps
    assert last == len(revs)
    assert area_revs == sorted(area_revs)
    assert area_revs[0] == 1
    assert household_min is not None
    assert daily_max is not None
    assert household_min[0] > max(area_revs)
    assert all(r > daily_max[0] for r in reminder_revs)
    assert max([daily_max[0], *reminder_revs]) == last


async def test_demo_users_sign_in(settings: Settings, db: Sessions) -> None:
    await seed_demo(settings, seed=5, today=TODAY, scale=SMALL)
    async with db() as s:
        users = {u.phone: u for u in (await s.execute(select(User))).scalars().all()}
        areas = {a.id: a for a in (await s.execute(select(Area))).scalars().all()}
        facilities = {f.id: f for f in (await s.execute(select(Facility))).scalars().all()}
    roles = {phone: u.role for phone, u in users.items()}
    assert roles == {
        "13800000001": "grid_worker", "13800000002": "sentinel",
        "13800000003": "township_health", "13800000004": "supervisor",
        "13800000005": "admin", "13800000006": "grid_worker",
    }  # fmt: skip
    for user in users.values():
        assert verify_password(user.password_hash, DEMO_PASSWORD)
        assert not verify_password(user.password_hash, "wrong-password")
    levels = {phone: areas[u.area_id].level for phone, u in users.items()}
    assert levels == {
        "13800000001": "grid", "13800000002": "village", "13800000003": "town",
        "13800000004": "county", "13800000005": "city", "13800000006": "grid",
    }  # fmt: skip
    sentinel, township = users["13800000002"], users["13800000003"]
    assert sentinel.facility_id
    assert facilities[sentinel.facility_id].kind == "village_clinic"
    assert township.facility_id
    assert facilities[township.facility_id].kind == "township_health_centre"
    grid = areas[users["13800000001"].area_id]
    assert (grid.lead_name, grid.lead_phone) == (users["13800000001"].name, "13800000001")
    assert users["13800000006"].area_id != grid.id


async def test_if_empty_seeds_once_and_a_full_database_is_refused(
    settings: Settings, db: Sessions
) -> None:
    first = await seed_demo(settings, seed=1, today=TODAY, scale=SMALL, if_empty=True)
    assert "households" in first
    assert "13800000001" in first
    async with db() as s:
        before = await count_rows(s)
    again = await seed_demo(settings, seed=1, today=TODAY, scale=SMALL, if_empty=True)
    assert "not seeded" in again
    with pytest.raises(ValueError, match="not empty"):
        await seed_demo(settings, seed=1, today=TODAY, scale=SMALL)
    async with db() as s:
        assert await count_rows(s) == before


async def test_rows_are_consistent(settings: Settings, db: Sessions) -> None:
    await seed_demo(settings, seed=11, today=TODAY, scale=SMALL)
    async with db() as s:
        areas = {a.id: a for a in (await s.execute(select(Area))).scalars().all()}
        facilities = {f.id: f for f in (await s.execute(select(Facility))).scalars().all()}
        households = {h.id: h for h in (await s.execute(select(Household))).scalars().all()}
        persons = {p.id: p for p in (await s.execute(select(Person))).scalars().all()}
        measures = (await s.execute(select(Measure))).scalars().all()
        policies = {p.id: p for p in (await s.execute(select(Policy))).scalars().all()}
        checks = (await s.execute(select(Check))).scalars().all()
        reports = {r.id: r for r in (await s.execute(select(FeverReport))).scalars().all()}
        events = (await s.execute(select(FeverEvent))).scalars().all()
        tests = (await s.execute(select(Test))).scalars().all()
        visits = (await s.execute(select(Visit))).scalars().all()
        dailies = (await s.execute(select(DailyReport))).scalars().all()

    for area in areas.values():
        parent_path = areas[area.parent_id].path if area.parent_id else "/"
        assert area.path == f"{parent_path}{area.id}/"
    assert all(h.area_id in areas and areas[h.area_id].level == "grid" for h in households.values())
    for p in persons.values():
        assert p.area_id == households[p.household_id].area_id
        assert p.id_number
        assert len(p.id_number) == 18
        assert p.id_number[17] == id_check_digit(p.id_number[:17])
        assert p.id_number[6:10] == str(p.birth_year)
        assert int(p.id_number[16]) % 2 == (1 if p.sex == "male" else 0)
    assert min(_sizes(persons.values())) >= 2
    assert max(_sizes(persons.values())) <= 6
    tz = ZoneInfo(settings.timezone)
    for p in persons.values():  # a returnee enters the ledger the day they arrive
        entered = p.created_at.astimezone(tz).date()
        assert entered == p.arrival_date if p.category != "resident" else entered < TODAY
    names_in_household = {(p.household_id, p.name) for p in persons.values()}
    assert len(names_in_household) == len(persons)  # no two namesakes under one roof

    active = {m.person_id: m.kind for m in measures if m.status == "active"}
    assert len(active) == sum(m.status == "active" for m in measures)  # one running each
    for p in persons.values():
        assert p.measure == active.get(p.id, "none")
    rules = {p.kind: p for p in DEFAULT_POLICIES}
    for m in measures:
        assert m.area_id == persons[m.person_id].area_id
        if m.policy_id is None:
            assert m.kind == "hospital"
            assert m.end_date is None
            continue
        assert policies[m.policy_id].kind == m.kind
        plan = schedule(rules[m.kind], m.start_date)
        assert m.end_date == plan.end_date
        assert (m.status == "released") == (plan.end_date <= TODAY)
    by_id = {m.id: m for m in measures}
    for c in checks:
        m = by_id[c.measure_id]
        assert c.person_id == m.person_id
        assert c.area_id == m.area_id
        assert m.start_date <= c.check_date <= TODAY
        assert m.end_date is None or c.check_date < m.end_date
    for v in visits:
        assert v.area_id == households[v.household_id].area_id

    for r in reports.values():
        facility = facilities[r.facility_id]
        assert r.area_id == facility.area_id
        assert facility.kind in ("village_clinic", "private_clinic", "pharmacy")
    for e in events:
        assert e.area_id == reports[e.report_id].area_id
        assert e.at >= reports[e.report_id].seen_at
    for t in tests:
        if t.fever_report_id is not None:
            assert t.area_id == reports[t.fever_report_id].area_id
        else:
            assert t.measure_id is not None
            assert t.area_id == persons[t.person_id].area_id
    for d in dailies:
        assert areas[d.area_id].level == "grid"
        assert d.id == daily_report_id(d.area_id, d.report_date)


def _sizes(persons: Any) -> list[int]:
    sizes: dict[Any, int] = defaultdict(int)
    for p in persons:
        sizes[p.household_id] += 1
    return list(sizes.values())


async def test_full_county_on_sqlite(tmp_path: Path) -> None:
    """The real demo size, on SQLite only: `make run` seeds it on first start."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'county.db'}"
    await create_schema(url)
    started = time.perf_counter()
    summary = await seed_demo(Settings(database_url=url), today=TODAY)
    elapsed = time.perf_counter() - started
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as s:
            counts = await count_rows(s)
            levels = (await s.execute(select(Area.level))).scalars().all()
    finally:
        await engine.dispose()
    assert elapsed < 60, f"seeding took {elapsed:.1f} s"
    assert [levels.count(x) for x in ("city", "county", "town", "village")] == [1, 1, 3, 24]
    assert 48 <= levels.count("grid") <= 96
    assert 3_000 <= counts["households"] <= 4_300
    assert 10_000 <= counts["persons"] <= 16_000
    assert counts["facilities"] == 24 + 3 * 5
    assert counts["users"] == 6
    assert 1 < counts["alerts"] <= 60  # the last three days' high-risk arrivals, a positive
    for name in ("households", "persons", "measures", "checks", "fever_reports"):
        assert f"{name}" in summary
        assert str(counts[name]) in summary
    # The accounts printed by `make run` are the ones that exist in the seeded database.
    assert demo_accounts_text() in summary


def test_demo_accounts_command_prints_every_role(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["demo-accounts"]) == 0
    out = capsys.readouterr().out
    for phone in ("13800000001", "13800000002", "13800000003", "13800000004", "13800000005"):
        assert phone in out
    for role in ("grid_worker", "sentinel", "township_health", "supervisor", "admin"):
        assert role in out
    assert DEMO_PASSWORD in out
    assert "第一网格" in out


async def test_rows_fit_the_sync_schemas(settings: Settings, db: Sessions) -> None:
    """What the demo holds is what a device could have sent: every field passes the wire
    schema, so the pages and the sync engine meet demo rows that look like field rows."""
    await seed_demo(settings, seed=2, today=TODAY, scale=SMALL)
    async with db() as s:
        for collection, fields in FIELDS.items():
            table = Base.metadata.tables[collection]
            rows = (await s.execute(select(*(table.c[f] for f in fields)))).mappings().all()
            assert rows, collection
            for row in rows:
                msgspec.convert(dict(row), SCHEMAS[collection])


async def test_rows_pass_the_value_rules(settings: Settings, db: Sessions) -> None:
    """The demo holds nothing the app or the server would refuse: real ID numbers (check
    digit, birth date), mobile or landline phones, no future arrival or certificate, and
    no returnee left without the measure the rules require unless one was recorded."""
    await seed_demo(settings, seed=3, today=TODAY, scale=SMALL)
    async with db() as s:
        persons = (await s.execute(select(Person))).scalars().all()
        households = (await s.execute(select(Household))).scalars().all()
        reports = (await s.execute(select(FeverReport))).scalars().all()
        measured = set((await s.execute(select(Measure.person_id))).scalars())
        risk = [
            {c: getattr(r, c) for c in ("province", "city", "district", "level",
                                         "effective_from", "effective_to")}
            for r in (await s.execute(select(RiskArea))).scalars()
        ]  # fmt: skip
    assert risk
    for p in persons:
        checked = check_id_number(p.id_number, TODAY)
        assert checked.ok, (p.id_number, checked)
        assert (checked.birth_year, checked.sex) == (p.birth_year, p.sex)
        assert p.phone is None or check_phone(p.phone).ok, p.phone
        for day in (p.arrival_date, p.certificate_date):
            assert day is None or check_past_date(day, TODAY) is None, day
        state = certificate_state(p.certificate_date, p.arrival_date, TODAY)
        if required_measure(p.category, state) != "none" and p.measure == "none":
            assert p.id in measured or p.measure_reason, p.name
        origin = {"province": p.origin_province, "city": p.origin_city,
                  "district": p.origin_district}  # fmt: skip
        if p.category == PersonCategory.RETURNEE_MID_HIGH:
            assert risk_category_for(origin, risk, p.arrival_date) == p.category, origin
        elif p.arrival_date is not None:
            assert risk_category_for(origin, risk, p.arrival_date) is None, origin
    assert all(h.phone is None or check_phone(h.phone).ok for h in households)
    for r in reports:
        assert r.patient_phone is None or check_phone(r.patient_phone).ok, r.patient_phone
        assert r.patient_id_number is None or check_id_number(r.patient_id_number, TODAY).ok


async def test_the_demo_raises_special_reports_some_acknowledged(
    settings: Settings, db: Sessions
) -> None:
    """Every high-risk arrival of the last three days and the positive result raised an
    alert as their sync would have; yesterday's are acknowledged, today's wait."""
    await seed_demo(settings, seed=3, today=TODAY, scale=SMALL)
    now = datetime(2026, 1, 20, 4, 0, tzinfo=UTC)  # local noon: the seed's "now"
    opening = datetime(2026, 1, 19, 16, 0, tzinfo=UTC)  # local midnight of TODAY
    async with db() as s:
        alerts = (await s.execute(select(Alert))).scalars().all()
        persons = (await s.execute(select(Person))).scalars().all()
        positive = (
            (await s.execute(select(FeverReport).where(FeverReport.result == "positive")))
            .scalars()
            .one()
        )
        users = {u.id: u.role for u in (await s.execute(select(User))).scalars().all()}
    recent = {
        p.id
        for p in persons
        if p.category in ("returnee_abroad", "returnee_mid_high")
        and p.created_at.replace(tzinfo=p.created_at.tzinfo or UTC) >= now - timedelta(days=3)
    }
    assert recent
    arrivals = [a for a in alerts if a.kind == "arrival"]
    assert {a.person_id for a in arrivals} == recent
    assert len(arrivals) == len(recent)
    assert [(a.kind, a.report_id) for a in alerts if a.kind == "positive_result"] == [
        ("positive_result", positive.id)
    ]

    def aware(t: datetime) -> datetime:
        return t if t.tzinfo else t.replace(tzinfo=UTC)

    for a in alerts:
        created = aware(a.created_at)
        assert (a.acknowledged_at is None) == (created >= opening), a
        if a.acknowledged_at is not None:
            assert created < aware(a.acknowledged_at) <= now
            assert users[a.acknowledged_by] in ("township_health", "supervisor")
    assert any(a.acknowledged_at is None for a in alerts)
    assert any(a.acknowledged_at is not None for a in alerts)
