"""Conflict review (docs/sync-protocol.md, "Conflict review API"): supervisors and admins
list the conflicts of their area, read one with its whole record, and decide it.

A decision is a server write like any other: the field gets a new rev and a server HLC,
so every device pulls it, and an offline edit made before the decision meets it as a
concurrent edit (a critical field is held again rather than silently overwriting what a
person just decided). The conflict row gets a new rev too, so its proposer sees the outcome.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.guard import Principal, in_subtree
from server.audit import log as audit_log
from server.errors import BadInput, ConflictError, Forbidden, NotFound
from server.i18n import gettext as _
from server.sync.models import Conflict
from server.sync.records import Writer, field_version, to_json, wire_record
from server.sync.revs import RevAllocator
from server.sync.spec import schemas
from server.sync.spec.collections import Collection, Registry
from server.sync.wire import ConflictDetail, ConflictList, ConflictOut, Decision, DecisionResult

MAX_LIST = 200
OPEN = ("pending", "auto_resolved")
STATUS_OF_ACTION = {"accept": "accepted", "reject": "rejected", "edit": "edited"}


def _masked(value: Any, mask: Any) -> Any:
    return mask(value) if mask is not None and isinstance(value, str) else value


def listed(c: Conflict, registry: Registry) -> ConflictOut:
    """A conflict as lists show it: personal numbers masked, as in every list."""
    coll = registry.by_name.get(c.collection)
    mask = coll.masks.get(c.field) if coll is not None else None
    whole = out(c)
    if mask is None:
        return whole
    whole.kept_value = _masked(c.kept_value, mask)
    whole.proposed_value = _masked(c.proposed_value, mask)
    whole.resolution_value = _masked(c.resolution_value, mask)
    return whole


def out(c: Conflict) -> ConflictOut:
    return ConflictOut(
        id=str(c.id),
        rev=c.rev,
        area_id=c.area_id,
        collection=c.collection,
        record_id=c.record_id,
        field=c.field,
        critical=c.critical,
        status=c.status,
        kept_value=c.kept_value,
        kept_hlc=c.kept_hlc,
        kept_by=c.kept_by,
        proposed_value=c.proposed_value,
        proposed_hlc=c.proposed_hlc,
        proposed_by=c.proposed_by,
        proposed_device=str(c.proposed_device) if c.proposed_device else None,
        mutation_id=str(c.mutation_id) if c.mutation_id else None,
        created_at=c.created_at,
        resolved_by=c.resolved_by,
        resolved_at=c.resolved_at,
        resolution_value=c.resolution_value,
    )


def _require_reviewer(principal: Principal) -> None:
    if not principal.is_reviewer:
        raise Forbidden(_("Only supervisors and admins review conflicts."), code="forbidden")


def _writer(
    session: AsyncSession, principal: Principal, registry: Registry, now: datetime
) -> Writer:
    ms = int(now.timestamp() * 1000)
    return Writer(session, RevAllocator(session, late=True), principal, now, ms, registry)


async def list_conflicts(
    session: AsyncSession,
    principal: Principal,
    registry: Registry,
    *,
    status: str | None = None,
    collection: str | None = None,
    limit: int = 50,
    before: int | None = None,
) -> ConflictList:
    """Newest first (by rev), ``limit`` at a time; ``next`` is the ``before`` of the next page."""
    _require_reviewer(principal)
    limit = max(1, min(limit, MAX_LIST))
    stmt = select(Conflict).where(in_subtree(Conflict.area_id, principal))
    if status is not None:
        stmt = stmt.where(Conflict.status == status)
    if collection is not None:
        stmt = stmt.where(Conflict.collection == collection)
    if before is not None:
        stmt = stmt.where(Conflict.rev < before)
    rows = list(
        (await session.execute(stmt.order_by(Conflict.rev.desc()).limit(limit + 1))).scalars()
    )
    more = len(rows) > limit
    rows = rows[:limit]
    items = [listed(c, registry) for c in rows]
    return ConflictList(items=items, next=rows[-1].rev if more else None)


async def _load(w: Writer, conflict_id: uuid.UUID, *, lock: bool = False) -> Conflict:
    stmt = select(Conflict).where(Conflict.id == conflict_id)
    if lock:
        stmt = stmt.with_for_update()
    conflict = (await w.session.execute(stmt)).scalar_one_or_none()
    if conflict is None:
        raise NotFound(_("There is no such conflict."), code="not_found")
    if not await w.covers(conflict.area_id):
        raise Forbidden(_("That conflict is outside your area."), code="out_of_scope")
    return conflict


async def _record(coll: Collection, w: Writer, conflict: Conflict) -> Any:
    return await w.load(coll, uuid.UUID(conflict.record_id))


async def get_conflict(
    session: AsyncSession,
    principal: Principal,
    registry: Registry,
    conflict_id: uuid.UUID,
    now: datetime,
) -> ConflictDetail:
    """One conflict with the whole current record; the read is written to the audit log."""
    _require_reviewer(principal)
    w = _writer(session, principal, registry, now)
    conflict = await _load(w, conflict_id)
    coll = registry[conflict.collection]
    record = await _record(coll, w, conflict)
    audit_log.record(
        session,
        at=now,
        user_id=principal.user_id,
        action="read",
        entity=conflict.collection,
        entity_id=conflict.record_id,
        area_id=conflict.area_id,
        detail={"conflict": str(conflict.id)},
    )
    whole = wire_record(coll, record) if record is not None else None
    if whole is not None and getattr(record, "deleted", False):
        whole["deleted"] = True
    return ConflictDetail(conflict=out(conflict), record=whole)


def _value_for(coll: Collection, conflict: Conflict, decision: Decision) -> Any:
    """The Python value to write, checked against the field's schema."""
    raw = conflict.proposed_value if decision.action == "accept" else decision.value
    if decision.action == "edit" and raw is msgspec.UNSET:
        raise BadInput(_("An edit needs a value."), code="invalid", detail={"field": "value"})
    kind = coll.review_schemas.get(conflict.field)
    if kind is None:
        kind = coll.fields[conflict.field]
    schema = msgspec.defstruct("Edit", [("value", kind)])
    try:
        value = msgspec.convert({"value": raw}, schema).value  # type: ignore[attr-defined]
    except msgspec.ValidationError as exc:
        raise BadInput(
            _("Invalid value for %(f)s: %(why)s", f=conflict.field, why=exc),
            code="invalid",
            detail={"field": conflict.field},
        ) from exc
    if not schemas.in_range(value):
        why = f"{schemas.FIRST_DAY.year}-{schemas.LAST_DAY.year}"
        raise BadInput(
            _("Invalid value for %(f)s: %(why)s", f=conflict.field, why=why),
            code="invalid",
            detail={"field": conflict.field},
        )
    return value


async def decide(
    session: AsyncSession,
    principal: Principal,
    registry: Registry,
    conflict_id: uuid.UUID,
    decision: Decision,
    now: datetime,
) -> DecisionResult:
    _require_reviewer(principal)
    w = _writer(session, principal, registry, now)
    # The conflict and its record are row-locked; revs are stamped at the end (revs.py).
    conflict = await _load(w, conflict_id, lock=True)
    if conflict.status not in OPEN:
        raise ConflictError(_("This conflict was already decided."), code="already_resolved")
    coll = registry[conflict.collection]
    record = await _record(coll, w, conflict)
    live = record is not None and not getattr(record, "deleted", False)
    name = conflict.field
    rev: int | None = None
    if decision.action == "reject":
        final = getattr(record, name) if record is not None else None
        if live:
            hlc = w.server_hlc(field_version(record, name).hlc)
            rev = await w.write(coll, record, {name: final}, hlc, principal.user_id)
    else:
        if not live:
            raise ConflictError(
                _("The record was deleted; the conflict can only be rejected."),
                code="record_deleted",
            )
        final = _value_for(coll, conflict, decision)
        new_area = await _area_after(w, coll, record, name, final)
        if new_area is not None:
            await w.move_area(coll, record, new_area)
        hlc = w.server_hlc(field_version(record, name).hlc)
        rev = await w.write(coll, record, {name: final}, hlc, principal.user_id)
    conflict.status = STATUS_OF_ACTION[decision.action]
    conflict.resolved_by = principal.user_id
    conflict.resolved_at = now
    conflict.resolution_value = to_json(final)
    conflict.rev = await w.alloc.next()
    audit_log.record(
        session,
        at=now,
        user_id=principal.user_id,
        action="conflict_decision",
        entity=conflict.collection,
        entity_id=conflict.record_id,
        area_id=conflict.area_id,
        detail={
            "conflict": str(conflict.id),
            "field": name,
            "action": decision.action,
            "value": to_json(final),
        },
    )
    await w.alloc.flush()
    await session.flush()
    return DecisionResult(conflict=out(conflict), rev=w.alloc.final_opt(rev))


async def _area_after(
    w: Writer, coll: Collection, record: Any, name: str, value: Any
) -> int | None:
    """The record's new area when the decided field is the reference that gives it its area
    (the first set area reference wins), or None when the area stays."""
    area_refs = coll.area_refs
    if name not in {r.field for r in area_refs}:
        return None
    for ref in area_refs:
        target_id = value if ref.field == name else getattr(record, ref.field)
        if target_id is None:
            continue
        target = await w.load(w.registry[ref.collection], target_id)
        if target is None or getattr(target, "deleted", False):
            raise BadInput(
                _("%(f)s names a record that does not exist or was deleted.", f=ref.field),
                code="invalid",
                detail={"field": ref.field},
            )
        if not await w.covers(target.area_id):
            raise Forbidden(_("%(f)s is outside your area.", f=ref.field), code="out_of_scope")
        return int(target.area_id)
    return None
