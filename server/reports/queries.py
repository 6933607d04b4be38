"""Read queries about daily and zero reports, for pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from server.accounts.guard import Principal, in_subtree_path
from server.areas.models import Area
from server.areas.queries import Groups
from server.areas.values import AreaLevel
from server.people.rules import mask_phone
from server.querying import LIST_LIMIT, PAGE_SIZE, Page, count_of, counts_by, page_offset
from server.reports.models import DailyReport
from server.reports.rules import missing_grids, report_status


async def grid_report_status(session: AsyncSession, grid_id: int, today: date) -> str:
    """ "reported", "zero" or "missing" for one grid's report of `today`."""
    row = (
        await session.execute(
            select(DailyReport.is_zero).where(
                DailyReport.area_id == grid_id,
                DailyReport.report_date == today,
                DailyReport.deleted.is_(False),
            )
        )
    ).first()
    return report_status(row is not None, bool(row[0]) if row else False)


@dataclass(frozen=True, slots=True)
class MissingGrid:
    """A grid without today's report, with whom to call (phone masked)."""

    grid: str
    village: str
    lead: str
    phone: str


@dataclass(frozen=True, slots=True)
class DailyReports:
    grids: int
    reported: int
    zero: int
    missing_count: int
    #: the first LIST_LIMIT grids without a report, in area-code order
    missing: list[MissingGrid]


async def daily_reports_today(
    session: AsyncSession, principal: Principal, today: date
) -> DailyReports:
    """Grids with a report today, with a zero report, and those with none (a finding)."""
    grid = aliased(Area)
    grids = and_(grid.level == AreaLevel.GRID, in_subtree_path(grid.path, principal.area_path))
    today_report = and_(
        DailyReport.area_id == grid.id,
        DailyReport.report_date == today,
        DailyReport.deleted.is_(False),
    )
    # One id per grid of the subtree (a county has a few hundred): the rule decides which
    # are missing, the SQL only counts the kinds of report.
    grid_ids = list(
        (await session.execute(select(grid.id).where(grids).order_by(grid.code))).scalars()
    )
    reported = await session.execute(select(grid.id).join(DailyReport, today_report).where(grids))
    missing = missing_grids(grid_ids, reported.scalars().all())
    counts = await counts_by(
        session,
        select(DailyReport.is_zero, func.count(DailyReport.id))
        .join(grid, today_report)
        .where(grids)
        .group_by(DailyReport.is_zero),
    )
    zero = sum(n for key, n in counts.items() if key in {"True", "1"})
    return DailyReports(
        grids=len(grid_ids),
        reported=sum(counts.values()) - zero,
        zero=zero,
        missing_count=len(missing),
        missing=await _missing_rows(session, missing[:LIST_LIMIT]),
    )


async def _missing_rows(session: AsyncSession, grid_ids: list[int]) -> list[MissingGrid]:
    if not grid_ids:
        return []
    grid, village = aliased(Area), aliased(Area)
    rows = await session.execute(
        select(grid.id, grid.name, village.name, grid.lead_name, grid.lead_phone)
        .outerjoin(village, village.id == grid.parent_id)
        .where(grid.id.in_(grid_ids))
    )
    found = {
        gid: MissingGrid(grid=name, village=parent or "", lead=lead or "", phone=mask_phone(phone))
        for gid, name, parent, lead, phone in rows.all()
    }
    return [found[gid] for gid in grid_ids if gid in found]


@dataclass(frozen=True, slots=True)
class GroupReports:
    grids: int = 0
    reported: int = 0
    zero: int = 0

    @property
    def missing(self) -> int:
        return self.grids - self.reported - self.zero


async def reports_by_group(
    session: AsyncSession, groups: Groups, day: date
) -> dict[int, GroupReports]:
    """Grids, and their reports of `day` (with figures, zero), per group: two statements."""
    g, home = groups.group, groups.home
    grid_rows = await session.execute(
        select(g.id, func.count(home.id))
        .join(home, groups.under)
        .where(groups.where, home.level == AreaLevel.GRID)
        .group_by(g.id)
    )
    report_rows = await session.execute(
        select(g.id, DailyReport.is_zero, func.count(DailyReport.id))
        .join(home, groups.under)
        .join(DailyReport, DailyReport.area_id == home.id)
        .where(
            groups.where,
            home.level == AreaLevel.GRID,
            DailyReport.report_date == day,
            DailyReport.deleted.is_(False),
        )
        .group_by(g.id, DailyReport.is_zero)
    )
    reported: dict[int, int] = {}
    zero: dict[int, int] = {}
    for gid, is_zero, n in report_rows.all():
        (zero if is_zero else reported)[gid] = int(n)
    return {
        gid: GroupReports(grids=int(n), reported=reported.get(gid, 0), zero=zero.get(gid, 0))
        for gid, n in grid_rows.all()
    }


@dataclass(frozen=True, slots=True)
class GridReportRow:
    """A grid and its report of a day. The lead's phone is whole: it is posted publicly."""

    grid_id: int
    grid: str
    village: str
    lead: str
    phone: str
    status: str
    submitted_at: datetime | None


#: the sort keys a grid-report list accepts
REPORT_SORTS = ("grid", "village", "status")


async def grid_reports(
    session: AsyncSession, area_path: str, day: date, status: str | None, sort: str, page: int
) -> Page[GridReportRow]:
    """Grids under `area_path` with their report of `day` ("reported", "zero" or
    "missing"; None for all), sorted and one page of them."""
    grid, village = aliased(Area), aliased(Area)
    report = and_(
        DailyReport.area_id == grid.id,
        DailyReport.report_date == day,
        DailyReport.deleted.is_(False),
    )
    state = case(
        (DailyReport.id.is_(None), "missing"),
        (DailyReport.is_zero.is_(True), "zero"),
        else_="reported",
    )
    where = [grid.level == AreaLevel.GRID, in_subtree_path(grid.path, area_path)]
    if status is not None:
        where.append(state == status)
    order = {"grid": grid.code, "village": village.code, "status": state}[sort]
    base = (
        select(grid.id, grid.name, village.name, grid.lead_name, grid.lead_phone)
        .add_columns(state, DailyReport.submitted_at)
        .outerjoin(village, village.id == grid.parent_id)
        .outerjoin(DailyReport, report)
        .where(*where)
    )
    total = await count_of(session, select(func.count()).select_from(base.subquery()))
    rows = await session.execute(
        base.order_by(order, grid.code).offset(page_offset(page)).limit(PAGE_SIZE)
    )
    return Page(
        [
            GridReportRow(gid, name, vname or "", lead or "", phone or "", st, at)
            for gid, name, vname, lead, phone, st, at in rows.all()
        ],
        total,
        page,
    )


async def reports_per_day(
    session: AsyncSession, area_path: str, first: date, last: date
) -> dict[date, int]:
    """Grid reports (with figures or zero) per day in [first, last] under `area_path`."""
    rows = await session.execute(
        select(DailyReport.report_date, func.count(DailyReport.id))
        .join(Area, Area.id == DailyReport.area_id)
        .where(
            Area.level == AreaLevel.GRID,
            in_subtree_path(Area.path, area_path),
            DailyReport.deleted.is_(False),
            DailyReport.report_date >= first,
            DailyReport.report_date <= last,
        )
        .group_by(DailyReport.report_date)
    )
    return {day: int(n) for day, n in rows.all()}
