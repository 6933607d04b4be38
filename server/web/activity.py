"""Worker activity and data freshness: each field device's last sync, the pending count
it last reported, its app version and clock offset; grids silent for over 24 hours are
highlighted with their lead's (publicly posted) phone."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from litestar import Response, get
from litestar.params import QueryParameter
from litestar.response import Template
from litestar.types import ControllerRouterHandler

from server.accounts.deps import CurrentIdentity
from server.accounts.guards import reviewer
from server.accounts.queries import device_activity, grid_last_sync
from server.db import utcnow
from server.deps import Session
from server.web.areas import area_in_scope

SILENT_AFTER = timedelta(hours=24)


def is_silent(last_sync: datetime | None, now: datetime) -> bool:
    """No sync at all, or none for more than 24 hours."""
    return last_sync is None or now - last_sync > SILENT_AFTER


@get("/activity", include_in_schema=False, guards=[reviewer])
async def activity_page(
    session: Session,
    identity: CurrentIdentity,
    area: Annotated[int | None, QueryParameter()] = None,
) -> Response[Any]:
    now = utcnow()
    the_area = await area_in_scope(session, identity.principal, area or identity.principal.area_id)
    grids = await grid_last_sync(session, the_area.path)
    devices = await device_activity(session, the_area.path)
    return Template(
        template_name="supervisor/activity.html",
        context={
            "user": identity.user,
            "area": the_area,
            "grids": [(g, is_silent(g.last_sync_at, now)) for g in grids],
            "silent": sum(is_silent(g.last_sync_at, now) for g in grids),
            "devices": [(d, is_silent(d.last_sync_at, now)) for d in devices],
        },
    )


ROUTES: list[ControllerRouterHandler] = [activity_page]
