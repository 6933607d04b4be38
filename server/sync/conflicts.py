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

from server.accounts.guard import Principal, subtree_area_ids_stmt
from server.audit.models import AuditEntry
from server.errors import BadInput, ConflictError, Forbidden, NotFound
from server.i18n import gettext as _
from server.quarantine.values import TestResult
from server.sync import schemas
from server.sync.collections import BY_NAME, Collection
from server.sync.models import Conflict
from server.sync.records import Writer, field_version, to_json, wire_record
from server.sync.revs import RevAllocator
from server.sync.wire import ConflictDetail, ConflictList, ConflictOut, Decision, DecisionResult

MAX_LIST = 200
OPEN = ("pending", "auto_resolved")
STATUS_OF_ACTION = {"accept": "accepted", "reject": "rejected", "edit": "edited"}
#: Fields only the server writes, with the schema a reviewer's value must meet.
SERVER_FIELDS: dict[tuple[str, str], Any] = {
    ("fever_reports", "result"): schemas.one_of(TestResult) | None,
}


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


def _writer(session: AsyncSession, principal: Principal, now: datetime) -> Writer:
    return Writer(session, RevAllocator(session), principal, now, int(now.timestamp() * 1000))


async def list_conflicts(
    session: AsyncSession,
    principal: Principal,
    *,
    status: str | None = None,
    collection: str | None = None,
    limit: int = 50,
    before: int | None = None,
) -> ConflictList:
    """Newest first (by rev), ``limit`` at a time; ``next`` is the ``before`` of the next page."""
    _require_reviewer(principal)
    limit = max(1, min(limit, MAX_LIST))
    stmt = select(Conflict).where(Conflict.area_id.in_(subtree_area_ids_stmt(principal)))
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
    return ConflictList(items=[out(c) for c in rows], next=rows[-1].rev if more else None)


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
    session: AsyncSession, principal: Principal, conflict_id: uuid.UUID, now: datetime
) -> ConflictDetail:
    """One conflict with the whole current record; the read is written to the audit log."""
    _require_reviewer(principal)
    w = _writer(session, principal, now)
    conflict = await _load(w, conflict_id)
    coll = BY_NAME[conflict.collection]
    record = await _record(coll, w, conflict)
    session.add(
        AuditEntry(
            at=now,
            user_id=principal.user_id,
            action="read",
            entity=conflict.collection,
            entity_id=conflict.record_id,
            area_id=conflict.area_id,
            detail={"conflict": str(conflict.id)},
        )
    )
    whole = wire_record(coll, record) if record is not None else None
    if whole is not None and getattr(record, "deleted", False):
        whole["deleted"] = True
    return ConflictDetail(conflict=out(conflict), record=whole)


def _value_for(conflict: Conflict, decision: Decision) -> Any:
    """The Python value to write, checked against the field's schema."""
    raw = conflict.proposed_value if decision.action == "accept" else decision.value
    if decision.action == "edit" and raw is msgspec.UNSET:
        raise BadInput(_("An edit needs a value."), code="invalid", detail={"field": "value"})
    kind = SERVER_FIELDS.get((conflict.collection, conflict.field))
    if kind is None:
        kind = schemas.FIELDS[conflict.collection][conflict.field]
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
    conflict_id: uuid.UUID,
    decision: Decision,
    now: datetime,
) -> DecisionResult:
    _require_reviewer(principal)
    w = _writer(session, principal, now)
    await w.alloc.lock()  # lock order: the rev counter, then the rows it guards
    conflict = await _load(w, conflict_id, lock=True)
    if conflict.status not in OPEN:
        raise ConflictError(_("This conflict was already decided."), code="already_resolved")
    coll = BY_NAME[conflict.collection]
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
        final = _value_for(conflict, decision)
        if name == "household_id":
            household = await _household(w, final)
            await w.move_area(coll, record, household.area_id)
        hlc = w.server_hlc(field_version(record, name).hlc)
        rev = await w.write(coll, record, {name: final}, hlc, principal.user_id)
    conflict.status = STATUS_OF_ACTION[decision.action]
    conflict.resolved_by = principal.user_id
    conflict.resolved_at = now
    conflict.resolution_value = to_json(final)
    conflict.rev = await w.alloc.next()
    session.add(
        AuditEntry(
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
    )
    await w.alloc.flush()
    await session.flush()
    return DecisionResult(conflict=out(conflict), rev=rev)


async def _household(w: Writer, household_id: uuid.UUID) -> Any:
    household = await w.load(BY_NAME["households"], household_id)
    if household is None or household.deleted:
        raise BadInput(
            _("%(f)s names a record that does not exist or was deleted.", f="household_id"),
            code="invalid",
            detail={"field": "household_id"},
        )
    if not await w.covers(household.area_id):
        raise Forbidden(_("That household is outside your area."), code="out_of_scope")
    return household
