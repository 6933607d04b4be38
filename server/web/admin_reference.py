"""The reference lists the rules use, on admins' pages: policy versions, medium/high-risk
areas and screening campaigns.

Every change is a page write (server/sync/writes.py), so phones pull it at their next sync,
and leaves an audit entry in the same transaction. A form carries a hidden ``form_id``: sent
twice, it has the effect of one.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.params import FromPath, QueryParameter
from litestar.plugins.htmx import HTMXRequest, HTMXTemplate
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler

from server.accounts.auth import require_csrf
from server.accounts.deps import CurrentIdentity
from server.accounts.guards import admin
from server.areas.models import Area
from server.areas.queries import areas_under
from server.areas.values import AreaLevel
from server.audit import log as audit_log
from server.db import utcnow
from server.deps import AppSettings, Collections, Session
from server.errors import BadInput, NotFound
from server.i18n import gettext as _
from server.people.queries import RISK_AREA_STATES, risk_area, risk_area_page
from server.people.values import RiskLevel
from server.quarantine.collections import policy_message
from server.quarantine.queries import policy_versions
from server.quarantine.rules import POLICY_KINDS, new_version_problem, parse_test_days
from server.quarantine.values import CheckSlot
from server.sync.models import SyncMutation
from server.sync.writes import PageWrite, write
from server.timeutil import local_today
from server.visits.queries import campaign_by_id, campaign_state, campaigns_of, closed_since

#: areas a campaign can be set on (a grid's campaign is its village's)
CAMPAIGN_LEVELS = (AreaLevel.CITY, AreaLevel.COUNTY, AreaLevel.TOWN, AreaLevel.VILLAGE)


class FormProblem(Exception):
    """A form value refused: the page is shown again with the message beside the form."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _text(form: FormMultiDict, name: str, limit: int = 200) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _date(form: FormMultiDict, name: str, *, required: bool) -> date | None:
    text = _text(form, name, 20)
    if not text:
        if required:
            raise FormProblem(_("Enter the date."), name)
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise FormProblem(_("Write the date as 2026-12-01."), name) from exc


def _int(form: FormMultiDict, name: str, lo: int, hi: int, message: str) -> int:
    text = _text(form, name, 10)
    if not text.isdigit() or not lo <= int(text) <= hi:
        raise FormProblem(message, name)
    return int(text)


def _form_id(form: FormMultiDict) -> str:
    """The form's idempotency key (a fresh one when missing or malformed)."""
    text = _text(form, "form_id", 40)
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return str(uuid.uuid4())


def _local_midnight(day: date, tz: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(tz)).astimezone(ZoneInfo("UTC"))


async def _write(
    session: Any,
    registry: Any,
    identity: Any,
    collection: str,
    data: Mapping[str, Any],
    form_id: str,
    record_id: int | None = None,
) -> tuple[int, bool]:
    """One page write; a refusal becomes a FormProblem. Returns the row's id and whether it
    is a form sent again (its effect, and its audit entry, exist already)."""
    replay = await session.get(SyncMutation, uuid.UUID(form_id)) is not None
    change = PageWrite(
        collection,
        "" if record_id is None else str(record_id),
        dict(data),
        mutation_id=form_id,
    )
    (result,) = await write(session, registry, identity.user, identity.principal, [change])
    if result.status != "applied":
        raise FormProblem(result.message or _("The change was refused."), result.field)
    row_id = record_id if record_id is not None else int((result.set or {}).get("id", 0))
    return row_id, replay


def _page(template: str, status: int = 200, **context: Any) -> Template:
    return Template(template_name=template, context=context, status_code=status)


# --- policy versions -----------------------------------------------------------------------


async def _policy_context(session: Any, identity: Any, today: date) -> dict[str, Any]:
    versions = await policy_versions(session, today)
    return {
        "user": identity.user,
        "kinds": POLICY_KINDS,
        "versions": {k: [v for v in versions if v.kind == k] for k in POLICY_KINDS},
        "today": today,
        "form": {"effective_from": today.isoformat(), "checks_per_day": "2"},
        "form_id": str(uuid.uuid4()),
        "slots": len(CheckSlot),
    }


@get("/admin/policies", include_in_schema=False, guards=[admin])
async def policies_page(
    session: Session,
    settings: AppSettings,
    identity: CurrentIdentity,
    added: Annotated[int | None, QueryParameter(name="added", ge=1, le=2**31 - 1)] = None,
) -> Template:
    today = local_today(utcnow(), settings.timezone)
    context = await _policy_context(session, identity, today)
    return _page("admin/policies.html", **context, added=added)


@post("/admin/policies", include_in_schema=False, guards=[admin], status_code=303)
async def policy_add(
    request: HTMXRequest,
    session: Session,
    settings: AppSettings,
    identity: CurrentIdentity,
    registry: Collections,
) -> Response[Any]:
    form = await require_csrf(request, settings)
    today = local_today(utcnow(), settings.timezone)
    try:
        kind = _text(form, "kind", 40)
        if kind not in POLICY_KINDS:
            raise FormProblem(_("Choose a measure that follows a policy."), "kind")
        duration = _int(
            form, "duration_days", 1, 60, _("The duration must be 1 to %(n)s days.", n=60)
        )
        test_days = parse_test_days(_text(form, "test_days", 200))
        if test_days is None:
            raise FormProblem(_("Write the test days as numbers, e.g. 0, 13."), "test_days")
        checks = _int(
            form, "checks_per_day", 1, len(CheckSlot), _("Checks per day must be 1 or 2.")
        )
        effective = _date(form, "effective_from", required=True)
        assert effective is not None
        problem = new_version_problem(kind, duration, test_days, checks, effective, (), today)
        if problem is not None:
            raise FormProblem(policy_message(problem[1]), problem[0])
        data = {
            "kind": kind,
            "duration_days": duration,
            "test_days": list(test_days),
            "checks_per_day": checks,
            "effective_from": effective.isoformat(),
            "note": _text(form, "note", 200),
        }
        policy_id, replay = await _write(
            session, registry, identity, "policies", data, _form_id(form)
        )
    except FormProblem as problem:
        context = await _policy_context(session, identity, today)
        context["form"] = {k: _text(form, k) for k in form}
        context["error"] = problem
        return _page("admin/policies.html", 400, **context)
    if not replay:
        audit_log.record(
            session,
            user_id=identity.user.id,
            action="policy_added",
            entity="policies",
            entity_id=str(policy_id),
            detail=data,
        )
    return Redirect(f"/admin/policies?added={policy_id}", status_code=303)


# --- medium/high-risk areas ------------------------------------------------------------------


def _risk_filters(q: str, level: str, state: str) -> dict[str, str]:
    if level and level not in set(RiskLevel):
        raise BadInput(_("Unknown risk level."), code="bad_input")
    if state and state not in RISK_AREA_STATES:
        raise BadInput(_("Unknown state."), code="bad_input")
    return {"q": q.strip()[:40], "level": level, "state": state}


async def _risk_context(
    session: Any, identity: Any, today: date, filters: dict[str, str], page: int = 1
) -> dict[str, Any]:
    listing = await risk_area_page(
        session,
        today,
        query=filters["q"],
        level=filters["level"],
        state=filters["state"],
        page=page,
    )
    return {
        "user": identity.user,
        "listing": listing,
        "filters": filters,
        "levels": list(RiskLevel),
        "states": RISK_AREA_STATES,
        "today": today,
        "form": {"effective_from": today.isoformat(), "level": RiskLevel.MID},
        "form_id": str(uuid.uuid4()),
    }


@get("/admin/risk-areas", include_in_schema=False, guards=[admin])
async def risk_areas_page(
    request: HTMXRequest,
    session: Session,
    settings: AppSettings,
    identity: CurrentIdentity,
    q: Annotated[str, QueryParameter(name="q", max_length=100)] = "",
    level: Annotated[str, QueryParameter(name="level", max_length=20)] = "",
    state_filter: Annotated[str, QueryParameter(name="state", max_length=20)] = "",
    page: Annotated[int, QueryParameter(name="page", ge=1, le=100_000)] = 1,
) -> Template:
    today = local_today(utcnow(), settings.timezone)
    filters = _risk_filters(q, level, state_filter)
    context = await _risk_context(session, identity, today, filters, page)
    # the filter form swaps the list; a history restore (back button) wants the whole page
    if request.htmx and not request.htmx.history_restore_request:
        return HTMXTemplate(template_name="admin/_risk_area_list.html", context=context)
    return _page("admin/risk_areas.html", **context)


@post("/admin/risk-areas", include_in_schema=False, guards=[admin], status_code=303)
async def risk_area_add(
    request: HTMXRequest,
    session: Session,
    settings: AppSettings,
    identity: CurrentIdentity,
    registry: Collections,
) -> Response[Any]:
    form = await require_csrf(request, settings)
    today = local_today(utcnow(), settings.timezone)
    try:
        start = _date(form, "effective_from", required=True)
        end = _date(form, "effective_to", required=False)
        assert start is not None
        data = {
            "province": _text(form, "province", 40),
            "city": _text(form, "city", 40),
            "district": _text(form, "district", 40),
            "level": _text(form, "level", 10),
            "effective_from": start.isoformat(),
            "effective_to": end.isoformat() if end else None,
        }
        row_id, replay = await _write(
            session, registry, identity, "risk_areas", data, _form_id(form)
        )
    except FormProblem as problem:
        context = await _risk_context(session, identity, today, _risk_filters("", "", ""))
        context["form"] = {k: _text(form, k) for k in form}
        context["error"] = problem
        return _page("admin/risk_areas.html", 400, **context)
    if not replay:
        audit_log.record(
            session,
            user_id=identity.user.id,
            action="risk_area_added",
            entity="risk_areas",
            entity_id=str(row_id),
            detail=data,
        )
    return Redirect("/admin/risk-areas?state=", status_code=303)


@post("/admin/risk-areas/{risk_area_id:int}", include_in_schema=False, guards=[admin])
async def risk_area_change(
    request: HTMXRequest,
    session: Session,
    settings: AppSettings,
    identity: CurrentIdentity,
    registry: Collections,
    risk_area_id: FromPath[int],
) -> Response[Any]:
    """Change an entry's level, or end it (its first day off the list; "end" = today)."""
    form = await require_csrf(request, settings)
    today = local_today(utcnow(), settings.timezone)
    before = await risk_area(session, risk_area_id, today)
    if before is None:
        raise NotFound(_("There is no such risk area."), code="not_found")
    data: dict[str, Any] = {}
    try:
        level = _text(form, "level", 10)
        if level and level != before.level:
            data["level"] = level
        if _text(form, "end", 10) == "today":
            # an entry not yet in effect is withdrawn: it ends the day it would begin
            end_on = max(today, before.effective_from)
            if before.effective_to is None or before.effective_to > end_on:
                data["effective_to"] = end_on.isoformat()
        else:
            end = _date(form, "effective_to", required=False)
            if end is not None and end != before.effective_to:
                data["effective_to"] = end.isoformat()
        if not data and request.htmx:  # the row as it is: nothing to write
            return HTMXTemplate(
                template_name="admin/_risk_area_row.html",
                context={"r": before, "levels": list(RiskLevel), "today": today},
            )
        if not data:
            raise FormProblem(_("Nothing changed."))
        await _write(session, registry, identity, "risk_areas", data, _form_id(form), risk_area_id)
    except FormProblem as problem:
        if request.htmx:
            return HTMXTemplate(
                template_name="admin/_risk_area_row.html",
                context={"r": before, "levels": list(RiskLevel), "error": problem,
                         "today": today, "form_id": str(uuid.uuid4())},
                status_code=400,
            )  # fmt: skip
        raise BadInput(problem.message, code="bad_input") from problem
    audit_log.record(
        session,
        user_id=identity.user.id,
        action="risk_area_changed",
        entity="risk_areas",
        entity_id=str(risk_area_id),
        detail={"before": {k: _json(getattr(before, k)) for k in data}, "after": data},
    )
    if request.htmx:
        await session.flush()
        after = await risk_area(session, risk_area_id, today)
        return HTMXTemplate(
            template_name="admin/_risk_area_row.html",
            context={"r": after, "levels": list(RiskLevel), "today": today,
                     "form_id": str(uuid.uuid4()), "saved": True},
        )  # fmt: skip
    return Redirect("/admin/risk-areas", status_code=303)


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


# --- campaigns -------------------------------------------------------------------------------


async def _campaign_context(session: Any, identity: Any, settings: Any) -> dict[str, Any]:
    now = utcnow()
    today = local_today(now, settings.timezone)
    return {
        "user": identity.user,
        "campaigns": await campaigns_of(session, identity.principal, now),
        "areas": await areas_under(session, identity.principal.area_path, CAMPAIGN_LEVELS),
        "form": {"starts_on": today.isoformat()},
        "form_id": str(uuid.uuid4()),
    }


@get("/admin/campaigns", include_in_schema=False, guards=[admin])
async def campaigns_page(
    session: Session, settings: AppSettings, identity: CurrentIdentity
) -> Template:
    return _page("admin/campaigns.html", **await _campaign_context(session, identity, settings))


@post("/admin/campaigns", include_in_schema=False, guards=[admin], status_code=303)
async def campaign_add(
    request: HTMXRequest,
    session: Session,
    settings: AppSettings,
    identity: CurrentIdentity,
    registry: Collections,
) -> Response[Any]:
    form = await require_csrf(request, settings)
    try:
        name = _text(form, "name", 80)
        if not name:
            raise FormProblem(_("Enter the campaign's name."), "name")
        area_text = _text(form, "area_id", 12)
        if not area_text.isdigit() or not 1 <= int(area_text) < 2**31:
            raise FormProblem(_("Choose the area."), "area_id")
        start = _date(form, "starts_on", required=True)
        last = _date(form, "last_day", required=False)
        assert start is not None
        if last is not None and last < start:
            raise FormProblem(_("A campaign cannot end before it starts."), "last_day")
        starts = _local_midnight(start, settings.timezone)
        # the day a round closed, the next one begins where it ended
        starts = await closed_since(session, int(area_text), starts, utcnow()) or starts
        data = {
            "area_id": int(area_text),
            "name": name,
            "starts_on": starts.isoformat(),
            # the last day is the campaign's: it ends at the next midnight
            "ends_on": (
                _local_midnight(last + timedelta(days=1), settings.timezone).isoformat()
                if last
                else None
            ),
        }
        row_id, replay = await _write(
            session, registry, identity, "campaigns", data, _form_id(form)
        )
    except FormProblem as problem:
        context = await _campaign_context(session, identity, settings)
        context["form"] = {k: _text(form, k) for k in form}
        context["error"] = problem
        return _page("admin/campaigns.html", 400, **context)
    if not replay:
        audit_log.record(
            session,
            user_id=identity.user.id,
            action="campaign_added",
            entity="campaigns",
            entity_id=str(row_id),
            area_id=data["area_id"],  # type: ignore[arg-type]
            detail=data,
        )
    return Redirect("/admin/campaigns", status_code=303)


@post("/admin/campaigns/{campaign_id:int}/close", include_in_schema=False, guards=[admin])
async def campaign_close(
    request: HTMXRequest,
    session: Session,
    settings: AppSettings,
    identity: CurrentIdentity,
    registry: Collections,
    campaign_id: FromPath[int],
) -> Response[Any]:
    """End a campaign now (one not yet begun is cancelled: it ends as it starts)."""
    form = await require_csrf(request, settings)
    now = utcnow()
    campaign = await campaign_by_id(session, campaign_id)
    if campaign is None or not await _covers(session, identity, campaign.area_id):
        raise NotFound(_("There is no such campaign in your area."), code="not_found")
    if campaign_state(campaign.starts_on, campaign.ends_on, now) == "closed":
        raise BadInput(_("This campaign is already closed."), code="bad_input")
    ends = max(now, campaign.starts_on)
    try:
        await _write(session, registry, identity, "campaigns", {"ends_on": ends.isoformat()},
                     _form_id(form), campaign_id)  # fmt: skip
    except FormProblem as problem:
        raise BadInput(problem.message, code="bad_input") from problem
    audit_log.record(
        session,
        user_id=identity.user.id,
        action="campaign_closed",
        entity="campaigns",
        entity_id=str(campaign_id),
        area_id=campaign.area_id,
        detail={"ends_on": ends.isoformat()},
    )
    if request.htmx:
        return Response(content="", status_code=200, headers={"HX-Redirect": "/admin/campaigns"})
    return Redirect("/admin/campaigns", status_code=303)


async def _covers(session: Any, identity: Any, area_id: int) -> bool:
    area = await session.get(Area, area_id)
    return area is not None and bool(identity.principal.covers(area.path))


ROUTES: list[ControllerRouterHandler] = [
    policies_page,
    policy_add,
    risk_areas_page,
    risk_area_add,
    risk_area_change,
    campaigns_page,
    campaign_add,
    campaign_close,
]
