"""The audit page ``/audit``: who read which whole record and who changed what, in the
reviewer's area, filtered by user, area, record and date, newest first, paged."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Response, get
from litestar.params import QueryParameter
from litestar.response import Template
from litestar.types import ControllerRouterHandler

from server.accounts.deps import CurrentIdentity
from server.accounts.guards import reviewer
from server.audit.queries import audit_entries
from server.deps import AppSettings, Session
from server.errors import BadInput
from server.i18n import gettext as _
from server.web.areas import area_in_scope, day_bounds
from server.web.lists import page_number


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
