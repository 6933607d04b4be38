"""Read queries about households and people, for pages. Counts over the principal's
subtree; lists are bounded and show personal data masked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from server.accounts.guard import Principal, in_subtree, in_subtree_path
from server.areas.models import Area
from server.areas.queries import Groups
from server.people.models import Household, Person, RiskArea
from server.people.rules import (
    SPECIAL_REPORT_CATEGORIES,
    certificate_state,
    mask_id_number,
    mask_phone,
    required_measure,
)
from server.people.values import MeasureKind, PersonCategory
from server.querying import LIST_LIMIT, PAGE_SIZE, Page, count_of, counts_by, page_offset

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


@dataclass(frozen=True, slots=True)
class ReturneeRow:
    """A returnee as the line list shows it: ID number and phone masked, the measure they
    are under beside the one the rules require, and a flag when it falls short."""

    id: str
    name: str
    category: str
    id_number: str
    phone: str
    arrival_date: date | None
    area: str
    measure: str
    required: str
    entered_at: datetime

    @property
    def unmet(self) -> bool:
        """Under no measure, or a lighter one, than the rules require."""
        return MEASURE_STRENGTH[self.measure] < MEASURE_STRENGTH[self.required]


#: how strict each measure is, to tell a lighter one than required
MEASURE_STRENGTH: dict[str, int] = {
    MeasureKind.NONE: 0,
    MeasureKind.HEALTH_MONITORING: 1,
    MeasureKind.HOME_QUARANTINE: 2,
    MeasureKind.CENTRAL_QUARANTINE: 3,
    MeasureKind.HOSPITAL: 4,
}
RETURNEE_CATEGORIES = tuple(c for c in PersonCategory if c != PersonCategory.RESIDENT)
RETURNEE_SORTS = ("arrival", "entered", "name", "category")


async def returnees(
    session: AsyncSession,
    area_path: str,
    *,
    today: date,
    categories: tuple[str, ...],
    entered_since: datetime | None,
    until: datetime,
    unmet_only: bool,
    sort: str,
    page: int,
) -> Page[ReturneeRow]:
    """Returnees under `area_path` of `categories`, entered before `until` (and since
    `entered_since`), each judged by people.rules.required_measure. A county's returnees
    are hundreds: they are read in one statement and judged, sorted and paged here."""
    where = [
        Person.deleted.is_(False),
        Person.category.in_(categories),
        Person.created_at < until,
        in_subtree_path(Area.path, area_path),
    ]
    if entered_since is not None:
        where.append(Person.created_at >= entered_since)
    rows = await session.execute(
        select(Person.id, Person.name, Person.category, Person.id_number, Person.phone)
        .add_columns(Person.arrival_date, Area.name, Person.measure, Person.certificate_date)
        .add_columns(Person.created_at)
        .join(Area, Area.id == Person.area_id)
        .where(*where)
    )
    found = [
        ReturneeRow(
            id=str(pid),
            name=name,
            category=category,
            id_number=mask_id_number(id_number),
            phone=mask_phone(phone),
            arrival_date=arrival,
            area=area,
            measure=measure,
            required=required_measure(category, certificate_state(cert, arrival, today)),
            entered_at=entered,
        )
        for pid, name, category, id_number, phone, arrival, area, measure, cert, entered in rows
    ]
    if unmet_only:
        found = [r for r in found if r.unmet]
    keys: dict[str, Any] = {
        "arrival": lambda r: (r.arrival_date or date.min, r.name),
        "entered": lambda r: (r.entered_at, r.name),
        "name": lambda r: r.name,
        "category": lambda r: (r.category, r.name),
    }
    found.sort(key=keys[sort], reverse=sort in {"arrival", "entered"})
    return Page(found[page_offset(page) : page_offset(page) + PAGE_SIZE], len(found), page)


#: the household and person ledger (台账) as exported: one row per person (a household
#: with nobody entered yet gets one row of its own), in the paper ledger's order
LEDGER_HEADERS = (
    "镇（街道）", "村（社区）", "网格", "户主", "地址", "门牌号", "户联系电话",
    "姓名", "性别", "出生年份", "身份证号", "联系电话", "与户主关系", "人员类别",
    "抵达日期", "来源地", "核酸证明日期", "管控措施", "备注",
)  # fmt: skip


def ledger_columns(town: Any, village: Any, grid: Any) -> tuple[Any, ...]:
    # one column per header above, in the same order
    return (
        town.name, village.name, grid.name, Household.head_name, Household.address,
        Household.doorplate, Household.phone, Person.name, Person.sex, Person.birth_year,
        Person.id_number, Person.phone, Person.relation, Person.category,
        Person.arrival_date, Person.origin, Person.certificate_date, Person.measure,
        Person.notes,
    )  # fmt: skip


def ledger_stmt(area_path: str) -> Any:
    """The ledger's rows under `area_path`, in area and household order (for streaming)."""
    grid, village, town = aliased(Area), aliased(Area), aliased(Area)
    return (
        select(*ledger_columns(town, village, grid))
        .select_from(Household)
        .join(grid, grid.id == Household.area_id)
        .outerjoin(village, village.id == grid.parent_id)
        .outerjoin(town, town.id == village.parent_id)
        .outerjoin(Person, and_(Person.household_id == Household.id, Person.deleted.is_(False)))
        .where(Household.deleted.is_(False), in_subtree_path(grid.path, area_path))
        .order_by(grid.code, Household.created_at, Household.id, Person.created_at)
    )


@dataclass(frozen=True, slots=True)
class RiskAreaRow:
    id: int
    province: str
    city: str
    district: str
    level: str
    effective_from: date
    effective_to: date | None
    #: "listed" (in effect today), "upcoming" or "ended"
    state: str


#: the states a risk area list can be filtered by
RISK_AREA_STATES = ("listed", "upcoming", "ended")


def _risk_state(effective_from: date, effective_to: date | None, today: date) -> str:
    if effective_from > today:
        return "upcoming"
    if effective_to is not None and effective_to <= today:
        return "ended"
    return "listed"


async def risk_area_page(
    session: AsyncSession,
    today: date,
    *,
    query: str = "",
    level: str = "",
    state: str = "",
    page: int = 1,
) -> Page[RiskAreaRow]:
    """The medium/high-risk areas, filtered by place text, level and state today, listed
    ones first, newest first."""
    where: list[Any] = []
    if query:
        where.append(
            or_(
                RiskArea.province.contains(query, autoescape=True),
                RiskArea.city.contains(query, autoescape=True),
                RiskArea.district.contains(query, autoescape=True),
            )
        )
    if level:
        where.append(RiskArea.level == level)
    ended = and_(RiskArea.effective_to.is_not(None), RiskArea.effective_to <= today)
    if state == "upcoming":
        where.append(RiskArea.effective_from > today)
    elif state == "ended":
        where.append(ended)
    elif state == "listed":
        where.append(and_(RiskArea.effective_from <= today, ~ended))
    total = await count_of(session, select(func.count(RiskArea.id)).where(*where))
    rows = (
        (
            await session.execute(
                select(RiskArea)
                .where(*where)
                .order_by(RiskArea.effective_from.desc(), RiskArea.id.desc())
                .limit(PAGE_SIZE)
                .offset(page_offset(page))
            )
        )
        .scalars()
        .all()
    )
    return Page(
        rows=[
            RiskAreaRow(
                id=r.id,
                province=r.province,
                city=r.city,
                district=r.district,
                level=r.level,
                effective_from=r.effective_from,
                effective_to=r.effective_to,
                state=_risk_state(r.effective_from, r.effective_to, today),
            )
            for r in rows
        ],
        total=total,
        page=page,
    )


async def risk_area(session: AsyncSession, risk_area_id: int, today: date) -> RiskAreaRow | None:
    r = await session.get(RiskArea, risk_area_id)
    if r is None:
        return None
    state = _risk_state(r.effective_from, r.effective_to, today)
    return RiskAreaRow(
        r.id, r.province, r.city, r.district, r.level, r.effective_from, r.effective_to, state
    )


@dataclass(frozen=True, slots=True)
class Doorplate:
    household_id: str
    doorplate: str
    head_name: str


#: most households one doorplate sheet prints (a grid has a few hundred at most)
DOORPLATE_LIMIT = 2000


async def grid_doorplates(session: AsyncSession, grid_id: int) -> list[Doorplate]:
    """The live households of a grid, by doorplate: what its QR doorplate sheet prints."""
    rows = await session.execute(
        select(Household.id, Household.doorplate, Household.head_name)
        .where(Household.area_id == grid_id, Household.deleted.is_(False))
        .order_by(func.length(Household.doorplate), Household.doorplate, Household.head_name)
        .limit(DOORPLATE_LIMIT)
    )
    return [Doorplate(str(i), d or "", n or "") for i, d, n in rows.all()]
