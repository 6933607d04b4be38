"""Reminders a supervisor sends from the line lists (``POST /reminders``), and the list of
those sent in the supervisor's area with their read state (``GET /reminders``).

A reminder is written through the page-write path (server/sync/writes.py), so the grid's
workers pull it at their next sync; their phones write back when it was read. One
reminder per grid, subject and day of sending: a second press (or a second supervisor)
finds the first and sends nothing more.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from litestar import Response, get, post
from litestar.params import QueryParameter
from litestar.plugins.htmx import HTMXRequest, HTMXTemplate
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.auth import require_csrf
from server.accounts.deps import CurrentIdentity
from server.accounts.guard import Principal
from server.accounts.guards import reviewer
from server.areas.models import Area
from server.areas.values import AreaLevel
from server.audit import log as audit_log
from server.db import utcnow
from server.deps import AppSettings, Collections, Session
from server.errors import BadInput, ConflictError, DomainError, NotFound
from server.i18n import DEFAULT_LOCALE
from server.i18n import gettext as _
from server.people.models import Person
from server.quarantine.models import Check
from server.quarantine.values import CheckSlot
from server.reminders.models import Reminder
from server.reminders.queries import Mark, sent_reminders
from server.reminders.rules import compose_message, reminder_id
from server.reminders.values import ReminderKind, ReminderState
from server.reports.models import DailyReport
from server.sync.revs import RevAllocator
from server.sync.writes import PageWrite, write
from server.timeutil import local_today
from server.web.areas import area_in_scope, pick_day
from server.web.lists import choose, page_number

#: the kinds a supervisor sends from a list
SENDABLE = (ReminderKind.MISSING_DAILY_REPORT, ReminderKind.MISSED_CHECK)


async def _grid(session: AsyncSession, principal: Principal, raw: str) -> Area:
    if not raw.isdigit() or not 1 <= int(raw) <= 2**31 - 1:
        raise BadInput(_("Name the grid to remind."), code="bad_input")
    area = await session.get(Area, int(raw))
    if area is None or area.level != AreaLevel.GRID or not principal.covers(area.path):
        raise NotFound(_("No such grid in your area."), code="unknown_area")
    return area


async def _person(session: AsyncSession, principal: Principal, raw: str) -> tuple[Person, Area]:
    try:
        person_id = uuid.UUID(raw)
    except ValueError:
        raise BadInput(_("Name the person whose check was missed."), code="bad_input") from None
    row = (
        await session.execute(
            select(Person, Area)
            .join(Area, Area.id == Person.area_id)
            .where(Person.id == person_id, Person.deleted.is_(False))
        )
    ).first()
    if row is None or not principal.covers(row[1].path):
        raise NotFound(_("There is no such person in your area."), code="not_found")
    return row[0], row[1]


async def _subject(
    session: AsyncSession, principal: Principal, form: Any, kind: str, day: date
) -> tuple[Area, dict[str, Any]]:
    """The grid to remind and the reminder's subject; 4xx when the form names something
    outside the caller's area or something that needs no reminder."""
    if kind == ReminderKind.MISSING_DAILY_REPORT:
        grid = await _grid(session, principal, str(form.get("grid") or ""))
        filed = await session.scalar(
            select(
                exists().where(
                    DailyReport.area_id == grid.id,
                    DailyReport.report_date == day,
                    DailyReport.deleted.is_(False),
                )
            )
        )
        if filed:
            raise ConflictError(_("The grid has filed that day's report."), code="already_done")
        message = compose_message(kind, day, locale=DEFAULT_LOCALE)
        return grid, {"subject_date": day.isoformat(), "message": message}
    person, grid = await _person(session, principal, str(form.get("person") or ""))
    slot = str(form.get("slot") or "")
    if slot not in set(CheckSlot):
        raise BadInput(_("Choose the morning or the evening check."), code="bad_input")
    done = await session.scalar(
        select(
            exists().where(
                Check.person_id == person.id,
                Check.check_date == day,
                Check.slot == slot,
                Check.deleted.is_(False),
            )
        )
    )
    if done:
        raise ConflictError(_("That check has been recorded."), code="already_done")
    message = compose_message(kind, day, person.name, slot, locale=DEFAULT_LOCALE)
    subject = {
        "subject_date": day.isoformat(),
        "person_id": str(person.id),
        "slot": slot,
        "message": message,
    }
    return grid, subject


def _cell(form: Any, mark: Mark | None, error: str = "", status: int = 200) -> HTMXTemplate:
    context = {
        "kind": str(form.get("kind") or ""),
        "day": str(form.get("day") or ""),
        "grid": str(form.get("grid") or ""),
        "person": str(form.get("person") or ""),
        "slot": str(form.get("slot") or ""),
        "mark": mark,
        "error": error,
    }
    return HTMXTemplate(
        template_name="supervisor/remind_cell.html", context=context, status_code=status
    )


@post("/reminders", include_in_schema=False, guards=[reviewer])
async def send_reminder(
    request: HTMXRequest,
    session: Session,
    settings: AppSettings,
    identity: CurrentIdentity,
    registry: Collections,
) -> Response[Any]:
    form = await require_csrf(request, settings)
    try:
        mark = await _send(session, settings.timezone, identity, registry, form)
    except DomainError as exc:
        if not request.htmx:
            raise
        # The cell answers in place (the page's script swaps a 4xx cell), nothing written.
        await session.rollback()
        return _cell(form, None, exc.message, exc.status_code)
    if request.htmx:
        return _cell(form, mark)
    back = str(form.get("next") or "")
    return Redirect(back if back.startswith("/lists/") else "/reminders", status_code=303)


async def _send(session: AsyncSession, tz: str, identity: Any, registry: Any, form: Any) -> Mark:
    user, principal = identity.user, identity.principal
    kind = str(form.get("kind") or "")
    if kind not in set(SENDABLE):
        raise BadInput(_("Unknown kind of reminder."), code="bad_input")
    now = utcnow()
    today = local_today(now, tz)
    day = pick_day(str(form.get("day") or "") or None, today)
    # Every synced write waits on the change counter: of two supervisors pressing at once,
    # the second finds the first's reminder.
    await RevAllocator(session).lock()
    grid, subject = await _subject(session, principal, form, kind, day)
    person = subject.get("person_id")
    rid = reminder_id(
        grid.id, kind, day, uuid.UUID(person) if person else None, subject.get("slot"), today
    )
    existing = await session.get(Reminder, rid)
    if existing is not None and not existing.deleted:
        return Mark(existing.sent_at, existing.read_at)
    data = {"area_id": grid.id, "kind": kind, **subject}
    change = PageWrite("reminders", str(rid), data)
    (result,) = await write(session, registry, user, principal, [change], now=now)
    if result.status == "rejected":
        raise BadInput(result.message or _("The reminder was refused."), code="bad_input")
    audit_log.record(
        session,
        at=now,
        user_id=user.id,
        action="reminder_sent",
        entity="reminders",
        entity_id=str(rid),
        area_id=grid.id,
        detail={k: v for k, v in data.items() if k != "message"},
    )
    return Mark(now, None)


@get("/reminders", include_in_schema=False, guards=[reviewer])
async def reminders_page(
    request: HTMXRequest,
    session: Session,
    identity: CurrentIdentity,
    area: Annotated[int | None, QueryParameter()] = None,
    read_state: Annotated[str | None, QueryParameter(name="state")] = None,
    page: Annotated[str | None, QueryParameter()] = None,
) -> Response[Any]:
    principal = identity.principal
    the_area = await area_in_scope(session, principal, area or principal.area_id)
    picked = choose(read_state, tuple(ReminderState), _("state"))
    number = page_number(page)
    result = await sent_reminders(session, the_area.path, picked or None, number)
    query = "&".join(f"{k}={v}" for k, v in (("area", the_area.id), ("state", picked)) if v)
    context = {
        "user": identity.user,
        "area": the_area,
        "state": picked,
        "states": tuple(ReminderState),
        "result": result,
        "query": query,
    }
    if request.htmx:
        return HTMXTemplate(template_name="supervisor/reminders_rows.html", context=context)
    return Template(template_name="supervisor/reminders.html", context=context)


ROUTES: list[ControllerRouterHandler] = [send_reminder, reminders_page]
