"""Read queries about households and people, for pages. Counts over the principal's
subtree; lists are bounded and show personal data masked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.guard import Principal, in_subtree
from server.areas.models import Area
from server.areas.queries import Groups
from server.people.models import Person
from server.people.rules import SPECIAL_REPORT_CATEGORIES, mask_id_number, mask_phone
from server.people.values import MeasureKind
from server.querying import LIST_LIMIT, count_of, counts_by

#: how far back "new high-risk arrivals" look
ARRIVAL_WINDOW = timedelta(days=3)


async def persons_count(session: AsyncSession, principal: Principal) -> int:
    return await count_of(
        session,
        select(func.count(Person.id)).where(
            Person.deleted.is_(False), in_subtree(Person.area_id, principal)
        ),
    )


async def persons_by_measure(session: AsyncSession, principal: Principal) -> dict[str, int]:
    """Persons under each kind of measure (nobody under "none" is counted)."""
    return await counts_by(
        session,
        select(Person.measure, func.count(Person.id))
        .where(
            Person.deleted.is_(False),
            Person.measure != MeasureKind.NONE,
            in_subtree(Person.area_id, principal),
        )
        .group_by(Person.measure),
    )


@dataclass(frozen=True, slots=True)
class Arrival:
    """One high-risk arrival as a list shows it: ID number and phone masked."""

    name: str
    category: str
    id_number: str
    phone: str
    arrival_date: date | None
    area: str


@dataclass(frozen=True, slots=True)
class Arrivals:
    count: int
    latest: list[Arrival]


async def high_risk_arrivals(
    session: AsyncSession, principal: Principal, now: datetime
) -> Arrivals:
    """Arrivals from abroad or mid/high-risk areas entered in the last 3 days (特报)."""
    where = and_(
        Person.deleted.is_(False),
        Person.category.in_(SPECIAL_REPORT_CATEGORIES),
        Person.created_at >= now - ARRIVAL_WINDOW,
        in_subtree(Person.area_id, principal),
    )
    count = await count_of(session, select(func.count(Person.id)).where(where))
    rows = await session.execute(
        select(Person.name, Person.category, Person.id_number, Person.phone)
        .add_columns(Person.arrival_date, Area.name)
        .join(Area, Area.id == Person.area_id)
        .where(where)
        .order_by(Person.created_at.desc())
        .limit(LIST_LIMIT)
    )
    latest = [
        Arrival(
            name=name,
            category=category,
            id_number=mask_id_number(id_number),
            phone=mask_phone(phone),
            arrival_date=arrival,
            area=area,
        )
        for name, category, id_number, phone, arrival, area in rows.all()
    ]
    return Arrivals(count=count, latest=latest)


async def arrivals_by_group(
    session: AsyncSession, groups: Groups, until: datetime
) -> dict[int, int]:
    """High-risk arrivals (特报) entered in the 3 days before `until`, per group."""
    g, home = groups.group, groups.home
    rows = await session.execute(
        select(g.id, func.count(Person.id))
        .join(home, groups.under)
        .join(Person, Person.area_id == home.id)
        .where(
            groups.where,
            Person.deleted.is_(False),
            Person.category.in_(SPECIAL_REPORT_CATEGORIES),
            Person.created_at >= until - ARRIVAL_WINDOW,
            Person.created_at < until,
        )
        .group_by(g.id)
    )
    return {gid: int(n) for gid, n in rows.all()}
