"""Server-rendered pages: the home page of each role, and the language switch."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from litestar import Response, get
from litestar.datastructures import Cookie
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from server import i18n
from server.accounts.auth import safe_next
from server.accounts.deps import CurrentIdentity, MaybeIdentity
from server.accounts.guard import Principal
from server.accounts.guards import signed_in
from server.accounts.models import User
from server.areas.models import Facility
from server.config import Settings
from server.db import utcnow
from server.deps import AppSettings, Session
from server.errors import NotFound
from server.i18n import gettext as _
from server.timeutil import local_today
from server.web import home

LANG_MAX_AGE = 365 * 24 * 3600


async def _role_context(
    session: AsyncSession, user: User, principal: Principal, settings: Settings
) -> dict[str, Any]:
    now = utcnow()
    today = local_today(now, settings.timezone)
    midnight = home.day_start(today, settings.timezone)
    role = user.role
    ctx: dict[str, Any] = {"today": today}
    if role == "grid_worker":
        campaign = await home.current_campaign(session, principal.area_path, now)
        ctx |= {
            "campaign": campaign,
            "coverage": await home.household_coverage(session, principal, campaign),
            "persons": await home.persons_count(session, principal),
            "measures": await home.persons_by_measure(session, principal),
            "checks": await home.checks_today(session, principal, today),
            "report_status": await home.grid_report_status(session, user.area_id, today),
        }
    elif role == "sentinel":
        facility = await session.get(Facility, user.facility_id) if user.facility_id else None
        fid = facility.id if facility else -1
        overdue, overdue_list = await home.fever_waiting(
            session,
            principal,
            states=("reported",),
            older_than=home.unacknowledged_cutoff(now),
            facility_id=fid,
        )
        ctx |= {
            "facility": facility,
            "today_by_state": await home.fever_by_state(
                session, principal, facility_id=fid, since=midnight
            ),
            "overdue": overdue,
            "overdue_list": overdue_list,
        }
    elif role == "township_health":
        waiting, waiting_list = await home.fever_waiting(
            session, principal, states=("reported", "acknowledged")
        )
        ctx |= {
            "facility": await session.get(Facility, user.facility_id) if user.facility_id else None,
            "by_state": await home.fever_by_state(session, principal),
            "late": await home.late_fever_reports(session, principal, now),
            "unacknowledged": (
                await home.fever_waiting(
                    session,
                    principal,
                    states=("reported",),
                    older_than=home.unacknowledged_cutoff(now),
                )
            )[0],
            "not_sampled": waiting,
            "not_sampled_list": waiting_list,
            "tests_pending": await home.tests_pending(session, principal),
        }
    elif role == "supervisor":
        campaign = await home.current_campaign(session, principal.area_path, now)
        arrivals, arrival_list = await home.high_risk_arrivals(session, principal, now)
        ctx |= {
            "campaign": campaign,
            "coverage": await home.household_coverage(session, principal, campaign),
            "by_town": await home.coverage_by_level(session, principal, "town", campaign),
            "by_village": await home.coverage_by_level(session, principal, "village", campaign),
            "reports": await home.daily_reports_today(session, principal, today),
            "checks": await home.checks_today(session, principal, today),
            # yesterday's open slots can no longer be done: they are missed checks
            "missed": await home.checks_today(session, principal, today - timedelta(days=1)),
            "late": await home.late_fever_reports(session, principal, now),
            "conflicts": await home.pending_conflicts(session, principal),
            "arrivals": arrivals,
            "arrival_list": arrival_list,
        }
    elif role == "admin":
        ctx["admin"] = await home.admin_counts(session, principal)
    return ctx


@get("/", include_in_schema=False, guards=[signed_in])
async def home_page(
    session: Session, settings: AppSettings, identity: CurrentIdentity
) -> Response[Any]:
    user, principal = identity.user, identity.principal
    context = {
        "user": user,
        "trail": await home.area_trail(session, principal.area_path),
        **await _role_context(session, user, principal, settings),
    }
    return Template(template_name="home.html", context=context)


@get("/lang/{code:str}", include_in_schema=False)
async def switch_language(
    session: Session,
    maybe_identity: MaybeIdentity,
    code: FromPath[str],
    next_path: Annotated[str | None, QueryParameter(name="next")] = None,
) -> Response[Any]:
    """Set the language cookie and go back where the user was (a local path only); a
    signed-in user's sync and API messages follow the choice too."""
    locale = i18n.normalise(code)
    if locale is None:
        raise NotFound(_("Unknown language."), code="unknown_language")
    if maybe_identity is not None and maybe_identity.user.locale != locale:
        maybe_identity.user.locale = locale  # the request's session writes it back
    # Readable by the field app's scripts, so not HttpOnly; it holds nothing secret.
    cookie = Cookie(key=i18n.LOCALE_COOKIE, value=locale, max_age=LANG_MAX_AGE, samesite="lax")
    return Redirect(safe_next(next_path), status_code=303, cookies=[cookie])


ROUTES: list[ControllerRouterHandler] = [home_page, switch_language]
