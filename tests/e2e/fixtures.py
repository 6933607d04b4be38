"""A small, fully known grid for the browser tests.

Two grids in one village: grid 一组 with twelve households (the workers' patch) and grid
二组 with three (outside their scope). Ids are uuid5 of short names so tests can refer to
``hid(3)`` or ``pid(3, 1)``. Every synced row takes its ``rev`` from the RevAllocator.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import User
from server.accounts.passwords import hash_password
from server.areas.models import Area, Facility
from server.config import DEFAULT_TIMEZONE
from server.db import make_engine, make_sessionmaker, transaction
from server.people.models import Household, Person, RiskArea
from server.quarantine.models import Measure, Policy
from server.quarantine.rules import DEFAULT_POLICIES
from server.sync.revs import RevAllocator
from server.visits.models import Campaign, Visit

NS = uuid.UUID("0b7e0d7c-3c55-4c1e-9a57-5a3f1b0e2d11")
PASSWORD = "field-pass-1"
TZ = ZoneInfo(DEFAULT_TIMEZONE)

WORKER_A = "13800000001"
WORKER_B = "13800000002"
SUPERVISOR = "13800000009"
SENTINEL = "13800000005"  # the village clinic of 李家村
TOWNSHIP = "13800000006"  # the township health centre of 青山镇

SURNAMES = [
    "张",
    "王",
    "李",
    "赵",
    "刘",
    "陈",
    "杨",
    "黄",
    "周",
    "吴",
    "徐",
    "孙",
    "马",
    "朱",
    "胡",
]
GIVEN = [
    "建国",
    "秀英",
    "志强",
    "桂兰",
    "海燕",
    "德明",
    "春梅",
    "国华",
    "玉兰",
    "文军",
    "丽娟",
    "永红",
]


def hid(n: int) -> str:
    return str(uuid.uuid5(NS, f"household:{n}"))


def pid(n: int, k: int) -> str:
    return str(uuid.uuid5(NS, f"person:{n}:{k}"))


def mid(n: int, k: int) -> str:
    return str(uuid.uuid5(NS, f"measure:{n}:{k}"))


def head_name(n: int) -> str:
    return SURNAMES[n % len(SURNAMES)] + GIVEN[n % len(GIVEN)]


@dataclass(frozen=True)
class Ids:
    grid_a: int
    grid_b: int
    village: int
    worker_a: int
    worker_b: int
    supervisor: int
    clinic: int = 0
    sentinel: int = 0


async def _area(s: AsyncSession, level: str, name: str, code: str, parent: Area | None) -> Area:
    alloc = RevAllocator(s)
    area = Area(level=level, name=name, code=code, path="/", rev=await alloc.next(),
                parent_id=parent.id if parent else None)  # fmt: skip
    await alloc.flush()
    s.add(area)
    await s.flush()
    area.path = f"{parent.path if parent else '/'}{area.id}/"
    return area


async def _synced(s: AsyncSession, alloc: RevAllocator, row: Any) -> None:
    row.rev = await alloc.next()
    row.versions = {}
    s.add(row)


async def load(database_url: str, today: date) -> Ids:
    """Fill an empty, migrated database. ``today`` is the local date (DEFAULT_TIMEZONE)."""
    engine = make_engine(database_url)
    try:
        async with transaction(make_sessionmaker(engine)) as s:
            return await _fill(s, today)
    finally:
        await engine.dispose()


async def _fill(s: AsyncSession, today: date) -> Ids:
    city = await _area(s, "city", "示范市", "E2E-C", None)
    county = await _area(s, "county", "示范县", "E2E-X", city)
    town = await _area(s, "town", "青山镇", "E2E-T", county)
    village = await _area(s, "village", "李家村", "E2E-V", town)
    grid_a = await _area(s, "grid", "一组", "E2E-G1", village)
    grid_b = await _area(s, "grid", "二组", "E2E-G2", village)
    await s.flush()
    alloc = RevAllocator(s)
    for p in DEFAULT_POLICIES:
        s.add(Policy(kind=p.kind, version=p.version, duration_days=p.duration_days,
                     test_days=list(p.test_days), checks_per_day=p.checks_per_day,
                     effective_from=p.effective_from, rev=await alloc.next()))  # fmt: skip
    # One high-risk city, in effect for a month: the person form suggests the category.
    s.add(RiskArea(province="湖北省", city="武汉市", district="", level="high",
                   effective_from=today - timedelta(days=30), rev=await alloc.next()))  # fmt: skip
    start = datetime.combine(today - timedelta(days=10), time(0, 0), TZ).astimezone(UTC)
    s.add(Campaign(area_id=village.id, name="返乡人员排查", starts_on=start))
    password = hash_password(PASSWORD)
    users = [
        User(phone=WORKER_A, name="李网格", role="grid_worker", area_id=grid_a.id,
             password_hash=password),
        User(phone=WORKER_B, name="王网格", role="grid_worker", area_id=grid_a.id,
             password_hash=password),
        User(phone=SUPERVISOR, name="赵督查", role="supervisor", area_id=town.id,
             password_hash=password),
    ]  # fmt: skip
    s.add_all(users)
    await s.flush()
    for n in range(1, 16):
        grid = grid_a if n <= 12 else grid_b
        await _household(s, alloc, n, grid.id, today, users[0].id)
    clinic, sentinel = await _fever_people(s, alloc, village, town, password)
    await alloc.flush()
    return Ids(grid_a=grid_a.id, grid_b=grid_b.id, village=village.id,
               worker_a=users[0].id, worker_b=users[1].id, supervisor=users[2].id,
               clinic=clinic, sentinel=sentinel)  # fmt: skip


async def _fever_people(
    s: AsyncSession, alloc: RevAllocator, village: Area, town: Area, password: str
) -> tuple[int, int]:
    """The village clinic and its sentinel; the township health centre and its nurse."""
    clinic = Facility(area_id=village.id, kind="village_clinic", name="李家村卫生室",
                      rev=await alloc.next())  # fmt: skip
    centre = Facility(area_id=town.id, kind="township_health_centre", name="青山镇卫生院",
                      rev=await alloc.next())  # fmt: skip
    s.add_all([clinic, centre])
    await s.flush()
    sentinel = User(phone=SENTINEL, name="孙医生", role="sentinel", area_id=village.id,
                    facility_id=clinic.id, password_hash=password)  # fmt: skip
    nurse = User(phone=TOWNSHIP, name="周护士", role="township_health", area_id=town.id,
                 facility_id=centre.id, password_hash=password)  # fmt: skip
    s.add_all([sentinel, nurse])
    await s.flush()
    return clinic.id, sentinel.id


async def _household(
    s: AsyncSession, alloc: RevAllocator, n: int, area_id: int, today: date, by: int
) -> None:
    await _synced(s, alloc, Household(
        id=uuid.UUID(hid(n)), area_id=area_id, head_name=head_name(n),
        address=f"李家村{n}号", doorplate=f"{n}号", phone=f"1390000{n:04d}", notes=""))  # fmt: skip
    await s.flush()
    members = [(head_name(n), "户主", "resident", None), (head_name(n)[0] + "小" + str(n), "子女",
               "resident", None)]  # fmt: skip
    if n in (2, 5, 7):
        # returnees: 2 from a medium/high-risk area (centralised), 5 low-risk under
        # home quarantine, 7 low-risk under health monitoring
        kind = {2: "central_quarantine", 5: "home_quarantine", 7: "health_monitoring"}[n]
        category = "returnee_mid_high" if n == 2 else "returnee_low"
        members.append((f"{head_name(n)[0]}归{n}", "子女", category, kind))
    for k, (name, relation, category, measure) in enumerate(members, start=1):
        arrival = today - timedelta(days=3) if category != "resident" else None
        await _synced(s, alloc, Person(
            id=uuid.UUID(pid(n, k)), area_id=area_id, household_id=uuid.UUID(hid(n)),
            name=name, relation=relation, category=category, arrival_date=arrival,
            origin="武汉" if arrival else "", sex="male" if k % 2 else "female",
            birth_year=1960 + n + k,
            id_number=f"41992119700101{n:02d}{k}{k}", phone=f"1380013{n:02d}{k:02d}",
            certificate_date=today - timedelta(days=9) if n == 5 else (
                today - timedelta(days=4) if arrival else None),
            measure=measure or "none", notes=""))  # fmt: skip
        if measure:
            await s.flush()
            await _synced(s, alloc, Measure(
                id=uuid.UUID(mid(n, k)), area_id=area_id, person_id=uuid.UUID(pid(n, k)),
                kind=measure, policy_id=None, start_date=today - timedelta(days=3),
                end_date=today + timedelta(days=11), status="active", place=""))  # fmt: skip
    if n in (1, 3, 4):
        at = datetime.combine(today - timedelta(days=2), time(10, 0), TZ).astimezone(UTC)
        await _synced(s, alloc, Visit(
            id=uuid.uuid5(NS, f"visit:{n}"), area_id=area_id, household_id=uuid.UUID(hid(n)),
            visited_at=at, outcome="visited", checklist={"all_present": True}, notes="",
            created_by=by))  # fmt: skip


def main(argv: list[str]) -> None:
    """``python -m tests.e2e.fixtures DATABASE_URL YYYY-MM-DD``: the database migrated as in
    production (``server.migrate``), then the grid. Run apart from the browser tests,
    whose Playwright loop would clash with ``asyncio.run``."""
    import asyncio

    from server.migrate import upgrade

    url, day = argv[0], date.fromisoformat(argv[1])
    upgrade(url)
    asyncio.run(load(url, day))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
