"""The conflict review queue: ``/conflicts`` lists the pending conflicts of the
reviewer's area in plain words (whose record, which field, the value kept and the value
proposed, who wrote each and when, how long each device had been offline), and a form per
conflict decides it through server.sync.conflicts.decide, which audits the decision and
makes every device pull it at its next sync."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from litestar import Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.auth import AnyRequest, require_csrf
from server.accounts.deps import CurrentIdentity
from server.accounts.guard import Principal, in_subtree
from server.accounts.guards import reviewer
from server.accounts.models import User
from server.db import utcnow
from server.deps import AppSettings, Collections, Session
from server.errors import BadInput
from server.i18n import gettext as _
from server.sync.conflicts import decide, listed
from server.sync.models import Conflict, SyncMutation
from server.sync.spec.collections import Registry
from server.sync.wire import Decision

QUEUE_SIZE = 50
#: the record's own words, in the order tried: a person's name, a household's head
LABEL_FIELDS = ("name", "head_name", "patient_name")


def hlc_time(hlc: str | None) -> datetime | None:
    """The wall time an HLC text carries (its first 13 digits, ms since the epoch)."""
    if not hlc or not hlc[:13].isdigit():
        return None
    return datetime.fromtimestamp(int(hlc[:13]) / 1000, tz=UTC)


def offline_for(device_time: datetime | None, received_at: datetime | None) -> timedelta | None:
    """How long an edit waited on its device before reaching the server."""
    if device_time is None or received_at is None:
        return None
    if device_time.tzinfo is None:
        device_time = device_time.replace(tzinfo=UTC)
    if received_at.tzinfo is None:
        received_at = received_at.replace(tzinfo=UTC)
    return max(received_at - device_time, timedelta(0))


def plain_duration(span: timedelta | None) -> str:
    if span is None:
        return "—"
    minutes = int(span.total_seconds() // 60)
    if minutes < 60:
        return _("%(n)s min", n=minutes)
    if minutes < 48 * 60:
        return _("%(n)s h", n=minutes // 60)
    return _("%(n)s days", n=minutes // (24 * 60))


@dataclass(frozen=True, slots=True)
class ConflictView:
    id: str
    collection: str
    record: str
    field: str
    kept_value: Any
    kept_by: str
    kept_at: datetime | None
    kept_offline: str
    proposed_value: Any
    proposed_by: str
    proposed_at: datetime | None
    proposed_offline: str


async def conflict_queue(
    session: AsyncSession, principal: Principal, registry: Registry
) -> tuple[int, list[ConflictView]]:
    """Pending conflicts, oldest first, with what a person needs to decide them: one
    statement for the conflicts, one per collection for the records' names, one for the
    authors, one for the mutations that carried each value."""
    where = [Conflict.status == "pending", in_subtree(Conflict.area_id, principal)]
    rows = list(
        (
            await session.execute(
                select(Conflict).where(*where).order_by(Conflict.created_at).limit(QUEUE_SIZE)
            )
        ).scalars()
    )
    total = len(rows)
    names: dict[tuple[str, str], str] = {}
    for collection in {c.collection for c in rows}:
        coll = registry.by_name.get(collection)
        field = next((f for f in LABEL_FIELDS if coll and hasattr(coll.model, f)), None)
        if coll is None or field is None:
            continue
        ids = [c.record_id for c in rows if c.collection == collection]
        keys = [uuid.UUID(i) if _is_uuid(i) else i for i in ids]
        found = await session.execute(
            select(coll.model.id, getattr(coll.model, field)).where(coll.model.id.in_(keys))
        )
        names.update({(collection, str(rid)): label for rid, label in found.all()})
    user_ids = {u for c in rows for u in (c.kept_by, c.proposed_by) if u is not None}
    users = (
        dict((await session.execute(select(User.id, User.name).where(User.id.in_(user_ids)))).all())
        if user_ids
        else {}
    )
    hlcs = {h for c in rows for h in (c.kept_hlc, c.proposed_hlc) if h}
    record_ids = {c.record_id for c in rows}
    carried: dict[tuple[str, str], SyncMutation] = {}
    if hlcs:
        found_m = await session.execute(
            select(SyncMutation).where(
                SyncMutation.record_id.in_(record_ids), SyncMutation.hlc.in_(hlcs)
            )
        )
        carried = {(m.record_id, m.hlc): m for m in found_m.scalars()}
    views = []
    for c in rows:
        shown = listed(c, registry)  # personal numbers masked, as in every list
        kept_m = carried.get((c.record_id, c.kept_hlc or ""))
        prop_m = carried.get((c.record_id, c.proposed_hlc))
        views.append(
            ConflictView(
                id=str(c.id),
                collection=c.collection,
                record=names.get((c.collection, c.record_id), c.record_id[:8]),
                field=c.field,
                kept_value=shown.kept_value,
                kept_by=users.get(c.kept_by, "—") if c.kept_by else "—",
                kept_at=hlc_time(c.kept_hlc),
                kept_offline=plain_duration(
                    offline_for(kept_m.device_time, kept_m.received_at) if kept_m else None
                ),
                proposed_value=shown.proposed_value,
                proposed_by=users.get(c.proposed_by, "—") if c.proposed_by else "—",
                proposed_at=hlc_time(c.proposed_hlc),
                proposed_offline=plain_duration(
                    offline_for(prop_m.device_time, prop_m.received_at) if prop_m else None
                ),
            )
        )
    return total, views


def typed(raw: str, kind: Any) -> Any:
    """A typed form value as the field wants it: the text itself when the field takes
    text, else read as JSON (a number, true/false, null); decide() checks the result."""
    if kind is not None:
        try:
            msgspec.convert(raw, kind)
        except (msgspec.ValidationError, TypeError):
            pass
        else:
            return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def field_name(field: str) -> str:
    """A held field in plain words (the critical fields of every collection)."""
    names = {
        "measure": _("Measure"),
        "household_id": _("Household"),
        "id_number": _("ID number"),
        "kind": _("Kind of measure"),
        "start_date": _("Start date"),
        "end_date": _("Release date"),
        "status": _("Status"),
        "state": _("State"),
        "result": _("Result"),
    }
    return names.get(field, field)


@get("/conflicts", include_in_schema=False, guards=[reviewer])
async def conflicts_page(
    session: Session, identity: CurrentIdentity, registry: Collections
) -> Response[Any]:
    total, views = await conflict_queue(session, identity.principal, registry)
    return Template(
        template_name="supervisor/conflicts.html",
        context={
            "user": identity.user,
            "total": total,
            "conflicts": views,
            "field_name": field_name,
        },
    )


@post("/conflicts/{conflict_id:uuid}/decide", include_in_schema=False, guards=[reviewer])
async def decide_submit(
    request: AnyRequest,
    session: Session,
    settings: AppSettings,
    identity: CurrentIdentity,
    registry: Collections,
    conflict_id: FromPath[uuid.UUID],
) -> Response[Any]:
    form = await require_csrf(request, settings)
    action = form.get("action")
    if action not in ("accept", "reject", "edit"):
        raise BadInput(_("Choose accept, reject or another value."), code="invalid")
    decision = Decision(action=action)
    if action == "edit":
        conflict = await session.get(Conflict, conflict_id)
        coll = registry.by_name.get(conflict.collection) if conflict else None
        kind = None
        if conflict is not None and coll is not None:
            kind = coll.review_schemas.get(conflict.field) or coll.fields.get(conflict.field)
        decision = Decision(action="edit", value=typed(str(form.get("value") or ""), kind))
    await decide(session, identity.principal, registry, conflict_id, decision, utcnow())
    return Redirect("/conflicts?decided=1", status_code=303)


ROUTES: list[ControllerRouterHandler] = [conflicts_page, decide_submit]
