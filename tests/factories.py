"""Row factories for tests: a small area tree, users, and the ledger rows pages count.

Each factory adds and flushes; the caller commits (``async with transaction(db) as s``).
Synced rows take their ``rev`` from the RevAllocator, as every real write does.
"""

from __future__ import annotations

import itertools
import re
import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import User
from server.accounts.passwords import hash_password
from server.areas.models import Area, Facility
from server.config import DEFAULT_TIMEZONE
from server.db import utcnow
from server.fever.models import FeverReport
from server.people.models import Household, Person
from server.quarantine.models import Check, Measure
from server.reports.models import DailyReport
from server.sync.revs import RevAllocator
from server.timeutil import local_today
from server.visits.models import Campaign, Visit

DEFAULT_PASSWORD = "correct-horse-9"
_codes = itertools.count(1)
_phones = itertools.count(13900000001)
_hashes: dict[str, str] = {}


def _hash(password: str) -> str:
    # argon2 takes ~0.3 s here on purpose; tests reuse one hash per password.
    if password not in _hashes:
        _hashes[password] = hash_password(password)
    return _hashes[password]


async def _rev(session: AsyncSession) -> int:
    alloc = RevAllocator(session)
    rev = await alloc.next()
    await alloc.flush()
    return rev


async def make_area(
    session: AsyncSession,
    level: str,
    name: str,
    parent: Area | None = None,
    *,
    lead_name: str | None = None,
    lead_phone: str | None = None,
) -> Area:
    area = Area(
        level=level,
        name=name,
        code=f"T{next(_codes):05d}-{uuid.uuid4().hex[:6]}",
        parent_id=parent.id if parent else None,
        path="/",
        lead_name=lead_name,
        lead_phone=lead_phone,
    )
    session.add(area)
    await session.flush()
    area.path = f"{parent.path if parent else '/'}{area.id}/"
    await session.flush()
    return area


async def make_area_tree(session: AsyncSession) -> dict[str, Area]:
    """city > county > town > village > grid (and a second grid in the same village)."""
    city = await make_area(session, "city", "安康市")
    county = await make_area(session, "county", "平利县", city)
    town = await make_area(session, "town", "老县镇", county)
    village = await make_area(session, "village", "蒋家坪村", town)
    grid = await make_area(
        session, "grid", "一组网格", village, lead_name="王建国", lead_phone="13712345678"
    )
    grid2 = await make_area(
        session, "grid", "二组网格", village, lead_name="李秀英", lead_phone="13787654321"
    )
    return {
        "city": city,
        "county": county,
        "town": town,
        "village": village,
        "grid": grid,
        "grid2": grid2,
    }


async def make_facility(
    session: AsyncSession, area: Area, kind: str = "village_clinic", name: str = "村卫生室"
) -> Facility:
    facility = Facility(area_id=area.id, kind=kind, name=name)
    session.add(facility)
    await session.flush()
    return facility


async def make_user(
    session: AsyncSession,
    role: str,
    area: Area,
    phone: str | None = None,
    password: str = DEFAULT_PASSWORD,
    *,
    name: str | None = None,
    facility: Facility | None = None,
    active: bool = True,
) -> User:
    user = User(
        phone=phone or str(next(_phones)),
        name=name or f"测试{role}",
        role=role,
        area_id=area.id,
        facility_id=facility.id if facility else None,
        password_hash=_hash(password),
        active=active,
    )
    session.add(user)
    await session.flush()
    return user


async def make_household(session: AsyncSession, area: Area, **fields: Any) -> Household:
    row = Household(
        id=uuid.uuid4(),
        rev=await _rev(session),
        area_id=area.id,
        head_name=fields.pop("head_name", "张三"),
        **fields,
    )
    session.add(row)
    await session.flush()
    return row


async def make_person(session: AsyncSession, household: Household, **fields: Any) -> Person:
    row = Person(
        id=uuid.uuid4(),
        rev=await _rev(session),
        area_id=household.area_id,
        household_id=household.id,
        name=fields.pop("name", "张小三"),
        **fields,
    )
    session.add(row)
    await session.flush()
    return row


async def make_campaign(
    session: AsyncSession, area: Area, starts_on: datetime, name: str = "第一轮排查"
) -> Campaign:
    row = Campaign(area_id=area.id, name=name, starts_on=starts_on)
    session.add(row)
    await session.flush()
    return row


async def make_visit(
    session: AsyncSession,
    household: Household,
    visited_at: datetime | None = None,
    outcome: str = "visited",
) -> Visit:
    row = Visit(
        id=uuid.uuid4(),
        rev=await _rev(session),
        area_id=household.area_id,
        household_id=household.id,
        visited_at=visited_at or utcnow(),
        outcome=outcome,
    )
    session.add(row)
    await session.flush()
    return row


async def make_measure(
    session: AsyncSession,
    person: Person,
    kind: str = "home_quarantine",
    start_date: date | None = None,
    end_date: date | None = None,
    status: str = "active",
) -> Measure:
    row = Measure(
        id=uuid.uuid4(),
        rev=await _rev(session),
        area_id=person.area_id,
        person_id=person.id,
        kind=kind,
        start_date=start_date or local_today(utcnow(), DEFAULT_TIMEZONE),
        end_date=end_date,
        status=status,
    )
    session.add(row)
    await session.flush()
    return row


async def make_check(
    session: AsyncSession, measure: Measure, check_date: date, slot: str = "morning"
) -> Check:
    row = Check(
        id=uuid.uuid4(),
        rev=await _rev(session),
        area_id=measure.area_id,
        measure_id=measure.id,
        person_id=measure.person_id,
        check_date=check_date,
        slot=slot,
        temperature=36.5,
        checked_at=utcnow(),
    )
    session.add(row)
    await session.flush()
    return row


async def make_daily_report(
    session: AsyncSession, grid: Area, report_date: date, *, is_zero: bool = False
) -> DailyReport:
    from server.reports.rules import daily_report_id

    row = DailyReport(
        id=daily_report_id(grid.id, report_date),
        rev=await _rev(session),
        area_id=grid.id,
        report_date=report_date,
        is_zero=is_zero,
        submitted_at=utcnow(),
    )
    session.add(row)
    await session.flush()
    return row


async def make_fever_report(
    session: AsyncSession,
    facility: Facility,
    seen_at: datetime,
    *,
    state: str = "reported",
    received_at: datetime | None = None,
    area: Area | None = None,
    patient_phone: str | None = "13512345678",
) -> FeverReport:
    row = FeverReport(
        id=uuid.uuid4(),
        rev=await _rev(session),
        area_id=area.id if area else facility.area_id,
        facility_id=facility.id,
        patient_name="赵六",
        patient_phone=patient_phone,
        temperature=38.2,
        seen_at_device=seen_at,
        seen_at=seen_at,
        received_at=received_at or seen_at,
        state=state,
    )
    session.add(row)
    await session.flush()
    return row


CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]*)"')


def csrf_from(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = CSRF_INPUT.search(html)
    assert match is not None, "no csrf_token field on the page"
    return match.group(1)


async def sign_in(
    client: Any, phone: str, password: str = DEFAULT_PASSWORD, *, next_path: str = "/"
) -> Any:
    """Sign a test client in through the real form; returns the POST response (303)."""
    page = await client.get("/login")
    return await client.post(
        "/login",
        data={
            "phone": phone,
            "password": password,
            "csrf_token": csrf_from(page.text),
            "next": next_path,
        },
        follow_redirects=False,
    )


async def sign_out(client: Any) -> Any:
    token = csrf_from((await client.get("/")).text)
    return await client.post("/logout", data={"csrf_token": token}, follow_redirects=False)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An aware UTC datetime, for readable test data."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)
