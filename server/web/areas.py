"""The supervisor's drill-down: city → county → town → village → grid on one page shape.

``/areas/<id>?day=YYYY-MM-DD`` shows the area's own figures and a row per child area for
the picked day (the last 30 days). Each figure is one grouped statement from a domain's
queries.py (server.areas.queries.Groups), so the page costs the same number of
statements for a county of 70 grids as for a village of 3.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Response, get
from litestar.params import FromPath, QueryParameter
from litestar.response import Template
from litestar.types import ControllerRouterHandler
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.deps import CurrentIdentity
from server.accounts.guard import Principal
from server.accounts.guards import reviewer
from server.accounts.queries import last_sync_by_group
from server.areas.models import Area
from server.areas.queries import ChildArea, area_ancestors, area_and_children, groups_of
from server.db import utcnow
from server.deps import AppSettings, Session
from server.errors import BadInput, NotFound
from server.fever.queries import GroupFever, fever_by_group, fever_seen_between
from server.fever.rules import timeliness_by_day
from server.i18n import gettext as _
from server.labels import label
from server.people.queries import arrivals_by_group
from server.people.values import MeasureKind
from server.quarantine.queries import (
    GroupChecks,
    checks_by_group,
    measures_between,
    measures_by_group,
)
from server.quarantine.rules import census
from server.reports.queries import GroupReports, reports_by_group, reports_per_day
from server.timeutil import local_today
from server.visits.queries import Coverage, coverage_by_group, current_campaign
from server.web.charts import Bar, Column, Series, bar_chart, column_chart, legend

#: how far back the date picker goes (today included)
DAYS_BACK = 30
#: days the daily-report and fever charts show, ending on the picked day
CHART_DAYS = 14
#: days the quarantine census shows, ending on the picked day
CENSUS_DAYS = 30
#: the census' measure kinds, bottom of the column first, and their colours
CENSUS_KINDS: tuple[tuple[MeasureKind, str], ...] = (
    (MeasureKind.HEALTH_MONITORING, "#5b8db8"),
    (MeasureKind.HOME_QUARANTINE, "#d08c1f"),
    (MeasureKind.CENTRAL_QUARANTINE, "#b3261e"),
    (MeasureKind.HOSPITAL, "#6a3d9a"),
)


def pick_day(raw: str | None, today: date) -> date:
    """The day a page shows: today when not given, else a date of the last 30 days."""
    if raw is None or raw == "":
        return today
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise BadInput(_("The date must be written as YYYY-MM-DD."), code="bad_date") from None
    if not today - timedelta(days=DAYS_BACK - 1) <= day <= today:
        raise BadInput(_("Pick a date of the last 30 days."), code="date_out_of_range")
    return day


def day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """[local midnight, next local midnight) of `day`, in UTC."""
    start = datetime.combine(day, time.min, tzinfo=ZoneInfo(tz)).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=ZoneInfo(tz))
    return start, end.astimezone(UTC)


async def area_in_scope(session: AsyncSession, principal: Principal, area_id: int) -> Area:
    """The area, when it lies in the caller's subtree; 404 otherwise (no existence leak)."""
    area = await session.get(Area, area_id)
    if area is None or not principal.covers(area.path):
        raise NotFound(_("No such area in your area."), code="unknown_area")
    return area


@dataclass(frozen=True, slots=True)
class AreaFigures:
    """One row of the drill-down: an area and its numbers for the day."""

    area: ChildArea
    coverage: Coverage
    measures: dict[str, int]
    checks: GroupChecks
    reports: GroupReports
    fever: GroupFever
    arrivals: int
    last_sync: datetime | None

    @property
    def under_measure(self) -> int:
        return sum(self.measures.values())

    @property
    def on_time_percent(self) -> str:
        total = self.fever.total
        return "—" if total == 0 else f"{100 * self.fever.on_time / total:.0f}%"


@dataclass(frozen=True, slots=True)
class DrillDown:
    area: Area
    day: date
    today: date
    has_campaign: bool
    own: AreaFigures
    children: list[AreaFigures] = field(default_factory=list)


async def drill_down(
    session: AsyncSession, principal: Principal, area: Area, day: date, tz: str, now: datetime
) -> DrillDown:
    """The area's figures and each child's for `day`: a fixed number of statements."""
    today = local_today(now, tz)
    start, end = day_bounds(day, tz)
    # a past day is seen as of its end; today as of now
    until = min(end, now)
    groups = groups_of(area.id)
    campaign = await current_campaign(session, area.path, until)
    areas = await area_and_children(session, area.id)
    coverage = await coverage_by_group(session, groups, campaign, until)
    measures = await measures_by_group(session, groups, day)
    checks = await checks_by_group(session, groups, day, today)
    reports = await reports_by_group(session, groups, day)
    fever = await fever_by_group(session, groups, start, end, now)
    arrivals = await arrivals_by_group(session, groups, until)
    synced = await last_sync_by_group(session, groups)
    rows = [
        AreaFigures(
            area=a,
            coverage=coverage.get(a.id, Coverage(0, 0)),
            measures=measures.get(a.id, {}),
            checks=checks.get(a.id, GroupChecks()),
            reports=reports.get(a.id, GroupReports()),
            fever=fever.get(a.id, GroupFever(by_state={})),
            arrivals=arrivals.get(a.id, 0),
            last_sync=synced.get(a.id),
        )
        for a in areas
    ]
    return DrillDown(area, day, today, campaign is not None, rows[0], rows[1:])


@dataclass(frozen=True, slots=True)
class FeverDay:
    day: date
    on_time: int
    late: int
    waiting: int


@dataclass(frozen=True, slots=True)
class CensusDay:
    day: date
    #: people under each kind of CENSUS_KINDS, in that order
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True, slots=True)
class AreaCharts:
    """The area page's four charts, each with the numbers its table shows."""

    compliance: list[Bar]
    compliance_svg: Markup
    coverage: list[Bar]
    coverage_svg: Markup | None
    fever: list[FeverDay]
    fever_svg: Markup
    fever_legend: Markup
    census: list[CensusDay]
    census_kinds: list[str]
    census_svg: Markup
    census_legend: Markup


def _md(day: date) -> str:
    return day.strftime("%m-%d")


async def area_charts(
    session: AsyncSession, area: Area, view: DrillDown, tz: str, now: datetime
) -> AreaCharts:
    """Daily reports and fever reports over the 14 days ending on the picked day, the
    census over 30, and coverage by child area: three statements whatever the area."""
    last = view.day
    first = last - timedelta(days=CHART_DAYS - 1)
    per_day = await reports_per_day(session, area.path, first, last)
    grids = view.own.reports.grids
    days = [first + timedelta(days=i) for i in range(CHART_DAYS)]
    compliance = [
        Bar(_md(d), per_day.get(d, 0), f"{per_day.get(d, 0)}/{grids}", per_day.get(d, 0) < grids)
        for d in days
    ]
    coverage = [Bar(r.area.name, r.coverage.ratio, r.coverage.percent) for r in view.children]
    since, _end = day_bounds(first, tz)
    _start, until = day_bounds(last, tz)
    tally = timeliness_by_day(
        await fever_seen_between(session, area.path, since, until), tz, now, first, last
    )
    fever = [
        FeverDay(d, t["on_time"], t["late"] + t["overdue"], t["pending"]) for d, t in tally.items()
    ]
    fever_series = [
        Series(_("Reported on time"), "#0b6e4f"),
        Series(_("Late"), "#b3261e"),
        Series(_("Not yet received"), "#9aa0a6"),
    ]
    census_first = last - timedelta(days=CENSUS_DAYS - 1)
    counted = census(
        await measures_between(session, area.path, census_first, last), census_first, last
    )
    census_rows = [
        CensusDay(d, tuple(c.get(kind, 0) for kind, _colour in CENSUS_KINDS))
        for d, c in counted.items()
    ]
    census_series = [Series(label(kind), colour) for kind, colour in CENSUS_KINDS]
    return AreaCharts(
        compliance=compliance,
        compliance_svg=bar_chart(compliance, maximum=grids, title=_("Daily reports")),
        coverage=coverage,
        coverage_svg=bar_chart(coverage, maximum=1.0, title=_("Coverage by area"))
        if coverage and view.has_campaign
        else None,
        fever=fever,
        fever_svg=column_chart(
            [Column(_md(f.day), (f.on_time, f.late, f.waiting)) for f in fever],
            fever_series,
            title=_("Fever reports per day"),
        ),
        fever_legend=legend(fever_series),
        census=census_rows,
        census_kinds=[s.name for s in census_series],
        census_svg=column_chart(
            [Column(_md(c.day), c.counts) for c in census_rows],
            census_series,
            title=_("People under a measure per day"),
        ),
        census_legend=legend(census_series),
    )


@get("/areas/{area_id:int}", include_in_schema=False, guards=[reviewer])
async def area_page(
    session: Session,
    settings: AppSettings,
    identity: CurrentIdentity,
    area_id: FromPath[int],
    day: Annotated[str | None, QueryParameter()] = None,
) -> Response[Any]:
    now = utcnow()
    picked = pick_day(day, local_today(now, settings.timezone))
    area = await area_in_scope(session, identity.principal, area_id)
    view = await drill_down(session, identity.principal, area, picked, settings.timezone, now)
    charts = await area_charts(session, area, view, settings.timezone, now)
    return Template(
        template_name="supervisor/area.html",
        context={
            "user": identity.user,
            # the trail links only the areas the caller may open
            "trail": [
                (a, identity.principal.covers(a.path))
                for a in await area_ancestors(session, area.path)
            ],
            "view": view,
            "earliest": view.today - timedelta(days=DAYS_BACK - 1),
            "charts": charts,
        },
    )


ROUTES: list[ControllerRouterHandler] = [area_page]
