"""Each role's home page: a registered builder that asks the domains for its numbers and
returns a typed, frozen context, and the template that shows it.

A partial reads only ``home.<field>`` of its context (tests/unit/test_homes.py checks the
templates against the dataclasses; tests/integration/test_pages.py renders every role's
home on the demo county with undefined names as errors). A new role's home is one
dataclass, one builder decorated with :func:`home_of` and one template.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.guard import Principal
from server.accounts.models import User
from server.accounts.queries import AdminCounts, admin_counts
from server.accounts.values import Role
from server.areas.models import Facility
from server.areas.queries import area_trail
from server.areas.values import AreaLevel
from server.config import Settings
from server.db import reads_beside
from server.fever.inbox import InboxRow, inbox_rows, limits_of
from server.fever.queries import (
    Waiting,
    fever_by_state,
    fever_waiting,
    late_fever_reports,
    unacknowledged_cutoff,
)
from server.fever.values import FeverState
from server.people.queries import Arrivals, high_risk_arrivals, persons_by_measure, persons_count
from server.quarantine.queries import (
    ChecksToday,
    checks_today,
    checks_today_and_missed,
    tests_due,
    tests_pending,
)
from server.reports.queries import DailyReports, daily_reports_today, grid_report_status
from server.sync.queries import pending_conflicts
from server.timeutil import local_today
from server.visits.models import Campaign
from server.visits.queries import AreaCoverage, Coverage, coverage_tree, current_campaign
from server.visits.queries import household_coverage as coverage_of
from server.web.alerts import BOX_ROLES, alerts_box

H = TypeVar("H")
Builder = Callable[[AsyncSession, Principal, User, Settings, datetime], Awaitable[H]]


@dataclass(frozen=True, slots=True)
class RoleHome:
    """A role's registered home: the context's type, its builder and its template."""

    role: str
    context: type[Any]
    build: Builder[Any]
    template: str


HOMES: dict[str, RoleHome] = {}


def home_of(role: str, context: type[H]) -> Callable[[Builder[H]], Builder[H]]:
    """Register the decorated builder as `role`'s home (template ``home_<role>.html``)."""

    def register(build: Builder[H]) -> Builder[H]:
        if role in HOMES:
            raise ValueError(f"{role} already has a home")
        HOMES[role] = RoleHome(role, context, build, f"_partials/home_{role}.html")
        return build

    return register


def _local_midnight(day: date, tz: str) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(tz)).astimezone(UTC)


async def _facility(session: AsyncSession, user: User) -> Facility | None:
    return await session.get(Facility, user.facility_id) if user.facility_id else None


# --- the roles ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GridWorkerHome:
    campaign: Campaign | None
    coverage: Coverage
    persons: int
    measures: dict[str, int]
    checks: ChecksToday
    report_status: str


@home_of(Role.GRID_WORKER, GridWorkerHome)
async def grid_worker_home(
    session: AsyncSession, principal: Principal, user: User, settings: Settings, now: datetime
) -> GridWorkerHome:
    today = local_today(now, settings.timezone)
    campaign = await current_campaign(session, principal.area_path, now)
    return GridWorkerHome(
        campaign=campaign,
        coverage=await coverage_of(session, principal, campaign),
        persons=await persons_count(session, principal),
        measures=await persons_by_measure(session, principal),
        checks=await checks_today(session, principal, today),
        report_status=await grid_report_status(session, user.area_id, today),
    )


@dataclass(frozen=True, slots=True)
class SentinelHome:
    facility: Facility | None
    today_by_state: dict[str, int]
    #: still "reported" two hours after the patient was seen
    overdue: Waiting


@home_of(Role.SENTINEL, SentinelHome)
async def sentinel_home(
    session: AsyncSession, principal: Principal, user: User, settings: Settings, now: datetime
) -> SentinelHome:
    facility = await _facility(session, user)
    # no facility linked: count nothing rather than the whole subtree
    fid = facility.id if facility else -1
    midnight = _local_midnight(local_today(now, settings.timezone), settings.timezone)
    return SentinelHome(
        facility=facility,
        today_by_state=await fever_by_state(session, principal, facility_id=fid, since=midnight),
        overdue=await fever_waiting(
            session,
            principal,
            states=(FeverState.REPORTED,),
            older_than=unacknowledged_cutoff(now),
            facility_id=fid,
        ),
    )


@dataclass(frozen=True, slots=True)
class TownshipHome:
    facility: Facility | None
    by_state: dict[str, int]
    late: int
    unacknowledged: int
    not_sampled: Waiting
    tests_pending: int


@home_of(Role.TOWNSHIP_HEALTH, TownshipHome)
async def township_home(
    session: AsyncSession, principal: Principal, user: User, settings: Settings, now: datetime
) -> TownshipHome:
    unacknowledged = await fever_waiting(
        session, principal, states=(FeverState.REPORTED,), older_than=unacknowledged_cutoff(now)
    )
    return TownshipHome(
        facility=await _facility(session, user),
        by_state=await fever_by_state(session, principal),
        late=await late_fever_reports(session, principal, now),
        unacknowledged=unacknowledged.count,
        not_sampled=await fever_waiting(
            session, principal, states=(FeverState.REPORTED, FeverState.ACKNOWLEDGED)
        ),
        tests_pending=await tests_pending(session, principal),
    )


@dataclass(frozen=True, slots=True)
class SupervisorHome:
    #: the supervisor's own area: the drill-down starts there
    area_id: int
    campaign: Campaign | None
    coverage: Coverage
    by_town: list[AreaCoverage]
    #: every village, or when there are more than VILLAGES_SHOWN (a county), those with
    #: the lowest coverage of the campaign (the rest: on the towns' pages)
    by_village: list[AreaCoverage]
    villages_total: int
    reports: DailyReports
    checks: ChecksToday
    #: yesterday's check slots nobody did (they can no longer be done)
    missed: int
    #: persons whose scheduled test is due or overdue and not sampled
    tests_due: int
    late: int
    conflicts: int
    arrivals: Arrivals
    #: fever reports past the two-hour clock or escalated, the longest waiting first
    overdue_fever: list[InboxRow]


#: overdue fever reports a supervisor's home lists (the inbox has them all)
OVERDUE_SHOWN = 10
#: villages a supervisor's home lists at most (a county has two thousand)
VILLAGES_SHOWN = 30


def villages_to_show(villages: list[AreaCoverage], campaign: Campaign | None) -> list[AreaCoverage]:
    """Every village when they are few; else the VILLAGES_SHOWN that most need a visit
    (the lowest coverage of the campaign; without a campaign, the first in code order)."""
    if len(villages) <= VILLAGES_SHOWN:
        return villages
    if campaign is None:
        return villages[:VILLAGES_SHOWN]
    return sorted(villages, key=lambda v: v.coverage.ratio)[:VILLAGES_SHOWN]


@home_of(Role.SUPERVISOR, SupervisorHome)
async def supervisor_home(
    session: AsyncSession, principal: Principal, user: User, settings: Settings, now: datetime
) -> SupervisorHome:
    today = local_today(now, settings.timezone)
    # The two passes over the running measures (today's open check slots with
    # yesterday's missed ones; the tests due) run on connections of their own, beside the
    # rest of the page's reads (PostgreSQL: in parallel; a city has tens of thousands).

    async def measures_checks(s: AsyncSession) -> Any:
        return await checks_today_and_missed(s, principal, today)

    async def measures_tests(s: AsyncSession) -> Any:
        return await tests_due(s, principal, now, settings.timezone)

    async def the_rest(s: AsyncSession) -> Any:
        campaign = await current_campaign(s, principal.area_path, now)
        # the counts the database keeps per area, rolled up the area tree (no pass over
        # the households and visits: server/areas/tallies.py, server/visits/coverage.py)
        levels = (AreaLevel.TOWN, AreaLevel.VILLAGE)
        return (
            campaign,
            await coverage_tree(s, principal, levels, campaign),
            await daily_reports_today(s, principal, today),
            await late_fever_reports(s, principal, now),
            await pending_conflicts(s, principal),
            await high_risk_arrivals(s, principal, now),
            (await inbox_rows(s, principal, now, limits_of(settings), only_urgent=True))[
                :OVERDUE_SHOWN
            ],
        )

    rest, (checks, missed), due = await reads_beside(
        session, the_rest, measures_checks, measures_tests
    )
    campaign, tree, reports, late, conflicts, arrivals, overdue = rest
    return SupervisorHome(
        area_id=principal.area_id,
        campaign=campaign,
        coverage=tree.coverage,
        by_town=tree.by_level[AreaLevel.TOWN],
        by_village=villages_to_show(tree.by_level[AreaLevel.VILLAGE], campaign),
        villages_total=len(tree.by_level[AreaLevel.VILLAGE]),
        reports=reports,
        checks=checks,
        missed=missed,
        tests_due=due,
        late=late,
        conflicts=conflicts,
        arrivals=arrivals,
        overdue_fever=overdue,
    )


@dataclass(frozen=True, slots=True)
class AdminHome:
    counts: AdminCounts


@home_of(Role.ADMIN, AdminHome)
async def admin_home(
    session: AsyncSession, principal: Principal, user: User, settings: Settings, now: datetime
) -> AdminHome:
    return AdminHome(counts=await admin_counts(session, principal))


# --- the page ----------------------------------------------------------------------------


async def home_page_context(
    session: AsyncSession, principal: Principal, user: User, settings: Settings, now: datetime
) -> dict[str, Any]:
    """What home.html reads: the user, their place, today, and their role's home."""
    role_home = HOMES.get(user.role)
    return {
        # the live box of open alerts (特报) for the town's supervisors and health centre
        "alerts_box": await alerts_box(session, principal) if user.role in BOX_ROLES else None,
        "user": user,
        "trail": await area_trail(session, principal.area_path),
        "today": local_today(now, settings.timezone),
        "home": await role_home.build(session, principal, user, settings, now)
        if role_home
        else None,
        "home_template": role_home.template if role_home else None,
    }
