"""The supervisor's line lists, each opened from a figure of the drill-down with its
filters preset: ``/lists/<kind>?area=<id>&day=YYYY-MM-DD&sort=...&page=N`` plus the
kind's own filters. An htmx request (filter, sort, page) gets the list fragment only,
rendered from the template the whole page includes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from litestar import Response, get
from litestar.params import FromPath, QueryParameter
from litestar.plugins.htmx import HTMXRequest, HTMXTemplate
from litestar.response import Template
from litestar.types import ControllerRouterHandler

from server.accounts.deps import CurrentIdentity
from server.accounts.guards import reviewer
from server.db import utcnow
from server.deps import AppSettings, Session
from server.errors import BadInput, NotFound
from server.fever.queries import FEVER_SORTS, fever_reports_between
from server.fever.values import FeverState
from server.i18n import gettext as _
from server.people.queries import ARRIVAL_WINDOW, RETURNEE_CATEGORIES, RETURNEE_SORTS, returnees
from server.people.rules import SPECIAL_REPORT_CATEGORIES
from server.people.values import MeasureKind
from server.quarantine.queries import MEASURE_SORTS, measures_on
from server.reminders.queries import check_marks, report_marks
from server.reports.queries import REPORT_SORTS, grid_reports
from server.reports.values import ReportStatus
from server.timeutil import local_today
from server.visits.queries import HOUSEHOLD_SORTS, current_campaign, unvisited_households
from server.web.areas import area_in_scope, day_bounds, pick_day

#: each list's sort keys, the first being the default
SORTS: dict[str, tuple[str, ...]] = {
    "unvisited": HOUSEHOLD_SORTS,
    "measures": MEASURE_SORTS,
    "checks": MEASURE_SORTS,
    "reports": REPORT_SORTS,
    "arrivals": RETURNEE_SORTS,
    "fever": FEVER_SORTS,
}
#: "high" in the arrivals list: every category the rules report at once (特报)
HIGH = "high"


@dataclass(frozen=True, slots=True)
class Filters:
    """A list's validated query: what the page shows and what its links carry."""

    kind: str
    area: int
    day: str
    sort: str
    page: int
    status: str = ""
    category: str = ""
    recent: bool = False
    unmet: bool = False

    def query(self, **changes: Any) -> str:
        """The query string of this list with some filters changed (page back to 1)."""
        values = {
            "area": self.area,
            "day": self.day,
            "sort": self.sort,
            "page": 1,
            "status": self.status,
            "category": self.category,
            "recent": "1" if self.recent else "",
            "unmet": "1" if self.unmet else "",
        }
        values.update(changes)
        return "&".join(f"{k}={v}" for k, v in values.items() if v not in ("", None, False))


def choose(raw: str | None, allowed: tuple[str, ...] | frozenset[str], what: str) -> str:
    """`raw` when it is one of `allowed`, "" when absent; a 400 otherwise."""
    if raw is None or raw == "":
        return ""
    if raw not in allowed:
        raise BadInput(_("Unknown %(what)s: %(value)s", what=what, value=raw), code="bad_filter")
    return raw


def page_number(raw: str | None) -> int:
    if raw is None or raw == "":
        return 1
    if not raw.isdigit() or not 1 <= int(raw) <= 100_000:
        raise BadInput(_("The page must be a whole number from 1."), code="bad_page")
    return int(raw)


@get("/lists/{kind:str}", include_in_schema=False, guards=[reviewer])
async def list_page(
    request: HTMXRequest,
    session: Session,
    settings: AppSettings,
    identity: CurrentIdentity,
    kind: FromPath[str],
    area: Annotated[int, QueryParameter()],
    day: Annotated[str | None, QueryParameter()] = None,
    sort: Annotated[str | None, QueryParameter()] = None,
    page: Annotated[str | None, QueryParameter()] = None,
    status: Annotated[str | None, QueryParameter()] = None,
    category: Annotated[str | None, QueryParameter()] = None,
    recent: Annotated[str | None, QueryParameter()] = None,
    unmet: Annotated[str | None, QueryParameter()] = None,
) -> Response[Any]:
    if kind not in SORTS:
        raise NotFound(_("No such list."), code="unknown_list")
    now = utcnow()
    tz = settings.timezone
    today = local_today(now, tz)
    picked = pick_day(day, today)
    the_area = await area_in_scope(session, identity.principal, area)
    statuses: dict[str, tuple[str, ...]] = {
        "reports": tuple(ReportStatus),
        "fever": tuple(FeverState),
        "measures": tuple(k for k in MeasureKind if k != MeasureKind.NONE),
        "checks": tuple(k for k in MeasureKind if k != MeasureKind.NONE),
    }
    filters = Filters(
        kind=kind,
        area=area,
        day=picked.isoformat(),
        sort=choose(sort, SORTS[kind], _("sort")) or SORTS[kind][0],
        page=page_number(page),
        status=choose(status, statuses.get(kind, ()), _("status")),
        category=choose(category, (HIGH, *RETURNEE_CATEGORIES), _("category")),
        recent=recent == "1",
        unmet=unmet == "1",
    )
    start, end = day_bounds(picked, tz)
    until = min(end, now)
    path = the_area.path
    result: Any
    if kind == "unvisited":
        campaign = await current_campaign(session, path, until)
        result = await unvisited_households(
            session, path, campaign, until, filters.sort, filters.page
        )
    elif kind in {"measures", "checks"}:
        result = await measures_on(
            session,
            path,
            day=picked,
            today=today,
            timezone=tz,
            kind=filters.status or None,
            not_done_only=kind == "checks",
            sort=filters.sort,
            page=filters.page,
        )
    elif kind == "reports":
        result = await grid_reports(
            session, path, picked, filters.status or None, filters.sort, filters.page
        )
    elif kind == "arrivals":
        wanted = (
            tuple(SPECIAL_REPORT_CATEGORIES)
            if filters.category in ("", HIGH)
            else (filters.category,)
        )
        result = await returnees(
            session,
            path,
            today=picked,
            categories=wanted,
            entered_since=until - ARRIVAL_WINDOW if filters.recent else None,
            until=until,
            unmet_only=filters.unmet,
            sort=filters.sort,
            page=filters.page,
        )
    else:
        result = await fever_reports_between(
            session,
            path,
            since=start,
            until=end,
            state=filters.status or None,
            now=now,
            sort=filters.sort,
            page=filters.page,
        )
    # the reminders already sent about the rows of the page: when, and when they were read
    marks: dict[Any, Any] = {}
    if kind == "reports":
        marks = await report_marks(session, picked, (r.grid_id for r in result.rows))
    elif kind == "checks":
        marks = await check_marks(session, picked, (r.person_id for r in result.rows))
    context = {
        "user": identity.user,
        "area": the_area,
        "f": filters,
        "marks": marks,
        "back": f"/lists/{kind}?{filters.query(page=filters.page)}",
        "result": result,
        "statuses": statuses.get(kind, ()),
        "categories": (HIGH, *RETURNEE_CATEGORIES),
        "earliest": today - timedelta(days=29),
        "today": today,
    }
    if request.htmx:
        return HTMXTemplate(template_name="supervisor/list_rows.html", context=context)
    return Template(template_name="supervisor/list.html", context=context)


ROUTES: list[ControllerRouterHandler] = [list_page]
