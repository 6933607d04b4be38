"""The audit page ``/audit``: who read which whole record and who changed what, in the
reviewer's area, filtered by user, area, record and date, newest first, paged. The query
lives here, not in server/audit: audit sits below accounts (sign-ins are audited), and
this one needs users' names and the area guard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Response, get
from litestar.params import QueryParameter
from litestar.response import Template
from litestar.types import ControllerRouterHandler
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.deps import CurrentIdentity
from server.accounts.guard import Principal, in_subtree, in_subtree_path
from server.accounts.guards import reviewer
from server.accounts.models import User
from server.areas.models import Area
from server.audit.models import AuditEntry
from server.deps import AppSettings, Session
from server.errors import BadInput
from server.i18n import gettext as _
from server.querying import PAGE_SIZE, Page, count_of, page_offset
from server.web.areas import area_in_scope, day_bounds
from server.web.lists import page_number


@dataclass(frozen=True, slots=True)
class AuditRow:
    at: datetime
    user: str
    user_id: int | None
    action: str
    entity: str
    entity_id: str | None
    area: str
    detail: dict[str, Any]


async def audit_entries(
    session: AsyncSession,
    principal: Principal,
    *,
    user_id: int | None,
    area_path: str | None,
    record: str | None,
    since: datetime | None,
    until: datetime | None,
    page: int,
) -> Page[AuditRow]:
    """Entries about areas of the subtree (newest first), optionally by one user, under one
    area, about one record (its id) and in [since, until)."""
    # entries about no area (sign-ins) stay with the administrators' other pages
    where = [in_subtree(Area.id, principal)]
    if user_id is not None:
        where.append(AuditEntry.user_id == user_id)
    if area_path is not None:
        where.append(in_subtree_path(Area.path, area_path))
    if record:
        where.append(AuditEntry.entity_id == record)
    if since is not None:
        where.append(AuditEntry.at >= since)
    if until is not None:
        where.append(AuditEntry.at < until)
    base = (
        select(AuditEntry, User.name, Area.name)
        .outerjoin(User, User.id == AuditEntry.user_id)
        .join(Area, Area.id == AuditEntry.area_id)
        .where(*where)
    )
    total = await count_of(session, select(func.count()).select_from(base.subquery()))
    rows = await session.execute(
        base.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .offset(page_offset(page))
        .limit(PAGE_SIZE)
    )
    return Page(
        [
            AuditRow(
                at=e.at,
                user=name or "—",
                user_id=e.user_id,
                action=e.action,
                entity=e.entity,
                entity_id=e.entity_id,
                area=area or "",
                detail=dict(e.detail or {}),
            )
            for e, name, area in rows.all()
        ],
        total,
        page,
    )


def optional_int(raw: str | None, what: str) -> int | None:
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        raise BadInput(_("%(what)s must be a number.", what=what), code="bad_filter")
    return int(raw)


def optional_day(raw: str | None) -> date | None:
    if raw is None or raw == "":
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadInput(_("The date must be written as YYYY-MM-DD."), code="bad_date") from None


@get("/audit", include_in_schema=False, guards=[reviewer])
async def audit_page(
    session: Session,
    settings: AppSettings,
    identity: CurrentIdentity,
    # "user" is also the signed-in user's dependency: the parameter takes another name
    by_user: Annotated[str | None, QueryParameter(name="user")] = None,
    area: Annotated[str | None, QueryParameter()] = None,
    record: Annotated[str | None, QueryParameter()] = None,
    since: Annotated[str | None, QueryParameter(name="from")] = None,
    until: Annotated[str | None, QueryParameter(name="to")] = None,
    page: Annotated[str | None, QueryParameter()] = None,
) -> Response[Any]:
    user_id = optional_int(by_user, _("User"))
    area_id = optional_int(area, _("Area"))
    first, last = optional_day(since), optional_day(until)
    the_area = await area_in_scope(session, identity.principal, area_id) if area_id else None
    tz = settings.timezone
    result = await audit_entries(
        session,
        identity.principal,
        user_id=user_id,
        area_path=the_area.path if the_area else None,
        record=(record or "").strip()[:40] or None,
        since=day_bounds(first, tz)[0] if first else None,
        until=day_bounds(last, tz)[1] if last else None,
        page=page_number(page),
    )
    filters = {"user": by_user or "", "area": area or "", "record": record or "",
               "from": since or "", "to": until or ""}  # fmt: skip
    kept = {k: v for k, v in filters.items() if v}
    return Template(
        template_name="supervisor/audit.html",
        context={
            "user": identity.user,
            "result": result,
            "filters": filters,
            "prev_query": urlencode({**kept, "page": result.page - 1}),
            "next_query": urlencode({**kept, "page": result.page + 1}),
        },
    )


ROUTES: list[ControllerRouterHandler] = [audit_page]
