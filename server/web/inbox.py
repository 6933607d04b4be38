"""The township health centre's fever inbox (``/inbox``), a report's own page
(``/inbox/{id}``), the township's actions on a report, and the live stream that keeps open
inboxes current (``/inbox/events``).

Each action is a fever event written through server/sync/writes.py: the device path, so
the report's state advances through its hook and the sentinel's phone pulls both at its
next sync. Supervisors of the town or county read the inbox without the actions.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Response, get, post
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath, QueryParameter
from litestar.plugins.htmx import HTMXRequest, HTMXTemplate
from litestar.response import Redirect, ServerSentEvent, Template
from litestar.response.sse import ServerSentEventMessage
from litestar.types import ControllerRouterHandler
from sqlalchemy import exists, select

from server.accounts.auth import require_csrf, require_identity
from server.accounts.deps import CurrentIdentity, CurrentPrincipal
from server.accounts.guard import REVIEWERS, TOWNSHIP_STAFF, Principal, in_subtree
from server.accounts.guards import township_staff
from server.accounts.models import User
from server.alerts import live
from server.audit import log as audit_log
from server.db import utcnow
from server.deps import AppSettings, Collections, Session
from server.errors import BadInput, Forbidden, NotFound
from server.fever.inbox import InboxRow, inbox_rows, limits_of, report_row, shown_ids
from server.fever.models import FeverEvent, FeverReport
from server.fever.values import FeverEventKind
from server.i18n import gettext as _
from server.quarantine.values import TestResult
from server.sync.models import Conflict
from server.sync.writes import PageWrite, write

#: seconds of quiet after which the stream sends a comment (proxies close idle streams)
KEEPALIVE_SECONDS = 15.0
#: the page's action names and the event each appends
ACTIONS: dict[str, FeverEventKind] = {
    "acknowledge": FeverEventKind.ACKNOWLEDGED,
    "sample": FeverEventKind.SAMPLED,
    "dispatch": FeverEventKind.SENT,
    "result": FeverEventKind.RESULTED,
}
#: roles that read the inbox (only the township health centre acts on it)
INBOX_READERS = TOWNSHIP_STAFF | REVIEWERS

AnyConnection = ASGIConnection[Any, Any, Any, Any]


async def fever_reader(connection: AnyConnection, _handler: BaseRouteHandler) -> None:
    """The township health centre, and the supervisors above it (read only)."""
    if (await require_identity(connection)).principal.role not in INBOX_READERS:
        raise Forbidden(
            _("Only the township health centre and supervisors may see fever reports."),
            code="forbidden",
        )


async def held_results(session: Any, rows: list[InboxRow]) -> set[str]:
    """Ids of the shown reports whose result has a second, different value held for a
    supervisor (a pending conflict on ``fever_reports.result``): one statement."""
    ids = [str(r.id) for r in rows if len(r.results) > 1]
    if not ids:
        return set()
    found = await session.execute(
        select(Conflict.record_id).where(
            Conflict.collection == "fever_reports",
            Conflict.field == "result",
            Conflict.status == "pending",
            Conflict.record_id.in_(ids),
        )
    )
    return {str(rid) for rid in found.scalars()}


async def _context(
    session: Any, user: User, principal: Principal, rows: list[InboxRow], now: datetime
) -> dict[str, Any]:
    return {
        "user": user,
        "rows": rows,
        "now": now,
        "can_act": principal.role in TOWNSHIP_STAFF,
        "urgent": sum(r.urgent for r in rows),
        "held": await held_results(session, rows),
    }


def _audit_read(session: Any, user: User, rows: list[InboxRow], page: str) -> None:
    """Whole phone numbers were shown: one entry per render, naming the reports."""
    audit_log.record(
        session,
        user_id=user.id,
        action="read",
        entity="fever_reports",
        entity_id=str(rows[0].id) if len(rows) == 1 else None,
        detail={"page": page, "reports": shown_ids(rows)},
    )


@get("/inbox", include_in_schema=False, guards=[fever_reader])
async def inbox_page(
    request: HTMXRequest, session: Session, settings: AppSettings, identity: CurrentIdentity
) -> Response[Any]:
    user, principal = identity.user, identity.principal
    now = utcnow()
    rows = await inbox_rows(session, principal, now, limits_of(settings))
    if rows:
        _audit_read(session, user, rows, "inbox")
    context = await _context(session, user, principal, rows, now)
    if request.htmx:  # the live refresh: the list alone
        return HTMXTemplate(template_name="_partials/inbox_list.html", context=context)
    return Template(template_name="inbox.html", context=context)


@get("/inbox/events", include_in_schema=False, guards=[fever_reader])
async def inbox_events(
    principal: CurrentPrincipal,
    once: Annotated[bool, QueryParameter(name="once")] = False,
) -> ServerSentEvent:
    """``change`` each time a report, an event or an alert of the user's subtree commits
    (on any server process); a comment every 15 s of quiet. ``?once=1`` ends the stream
    after its first event (a probe: is the stream there for this user?)."""

    async def stream() -> AsyncIterator[ServerSentEventMessage]:
        yield ServerSentEventMessage(event="ready", data="1")
        if once:
            return
        async for path in live.events(live.BROADCAST, principal.area_path, KEEPALIVE_SECONDS):
            if path is None:
                yield ServerSentEventMessage(comment="keepalive")
            else:
                yield ServerSentEventMessage(event="change", data=path)

    return ServerSentEvent(stream(), headers={"Cache-Control": "no-store"})


@get("/inbox/{report_id:uuid}", include_in_schema=False, guards=[fever_reader])
async def report_page(
    session: Session,
    settings: AppSettings,
    identity: CurrentIdentity,
    report_id: FromPath[uuid.UUID],
) -> Template:
    user, principal = identity.user, identity.principal
    now = utcnow()
    row = await report_row(session, principal, report_id, now, limits_of(settings))
    if row is None:
        raise NotFound(_("There is no such fever report in your area."), code="not_found")
    _audit_read(session, user, [row], "report")
    authors = await _authors(session, [e.by for e in row.events])
    context = {
        **await _context(session, user, principal, [row], now),
        "r": row,
        "authors": authors,
    }
    return Template(template_name="fever_report.html", context=context)


async def _authors(session: Any, ids: list[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await session.execute(select(User.id, User.name).where(User.id.in_(wanted)))
    return {uid: name for uid, name in rows.all()}  # noqa: C416 - Row pairs


def _parse_local(raw: str, tz: str) -> datetime:
    """A ``datetime-local`` field's value, read in the settings' zone."""
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise BadInput(_("Give the sampling time as date and time."), code="bad_input") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    return moment


def _event_data(
    action: str, form: Any, report_id: uuid.UUID, now: datetime, tz: str
) -> dict[str, Any]:
    """The fever event an action appends, from the form; 400 for a bad form."""
    kind = ACTIONS.get(action)
    if kind is None:
        raise BadInput(_("Unknown action."), code="bad_input")
    at = now
    data: dict[str, Any] = {"report_id": str(report_id), "kind": kind}
    if kind is FeverEventKind.SAMPLED:
        sampler = str(form.get("sampler") or "").strip()
        if not sampler or len(sampler) > 40:
            raise BadInput(_("Name who took the sample (at most 40 characters)."), code="bad_input")
        data["sampler"] = sampler
        raw = str(form.get("sampled_at") or "").strip()
        if raw:
            at = _parse_local(raw, tz)
            if at > now + timedelta(minutes=1) or at < now - timedelta(days=7):
                raise BadInput(
                    _("The sampling time must lie in the last seven days."), code="bad_input"
                )
    if kind is FeverEventKind.RESULTED:
        result = str(form.get("result") or "")
        if result not in (TestResult.NEGATIVE, TestResult.POSITIVE):
            raise BadInput(_("Choose negative or positive."), code="bad_input")
        data["result"] = result
    data["at"] = at.isoformat()
    return data


def _mutation_id(form: Any) -> str | None:
    raw = str(form.get("mutation_id") or "").strip()
    if not raw:
        return None
    try:
        return str(uuid.UUID(raw))
    except ValueError as exc:
        raise BadInput(_("The form is damaged; reload the page."), code="bad_input") from exc


async def _already_done(session: Any, report_id: uuid.UUID, data: dict[str, Any]) -> bool:
    """The step was recorded already (two staff pressed at once, or one pressed twice): a
    second result that differs is appended (the report's hook holds it for review)."""
    same = [FeverEvent.report_id == report_id, FeverEvent.kind == data["kind"]]
    if data["kind"] == FeverEventKind.RESULTED:
        same.append(FeverEvent.result == data["result"])
    return bool(await session.scalar(select(exists().where(*same, FeverEvent.deleted.is_(False)))))


@post("/inbox/{report_id:uuid}/{action:str}", include_in_schema=False, guards=[township_staff])
async def report_action(
    request: HTMXRequest,
    session: Session,
    settings: AppSettings,
    identity: CurrentIdentity,
    registry: Collections,
    report_id: FromPath[uuid.UUID],
    action: FromPath[str],
) -> Response[Any]:
    form = await require_csrf(request, settings)
    user, principal = identity.user, identity.principal
    now = utcnow()
    data = _event_data(action, form, report_id, now, settings.timezone)
    mutation_id = _mutation_id(form)
    # The report row is locked (as a sync locks the records it changes), so of two staff
    # pressing at once the second sees the first's event and adds none; revs are stamped
    # at the end of the write (sync/revs.py).
    report = (
        await session.execute(
            select(FeverReport)
            .where(
                FeverReport.id == report_id,
                FeverReport.deleted.is_(False),
                in_subtree(FeverReport.area_id, principal),
            )
            .with_for_update()
        )
    ).scalar_one_or_none()
    if report is None:
        raise NotFound(_("There is no such fever report in your area."), code="not_found")
    if not await _already_done(session, report_id, data):
        change = PageWrite("fever_events", str(uuid.uuid4()), data, mutation_id=mutation_id)
        (result,) = await write(session, registry, user, principal, [change], now=now)
        if result.status == "rejected":
            raise BadInput(result.message or _("The action was refused."), code="bad_input")
    back = str(form.get("next") or "")
    if request.htmx:
        if back == f"/inbox/{report_id}":
            return Response(content="", status_code=200, headers={"HX-Redirect": back})
        rows = await inbox_rows(session, principal, now, limits_of(settings))
        if rows:
            _audit_read(session, user, rows, "inbox")
        context = await _context(session, user, principal, rows, now)
        return HTMXTemplate(template_name="_partials/inbox_list.html", context=context)
    return Redirect(back if back == f"/inbox/{report_id}" else "/inbox", status_code=303)


ROUTES: list[ControllerRouterHandler] = [inbox_page, inbox_events, report_page, report_action]
