"""The alerts page (``/alerts``): special reports (特报) for the town's supervisors and the
township health centre, live through the inbox's stream, each acknowledged once (who and
when, audited)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from litestar import Response, get, post
from litestar.params import FromPath, QueryParameter
from litestar.plugins.htmx import HTMXRequest, HTMXTemplate
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.auth import require_csrf
from server.accounts.deps import CurrentIdentity
from server.accounts.guard import REVIEWERS, TOWNSHIP_STAFF, Principal, in_subtree
from server.accounts.models import User
from server.alerts import live
from server.alerts.models import Alert
from server.areas.models import Area
from server.audit import log as audit_log
from server.db import utcnow
from server.deps import AppSettings, Session
from server.errors import NotFound
from server.fever.models import FeverReport
from server.i18n import gettext as _
from server.people.models import Person
from server.web.inbox import fever_reader

#: most alerts the page lists (the open ones first)
ALERTS_LIMIT = 200
#: most open alerts a home page's box lists (the page has them all)
BOX_LIMIT = 10
#: roles whose home page carries the live box of open alerts
BOX_ROLES = TOWNSHIP_STAFF | REVIEWERS


@dataclass(frozen=True, slots=True)
class AlertRow:
    id: uuid.UUID
    kind: str
    source: str
    who: str
    area: str
    created_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    report_id: uuid.UUID | None


async def alert_rows(
    session: AsyncSession,
    principal: Principal,
    *,
    only_open: bool = False,
    limit: int = ALERTS_LIMIT,
) -> list[AlertRow]:
    """The subtree's alerts, open ones first, newest first within each."""
    acker = User.__table__.alias("acker")
    where = [in_subtree(Alert.area_id, principal)]
    if only_open:
        where.append(Alert.acknowledged_at.is_(None))
    rows = await session.execute(
        select(Alert, Area.name, Person.name, FeverReport.patient_name, acker.c.name)
        .join(Area, Area.id == Alert.area_id)
        .outerjoin(Person, Person.id == Alert.person_id)
        .outerjoin(FeverReport, FeverReport.id == Alert.report_id)
        .outerjoin(acker, acker.c.id == Alert.acknowledged_by)
        .where(*where)
        .order_by(Alert.acknowledged_at.is_not(None), Alert.created_at.desc())
        .limit(limit)
    )
    return [
        AlertRow(
            a.id,
            a.kind,
            a.source,
            person or patient or "",
            area,
            a.created_at,
            acked,
            a.acknowledged_at,
            a.report_id,
        )
        for a, area, person, patient, acked in rows.all()
    ]


async def _context(session: AsyncSession, user: User, principal: Principal) -> dict[str, Any]:
    rows = await alert_rows(session, principal)
    return {"user": user, "alerts": rows, "open": sum(r.acknowledged_at is None for r in rows)}


async def alerts_box(session: AsyncSession, principal: Principal) -> dict[str, Any]:
    """A home page's live box: the newest open alerts and how many are open."""
    open_count = await session.scalar(
        select(func.count(Alert.id)).where(
            in_subtree(Alert.area_id, principal), Alert.acknowledged_at.is_(None)
        )
    )
    rows = await alert_rows(session, principal, only_open=True, limit=BOX_LIMIT)
    return {"rows": rows, "open": int(open_count or 0)}


async def _box_context(session: AsyncSession, user: User, principal: Principal) -> dict[str, Any]:
    return {"user": user, "alerts_box": await alerts_box(session, principal)}


@get("/alerts", include_in_schema=False, guards=[fever_reader])
async def alerts_page(
    request: HTMXRequest,
    session: Session,
    identity: CurrentIdentity,
    box: Annotated[bool, QueryParameter()] = False,
) -> Response[Any]:
    """The alerts page; ``?box=1`` is a home page's box of open alerts (its live refresh)."""
    if box:
        context = await _box_context(session, identity.user, identity.principal)
        return HTMXTemplate(template_name="_partials/alerts_box.html", context=context)
    context = await _context(session, identity.user, identity.principal)
    if request.htmx:
        return HTMXTemplate(template_name="_partials/alerts_list.html", context=context)
    return Template(template_name="alerts.html", context=context)


@post("/alerts/{alert_id:uuid}/acknowledge", include_in_schema=False, guards=[fever_reader])
async def acknowledge_alert(
    request: HTMXRequest,
    session: Session,
    settings: AppSettings,
    identity: CurrentIdentity,
    alert_id: FromPath[uuid.UUID],
) -> Response[Any]:
    form = await require_csrf(request, settings)
    user, principal = identity.user, identity.principal
    alert = (
        await session.execute(
            select(Alert)
            .where(Alert.id == alert_id, in_subtree(Alert.area_id, principal))
            .with_for_update()
        )
    ).scalar_one_or_none()
    if alert is None:
        raise NotFound(_("There is no such alert in your area."), code="not_found")
    if alert.acknowledged_at is None:  # the first acknowledgement stands
        now = utcnow()
        alert.acknowledged_by, alert.acknowledged_at = user.id, now
        audit_log.record(
            session,
            at=now,
            user_id=user.id,
            action="alert_acknowledged",
            entity="alerts",
            entity_id=str(alert.id),
            area_id=alert.area_id,
            detail={"kind": alert.kind},
        )
        path = await session.scalar(select(Area.path).where(Area.id == alert.area_id))
        if path is not None:
            await live.announce(session, path)
        await session.flush()
    back = "/" if form.get("next") == "/" else "/alerts"
    if request.htmx and back == "/":  # from a home page's box
        context = await _box_context(session, user, principal)
        return HTMXTemplate(template_name="_partials/alerts_box.html", context=context)
    if request.htmx:
        context = await _context(session, user, principal)
        return HTMXTemplate(template_name="_partials/alerts_list.html", context=context)
    return Redirect(back, status_code=303)


ROUTES: list[ControllerRouterHandler] = [alerts_page, acknowledge_alert]
