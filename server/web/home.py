"""The numbers on each role's home page, counted in SQL over the user's area subtree.

Every query aggregates (COUNT / GROUP BY) or is bounded (LIMIT, a short time window):
the demo county alone has ~3,600 households and ~13,000 persons. The pure rules decide
what the counts mean (coverage, checks due, report status, the two-hour clock).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from server.accounts.guard import Principal
from server.areas.models import Area
from server.fever.models import FeverReport
from server.fever.rules import REPORT_DEADLINE, report_timeliness
from server.fever.values import FeverState
from server.people.models import Household, Person
from server.people.rules import SPECIAL_REPORT_CATEGORIES, mask_id_number, mask_phone
from server.quarantine.models import Check, Measure, Policy, Test
from server.quarantine.rules import DEFAULT_POLICIES, checks_due
from server.quarantine.values import CheckSlot
from server.reports.models import DailyReport
from server.reports.rules import report_status
from server.sync.models import Conflict
from server.visits.models import Campaign, Visit
from server.visits.rules import coverage_ratio, format_percent

#: measure kinds with a check schedule (hospital patients are followed by the hospital)
CHECKED_KINDS = frozenset(p.kind for p in DEFAULT_POLICIES)
#: window for "late" fever reports and for "new high-risk arrivals"
LATE_WINDOW = timedelta(days=7)
ARRIVAL_WINDOW = timedelta(days=3)
LIST_LIMIT = 20


def day_start(day: date, tz: str) -> datetime:
    """Local midnight of `day` as an aware UTC instant."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def _areas_under(principal: Principal) -> Any:
    return select(Area.id).where(Area.path.startswith(principal.area_path, autoescape=True))


def _in_scope(column: InstrumentedAttribute[int], principal: Principal) -> ColumnElement[bool]:
    return column.in_(_areas_under(principal))


async def _scalar(session: AsyncSession, stmt: Any) -> int:
    return int((await session.execute(stmt)).scalar_one() or 0)


async def _grouped(session: AsyncSession, stmt: Any) -> dict[str, int]:
    return {str(key): int(n) for key, n in (await session.execute(stmt)).all()}


# --- the user's place --------------------------------------------------------------------


async def area_trail(session: AsyncSession, area_path: str) -> list[str]:
    """Names from the root down to the area itself: 城市 > 县 > 镇 > 村 > 网格."""
    rows = await session.execute(
        select(Area.name)
        .where(literal(area_path).startswith(Area.path))
        .order_by(func.length(Area.path))
    )
    return [name for (name,) in rows.all()]


async def current_campaign(session: AsyncSession, area_path: str, now: datetime) -> Campaign | None:
    """The latest campaign started by now, open, set on the area or one of its ancestors."""
    stmt = (
        select(Campaign)
        .join(Area, Area.id == Campaign.area_id)
        .where(
            literal(area_path).startswith(Area.path),
            Campaign.starts_on <= now,
            or_(Campaign.ends_on.is_(None), Campaign.ends_on > now),
        )
        .order_by(Campaign.starts_on.desc(), Campaign.id.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


# --- households and people ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Coverage:
    total: int
    visited: int

    @property
    def ratio(self) -> float:
        return coverage_ratio(min(self.visited, self.total), self.total)

    @property
    def percent(self) -> str:
        return format_percent(self.ratio)


def _visited_in(campaign: Campaign) -> ColumnElement[bool]:
    # visits.rules.coverage_state: a household counts once a visit in [start, end) found
    # someone at home ("visited"); other outcomes are attempts.
    window = [Visit.visited_at >= campaign.starts_on, Visit.outcome == "visited"]
    if campaign.ends_on is not None:
        window.append(Visit.visited_at < campaign.ends_on)
    return and_(Visit.deleted.is_(False), *window)


async def household_coverage(
    session: AsyncSession, principal: Principal, campaign: Campaign | None
) -> Coverage:
    live = and_(Household.deleted.is_(False), _in_scope(Household.area_id, principal))
    total = await _scalar(session, select(func.count(Household.id)).where(live))
    visited = 0
    if campaign is not None:
        visited = await _scalar(
            session,
            select(func.count(func.distinct(Visit.household_id)))
            .join(Household, Household.id == Visit.household_id)
            .where(live, _visited_in(campaign)),
        )
    return Coverage(total=total, visited=visited)


@dataclass(frozen=True, slots=True)
class AreaCoverage:
    name: str
    coverage: Coverage


async def coverage_by_level(
    session: AsyncSession, principal: Principal, level: str, campaign: Campaign | None
) -> list[AreaCoverage]:
    """Household coverage of every area of `level` (town, village) in the subtree."""
    group, home = aliased(Area), aliased(Area)
    in_tree = and_(
        group.level == level, group.path.startswith(principal.area_path, autoescape=True)
    )
    base = (
        select(group.id, func.count(func.distinct(Household.id)))
        .join(home, home.path.startswith(group.path))
        .join(Household, Household.area_id == home.id)
        .where(in_tree, Household.deleted.is_(False))
        .group_by(group.id)
    )
    totals = dict((await session.execute(base)).all())
    visited: dict[int, int] = {}
    if campaign is not None:
        stmt = (
            select(group.id, func.count(func.distinct(Visit.household_id)))
            .join(home, home.path.startswith(group.path))
            .join(Household, Household.area_id == home.id)
            .join(Visit, Visit.household_id == Household.id)
            .where(in_tree, Household.deleted.is_(False), _visited_in(campaign))
            .group_by(group.id)
        )
        visited = dict((await session.execute(stmt)).all())
    areas = await session.execute(select(group.id, group.name).where(in_tree).order_by(group.code))
    return [
        AreaCoverage(name, Coverage(total=totals.get(aid, 0), visited=visited.get(aid, 0)))
        for aid, name in areas.all()
    ]


async def persons_count(session: AsyncSession, principal: Principal) -> int:
    return await _scalar(
        session,
        select(func.count(Person.id)).where(
            Person.deleted.is_(False), _in_scope(Person.area_id, principal)
        ),
    )


async def persons_by_measure(session: AsyncSession, principal: Principal) -> dict[str, int]:
    return await _grouped(
        session,
        select(Person.measure, func.count(Person.id))
        .where(
            Person.deleted.is_(False),
            Person.measure != "none",
            _in_scope(Person.area_id, principal),
        )
        .group_by(Person.measure),
    )


@dataclass(frozen=True, slots=True)
class ChecksToday:
    under_check: int = 0
    open_by_slot: dict[str, int] = field(default_factory=dict)

    @property
    def open_total(self) -> int:
        return sum(self.open_by_slot.values())


async def checks_today(session: AsyncSession, principal: Principal, today: date) -> ChecksToday:
    """Check slots still open today over every active measure in the subtree.

    SQL groups the measures by (checks per day, morning done, evening done), a handful of
    rows; quarantine.rules.checks_due turns each group into the slots still due.
    """
    done = {
        slot: func.max(case((Check.slot == slot, 1), else_=0)).label(slot) for slot in CheckSlot
    }
    per_measure = (
        select(
            Measure.id,
            func.coalesce(Policy.checks_per_day, len(CheckSlot)).label("per_day"),
            *done.values(),
        )
        .outerjoin(Policy, Policy.id == Measure.policy_id)
        .outerjoin(
            Check,
            and_(
                Check.measure_id == Measure.id,
                Check.check_date == today,
                Check.deleted.is_(False),
            ),
        )
        .where(
            Measure.deleted.is_(False),
            Measure.status == "active",
            Measure.kind.in_(CHECKED_KINDS),
            Measure.start_date <= today,
            or_(Measure.end_date.is_(None), Measure.end_date > today),
            _in_scope(Measure.area_id, principal),
        )
        .group_by(Measure.id, Policy.checks_per_day)
        .subquery()
    )
    cols = [per_measure.c.per_day, *(per_measure.c[slot] for slot in CheckSlot)]
    rows = await session.execute(select(*cols, func.count()).group_by(*cols))
    under, open_by_slot = 0, {slot.value: 0 for slot in CheckSlot}
    for per_day, *flags, n in rows.all():
        done_slots = {slot for slot, flag in zip(CheckSlot, flags, strict=True) if flag}
        # the SQL already kept measures running today, so the window check is trivially met
        for slot in checks_due(today, None, "active", today, done_slots, int(per_day)):
            open_by_slot[slot] += int(n)
        under += int(n)
    return ChecksToday(under_check=under, open_by_slot=open_by_slot)


async def grid_report_status(session: AsyncSession, grid_id: int, today: date) -> str:
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
class DailyReports:
    grids: int
    reported: int
    zero: int
    missing: list[dict[str, str]]

    @property
    def missing_count(self) -> int:
        return self.grids - self.reported - self.zero


async def daily_reports_today(
    session: AsyncSession, principal: Principal, today: date
) -> DailyReports:
    """Grids with a report today, with a zero report, and those with none (a finding)."""
    grid, village = aliased(Area), aliased(Area)
    grids = and_(grid.level == "grid", grid.path.startswith(principal.area_path, autoescape=True))
    today_report = and_(
        DailyReport.area_id == grid.id,
        DailyReport.report_date == today,
        DailyReport.deleted.is_(False),
    )
    total = await _scalar(session, select(func.count(grid.id)).where(grids))
    counts = await _grouped(
        session,
        select(DailyReport.is_zero, func.count(DailyReport.id))
        .join(grid, today_report)
        .where(grids)
        .group_by(DailyReport.is_zero),
    )
    zero = sum(n for key, n in counts.items() if key in {"True", "1"})
    reported = sum(counts.values()) - zero
    rows = await session.execute(
        select(grid.name, village.name, grid.lead_name, grid.lead_phone)
        .outerjoin(village, village.id == grid.parent_id)
        .where(grids, ~select(DailyReport.id).where(today_report).exists())
        .order_by(grid.code)
        .limit(LIST_LIMIT)
    )
    missing = [
        {
            "grid": name,
            "village": parent or "",
            "lead": lead or "",
            "phone": mask_phone(phone),
        }
        for name, parent, lead, phone in rows.all()
    ]
    return DailyReports(grids=total, reported=reported, zero=zero, missing=missing)


async def high_risk_arrivals(
    session: AsyncSession, principal: Principal, now: datetime
) -> tuple[int, list[dict[str, Any]]]:
    """Arrivals from abroad or mid/high-risk areas entered in the last 3 days (特报)."""
    where = and_(
        Person.deleted.is_(False),
        Person.category.in_(SPECIAL_REPORT_CATEGORIES),
        Person.created_at >= now - ARRIVAL_WINDOW,
        _in_scope(Person.area_id, principal),
    )
    count = await _scalar(session, select(func.count(Person.id)).where(where))
    rows = await session.execute(
        select(Person.name, Person.category, Person.id_number, Person.phone)
        .add_columns(Person.arrival_date, Area.name)
        .join(Area, Area.id == Person.area_id)
        .where(where)
        .order_by(Person.created_at.desc())
        .limit(LIST_LIMIT)
    )
    people = [
        {
            "name": name,
            "category": category,
            "id_number": mask_id_number(id_number),
            "phone": mask_phone(phone),
            "arrival_date": arrival,
            "area": area,
        }
        for name, category, id_number, phone, arrival, area in rows.all()
    ]
    return count, people


async def pending_conflicts(session: AsyncSession, principal: Principal) -> int:
    return await _scalar(
        session,
        select(func.count(Conflict.id)).where(
            Conflict.status == "pending", _in_scope(Conflict.area_id, principal)
        ),
    )


# --- fever reports -----------------------------------------------------------------------


def _fever_scope(principal: Principal, facility_id: int | None) -> ColumnElement[bool]:
    if facility_id is not None:
        return and_(FeverReport.deleted.is_(False), FeverReport.facility_id == facility_id)
    return and_(FeverReport.deleted.is_(False), _in_scope(FeverReport.area_id, principal))


async def fever_by_state(
    session: AsyncSession,
    principal: Principal,
    *,
    facility_id: int | None = None,
    since: datetime | None = None,
) -> dict[str, int]:
    where = [_fever_scope(principal, facility_id)]
    if since is not None:
        where.append(FeverReport.seen_at >= since)
    counts = await _grouped(
        session,
        select(FeverReport.state, func.count(FeverReport.id))
        .where(*where)
        .group_by(FeverReport.state),
    )
    return {state: counts.get(state, 0) for state in FeverState}


async def fever_waiting(
    session: AsyncSession,
    principal: Principal,
    *,
    states: tuple[str, ...],
    older_than: datetime | None = None,
    facility_id: int | None = None,
) -> tuple[int, list[dict[str, Any]]]:
    """Reports still in `states` (optionally seen before `older_than`), oldest first."""
    where = [_fever_scope(principal, facility_id), FeverReport.state.in_(states)]
    if older_than is not None:
        where.append(FeverReport.seen_at < older_than)
    count = await _scalar(session, select(func.count(FeverReport.id)).where(*where))
    rows = await session.execute(
        select(FeverReport.patient_name, FeverReport.patient_phone, FeverReport.seen_at)
        .add_columns(FeverReport.state)
        .where(*where)
        .order_by(FeverReport.seen_at)
        .limit(LIST_LIMIT)
    )
    reports = [
        {"patient": name, "phone": mask_phone(phone), "seen_at": seen, "state": state}
        for name, phone, seen, state in rows.all()
    ]
    return count, reports


def unacknowledged_cutoff(now: datetime) -> datetime:
    """Reports seen before this and still "reported" are past the two-hour clock."""
    return now - REPORT_DEADLINE


async def late_fever_reports(session: AsyncSession, principal: Principal, now: datetime) -> int:
    """Reports of the last 7 days that reached the server after the deadline, or never did.

    The deadline needs date arithmetic SQLite and PostgreSQL spell differently, so the
    window's (few) rows are read and fever.rules.report_timeliness judges each.
    """
    rows = await session.execute(
        select(FeverReport.seen_at, FeverReport.received_at).where(
            _fever_scope(principal, None), FeverReport.seen_at >= now - LATE_WINDOW
        )
    )
    return sum(
        report_timeliness(seen, received, now) in {"late", "overdue"}
        for seen, received in rows.all()
    )


async def tests_pending(session: AsyncSession, principal: Principal) -> int:
    """Samples taken and waiting for the lab's result."""
    return await _scalar(
        session,
        select(func.count(Test.id)).where(
            Test.deleted.is_(False),
            Test.result == "pending",
            Test.sampled_at.is_not(None),
            _in_scope(Test.area_id, principal),
        ),
    )


# --- administration ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AdminCounts:
    areas_by_level: dict[str, int]
    users_by_role: dict[str, int]
    active_devices: int


async def admin_counts(session: AsyncSession, principal: Principal) -> AdminCounts:
    from server.accounts.models import Device, User  # accounts imports nothing from pages

    in_tree = Area.path.startswith(principal.area_path, autoescape=True)
    areas = await _grouped(
        session, select(Area.level, func.count(Area.id)).where(in_tree).group_by(Area.level)
    )
    users = await _grouped(
        session,
        select(User.role, func.count(User.id))
        .where(User.active.is_(True), _in_scope(User.area_id, principal))
        .group_by(User.role),
    )
    devices = await _scalar(
        session,
        select(func.count(Device.id))
        .join(User, User.id == Device.user_id)
        .where(Device.revoked_at.is_(None), _in_scope(User.area_id, principal)),
    )
    return AdminCounts(areas_by_level=areas, users_by_role=users, active_devices=devices)
