"""Step 8 of a sync request: one mutation, checked, merged and written
(docs/sync-protocol.md, "Processing a request", steps 8.1 to 8.9)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

import msgspec
from sqlalchemy import (
    CompoundSelect,
    FromClause,
    Table,
    bindparam,
    exists,
    literal,
    select,
    union_all,
)

from server.accounts.models import Device, User
from server.i18n import gettext as _
from server.querying import one_of
from server.statement_cache import StatementCache
from server.sync import hlc as hlcmod
from server.sync.merge import MergeResult, Version, merge_fields
from server.sync.models import SyncMutation
from server.sync.records import Context, Writer, column_default
from server.sync.spec.collections import Change, Collection, Effect, Rejected
from server.sync.validate import bad_id, clean, record_id, validate_data
from server.sync.wire import Mutation, MutationResult, MutationStatus


@dataclass
class Outcome:
    status: MutationStatus
    rev: int | None
    conflicts: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    #: the device can apply its own data (plus ``filled``): nothing else changed the record
    echo_free: bool = False
    #: values the server gave a new record that its data did not carry
    filled: dict[str, Any] = field(default_factory=dict)
    #: a hook set values the device did not send (the record must be sent back)
    server_set: bool = False

    def add(self, effect: Effect | None) -> None:
        """Take in what a hook did."""
        if effect is None:
            return
        self.server_set = self.server_set or effect.server_set
        self.conflicts.extend(effect.conflicts)
        self.held.extend(effect.held)
        if effect.held and self.status != "rejected":
            self.status = "conflict"


@dataclass
class Batch:
    """What one request's mutations share."""

    w: Writer
    user: User
    #: the authenticated device; None for a write a person makes on a page (sync/writes.py)
    device: Device | None
    clock_offset_ms: int
    max_lead_ms: int
    #: the request pulls with a feed cursor: the device holds a whole snapshot
    feed_pull: bool = False
    #: (collection, id, rev) of writes the device already knows: left out of ``changes``
    suppressed: set[tuple[str, str, int]] = field(default_factory=set)
    _echo_rev: dict[tuple[str, str], int] = field(default_factory=dict)
    #: idempotency records (rows of sync_mutations, by column) of this batch's mutation
    #: ids: read in one query (prefetch; None: known not stored) and kept up to date as
    #: the batch records its own; an id not in it is looked up on its own
    replays: dict[uuid.UUID, Mapping[str, Any] | None] = field(default_factory=dict)

    @property
    def device_id(self) -> uuid.UUID | None:
        return self.device.id if self.device is not None else None

    @property
    def device_key(self) -> str | None:
        """What field versions keep of the writing device (never the HLC's node)."""
        return self.device.id.hex if self.device is not None else None


async def process(b: Batch, m: Mutation) -> MutationResult:
    # 8.1 replay: a mutation id already processed gets its stored outcome, nothing else.
    try:
        mid = uuid.UUID(m.id)
    except ValueError:
        return MutationResult(
            id=m.id, status="rejected", code="invalid", field="id", message=bad_id()
        )
    if mid in b.replays:
        stored = b.replays[mid]
    else:
        row = (await b.w.session.execute(_REPLAY, {"id": mid})).mappings().first()
        stored = dict(row) if row is not None else None
    if stored is not None:
        # Another user's id, or the id of another change (a client reusing ids): answering
        # the stored outcome would confirm a change that was never applied.
        if stored["user_id"] != b.user.id or not _same_mutation(stored, m):
            return MutationResult(
                id=m.id, status="rejected", code="invalid", field="id", message=bad_id()
            )
        return stored_result(m.id, stored)
    try:
        outcome = await _apply(b, m, mid)
        result = MutationResult(
            id=m.id,
            status=outcome.status,
            rev=outcome.rev,
            conflicts=outcome.conflicts or None,
            held=outcome.held or None,
            set=_wire(outcome.filled) if outcome.echo_free and outcome.filled else None,
        )
    except Rejected as r:
        result = MutationResult(
            id=m.id, status="rejected", code=r.code, message=r.message, field=r.field
        )
    # 8.9 the idempotency record, in the same transaction as the effect; kept for every
    # mutation (rejected ones too): it is the change log of device edits. A plain row,
    # written with the batch's other rows at the stamp (one INSERT), its rev made final.
    record = {
        "id": mid,
        "device_id": b.device_id,
        "user_id": b.user.id,
        "collection": m.col,
        # a new reference row is numbered by the server: the log names its number
        "record_id": clean(m.rid or str((result.set or {}).get("id", "")), 40),
        "op": m.op,
        "status": result.status,
        "code": result.code,
        "message": clean(result.message or "", 300) or None,
        "rev": result.rev,
        "hlc": clean(m.hlc, 40),
        "device_time": datetime.fromtimestamp(m.at / 1000, UTC),
        "received_at": b.w.now,
        "payload": msgspec.to_builtins(m.data),
        _CONFLICTS: result.conflicts,
        "held": result.held,
        "field": result.field,
        "filled": result.set,
    }
    b.w.alloc.add_row(_LOG, record)
    b.replays[mid] = record
    return result


_LOG: Table = SyncMutation.__table__  # type: ignore[assignment]
#: the idempotency records of a batch's mutation ids, per dialect (``one_of``)
_REPLAYS = {
    dialect: select(_LOG).where(one_of(_LOG.c.id, "ids", dialect))
    for dialect in ("postgresql", "sqlite")
}
#: one idempotency record
_REPLAY = select(_LOG).where(_LOG.c.id == bindparam("id"))
#: the column of the conflicts a mutation opened (named by attribute: the generic engine
#: names no collection, and one collection is called so too)
_CONFLICTS = SyncMutation.conflicts.key


async def prefetch(b: Batch, mutations: list[Mutation]) -> None:
    """Read what a batch needs in a few queries: the idempotency records of its mutation
    ids (one query) and the records its mutations change, one query per collection, locked
    (``SELECT ... FOR UPDATE`` on PostgreSQL) in a fixed order (collection, id) so two
    batches never wait on each other in a cycle. Records named by the data (references)
    are read and share-locked when a mutation reaches them."""
    ids: set[uuid.UUID] = set()
    targets: dict[str, set[uuid.UUID]] = {}
    refs: dict[str, set[Any]] = {}
    registry = b.w.registry
    for m in mutations:
        try:
            ids.add(uuid.UUID(m.id))
        except ValueError:
            continue
        if m.col not in registry:
            continue
        coll = registry[m.col]
        if coll.schema is None or coll.int_ids:
            continue
        try:
            targets.setdefault(coll.name, set()).add(record_id(m.rid))
        except Rejected:
            continue
        for ref in coll.refs if m.op == "put" else ():
            value = _ref_key(registry[ref.collection], m.data.get(ref.field))
            if value is not None:
                refs.setdefault(ref.collection, set()).add(value)
    b.replays.update(dict.fromkeys(ids))
    # Which of those exist, in one statement: a batch of new records (the usual case) then
    # costs one query instead of one per collection plus one for the replays.
    found = await _existing(b, ids, targets)
    if found.get(_MUTATIONS):
        dialect = b.w.session.get_bind().dialect.name
        rows = await b.w.session.execute(_REPLAYS[dialect], {"ids": found[_MUTATIONS]})
        for stored in rows.mappings():
            b.replays[stored["id"]] = dict(stored)
    for name in sorted(targets):
        there = found.get(name, [])
        b.w.note_absent(registry[name], targets[name].difference(there))
        if there:
            await b.w.load_many(registry[name], sorted(there))
    for name in sorted(refs):
        wanted = refs[name] - targets.get(name, set())
        if wanted:
            await b.w.load_many(registry[name], sorted(wanted), share=True)


#: the probe's name for the idempotency records (no collection is named so)
_MUTATIONS = "$mutations"


def _probe(
    names: tuple[str, ...], tables: tuple[FromClause, ...], dialect: str
) -> CompoundSelect[Any]:
    return union_all(
        *(
            select(literal(name), table.c.id).where(one_of(table.c.id, f"ids{i}", dialect))
            for i, (name, table) in enumerate(zip(names, tables, strict=True))
        )
    )


#: built probes: (names probed, dialect)
_PROBES: StatementCache[CompoundSelect[Any]] = StatementCache(256)


async def _existing(
    b: Batch, ids: set[uuid.UUID], targets: dict[str, set[uuid.UUID]]
) -> dict[str, list[uuid.UUID]]:
    """Of the batch's mutation ids and the records it names, those that exist (unlocked:
    the records found are then read and locked by ``load_many``; a record another
    transaction adds after this read makes this one's insert fail on its key, and the
    sync is retried)."""
    wanted = {_MUTATIONS: ids} if ids else {}
    wanted.update((name, targets[name]) for name in sorted(targets) if targets[name])
    if not wanted:
        return {}
    names = tuple(wanted)
    tables = tuple(_LOG if n == _MUTATIONS else b.w.registry[n].model.__table__ for n in names)
    dialect = b.w.session.get_bind().dialect.name
    stmt = _PROBES.get((names, dialect), partial(_probe, names, tables, dialect))
    params = {f"ids{i}": list(wanted[n]) for i, n in enumerate(names)}
    found: dict[str, list[uuid.UUID]] = {}
    for name, rid in await b.w.session.execute(stmt, params):
        found.setdefault(name, []).append(rid)
    return found


def _ref_key(target: Collection, value: Any) -> Any:
    """A reference's value as the record's key, or None when it cannot be one (the
    mutation is refused later, one by one, with its proper code)."""
    if value is None or isinstance(value, bool):
        return None
    if target.int_ids:
        return value if isinstance(value, int) and 0 < value < 2**31 else None
    try:
        return uuid.UUID(value) if isinstance(value, str) else None
    except ValueError:
        return None


def finalize(b: Batch, results: list[MutationResult]) -> None:
    """After the stamp: the results and the echo notes carry the real revs."""
    final = b.w.alloc.final
    for result in results:
        if result.rev is not None:
            result.rev = final(result.rev)
    b.suppressed = {(c, i, final(rev)) for c, i, rev in b.suppressed}
    b._echo_rev = {key: final(rev) for key, rev in b._echo_rev.items()}


def _same_mutation(stored: Mapping[str, Any], m: Mutation) -> bool:
    """The stored mutation is this one sent again (a retry sends it byte for byte)."""
    # a new reference row was logged under the number the server gave it (_reference)
    filled, payload = stored["filled"], stored["payload"]
    numbered = not m.rid and filled is not None and "id" in filled
    return (
        stored["collection"] == m.col
        and (stored["record_id"] == clean(m.rid, 40) or numbered)
        and stored["op"] == m.op
        and (payload is None or payload == msgspec.to_builtins(m.data))
    )


def _wire(values: dict[str, Any]) -> dict[str, Any]:
    wired: dict[str, Any] = msgspec.to_builtins(values)
    return wired


def stored_result(mutation_id: str, s: Mapping[str, Any]) -> MutationResult:
    """The answer an idempotency record (a row of sync_mutations) keeps."""
    return MutationResult(
        id=mutation_id,
        status=s["status"],
        rev=s["rev"],
        code=s["code"],
        message=s["message"],
        conflicts=list(s[_CONFLICTS]) if s[_CONFLICTS] else None,
        held=list(s["held"]) if s["held"] else None,
        field=s["field"],
        set=dict(s["filled"]) if s["filled"] else None,
    )


async def _apply(b: Batch, m: Mutation, mid: uuid.UUID) -> Outcome:
    coll = b.w.registry[m.col]
    if coll.kind == "reference":
        return await _reference(b, m, mid, coll)
    # 8.2 the role may change this collection
    if coll.schema is None or not b.w.principal.can_write(coll.name):
        raise Rejected("forbidden", _("Your role may not change %(c)s.", c=coll.label()))
    # 8.3 well-formed ids and clock; the effective clock may lead the server only a little
    rid = record_id(m.rid)
    if not hlcmod.is_valid(m.hlc):
        raise Rejected("invalid", _("The change carries a malformed clock."), "hlc")
    if b.device is not None and hlcmod.node_of(m.hlc) == hlcmod.SERVER_NODE:
        # The server's node marks server writes (reviewers' decisions, derived fields) in the
        # clocks conflicts show: a device's edit must not pass for one.
        raise Rejected("invalid", _("The change carries a malformed clock."), "hlc")
    hlc = hlcmod.clamp(m.hlc, b.w.now_ms, b.max_lead_ms)
    # 8.4 the data against the collection's schema
    data = validate_data(coll, m.data) if m.op == "put" else {}
    # 8.5 the record as it is now: in scope, alive
    record = await b.w.load(coll, rid)
    if record is not None and not await b.w.covers(record.area_id):
        raise Rejected("out_of_scope", _("That record is outside your area."))
    ctx = Context(b.w, b.user.id, b.device_id, b.clock_offset_ms, hlc, mid, b.max_lead_ms)
    if m.op == "del":
        return await _delete(b, ctx, coll, record, m)
    if record is None:
        if m.base is not None:
            raise Rejected("not_found", _("That record does not exist on the server."))
        return await _insert(b, ctx, coll, rid, data)
    if record.deleted:
        raise Rejected("record_deleted", _("That record was deleted by someone else."))
    if coll.kind == "append":
        if all(getattr(record, k) == v for k, v in data.items()):
            return Outcome("applied", record.rev)  # the same fact sent again
        raise Rejected("append_only", _("Recorded %(c)s cannot be changed.", c=coll.label()))
    return await _update(b, ctx, coll, record, data, m)


async def _resolve_refs(
    b: Batch, coll: Collection, data: dict[str, Any], record: Any
) -> tuple[int | None, dict[str, Any]]:
    """Check the records ``data`` refers to; the area they give the record (or None)."""
    area: int | None = None
    found: dict[str, Any] = {}
    for ref in coll.refs:
        value = data.get(ref.field, getattr(record, ref.field) if record is not None else None)
        if value is None:
            continue
        target_coll = b.w.registry[ref.collection]
        target = await b.w.load(target_coll, value, share=True)
        if target is None or getattr(target, "deleted", False):
            raise Rejected(
                "bad_reference",
                _("%(f)s names a record that does not exist or was deleted.", f=ref.field),
                ref.field,
            )
        target_area = getattr(target, "area_id", None)
        if target_area is not None and not await b.w.covers(target_area):
            raise Rejected("out_of_scope", _("%(f)s is outside your area.", f=ref.field), ref.field)
        found[ref.field] = target
        if ref.area and area is None:
            area = target_area
    return area, found


async def _own_area(b: Batch, area_id: int) -> int:
    info = await b.w.area(area_id)
    if info is None:
        raise Rejected("bad_reference", _("There is no such area."), "area_id")
    if not b.w.principal.covers(info[0]):
        raise Rejected("out_of_scope", _("That grid is outside your area."), "area_id")
    if info[1] != "grid":
        raise Rejected("invalid", _("Records belong to a grid, not a larger area."), "area_id")
    return area_id


async def _insert(
    b: Batch, ctx: Context, coll: Collection, rid: uuid.UUID, data: dict[str, Any]
) -> Outcome:
    # 8.6 what a new record needs: its required fields, its references, its area
    for name in sorted(coll.required):
        if data.get(name) is None:
            raise Rejected("invalid", _("%(f)s is required.", f=name), name)
    area: int | None
    if coll.own_area:
        area = await _own_area(b, data["area_id"])
        _unused, found = await _resolve_refs(b, coll, data, None)
    else:
        area, found = await _resolve_refs(b, coll, data, None)
    if coll.hooks.validate is not None:
        await coll.hooks.validate(ctx, Change(rid, area, data, found))
    if area is None:  # no reference that gives the record its area was set
        name = coll.area_refs[0].field
        raise Rejected("invalid", _("%(f)s is required.", f=name), name)
    # 8.8 write
    rev = await b.w.alloc.next()
    filled = {name: column_default(coll, name) for name in coll.writable if name not in data}
    values = {**filled, **data}
    values.pop("area_id", None)
    stamp = Version(rev, ctx.hlc, b.user.id, b.device_key).as_json()
    record = coll.model(
        id=rid,
        rev=rev,
        area_id=area,
        deleted=False,
        versions=dict.fromkeys(data, stamp),
        created_at=b.w.now,
        updated_at=b.w.now,
        created_by=b.user.id,
        updated_by=b.user.id,
        **values,
    )
    outcome = Outcome("applied", rev)
    if coll.hooks.before_insert is not None:
        outcome.add(await coll.hooks.before_insert(ctx, record, data))
    b.w.add(coll, record)
    if not coll.own_area:
        filled["area_id"] = area
    outcome.filled = {name: value for name, value in filled.items() if name in coll.cols}
    if coll.hooks.after_insert is not None:
        # (a hook that queries flushes the batch first: autoflush)
        outcome.add(await coll.hooks.after_insert(ctx, record))
    # What the server added (a derived area, defaults) travels in the result's ``set``;
    # values a hook computes from the data (a fever report's clock) need the row.
    outcome.echo_free = not outcome.server_set and outcome.status == "applied"
    _note_echo(b, coll, record, outcome)
    return outcome


async def _update(
    b: Batch,
    ctx: Context,
    coll: Collection,
    record: Any,
    data: dict[str, Any],
    m: Mutation,
) -> Outcome:
    rev_before = record.rev
    # 8.6 fields fixed at creation, and references that change
    for name in sorted(coll.immutable & data.keys()):
        if data[name] != getattr(record, name):
            raise Rejected("immutable", _("%(f)s cannot change once set.", f=name), name)
    changed_refs = {
        r.field for r in coll.refs if r.field in data and data[r.field] != getattr(record, r.field)
    }
    new_area: int | None = None
    found: dict[str, Any] = {}
    if changed_refs:
        new_area, found = await _resolve_refs(b, coll, data, record)
    if coll.hooks.validate is not None:  # every update: a value sent must pass, held or not
        values = {**_current(record, coll.writable), **data}
        change = Change(record.id, new_area or record.area_id, values, found, record)
        await coll.hooks.validate(ctx, change)
    # 8.7 merge field by field. A base above the record's rev cannot come from this
    # server's history (it was restored from a backup): nothing it claims to have seen is
    # trusted, so every written field counts as concurrent.
    base = m.base if m.base is None or m.base <= rev_before else 0
    current = {name: getattr(record, name) for name in data}
    merged: MergeResult = merge_fields(
        current, record.versions or {}, base, data, ctx.hlc, coll.critical, b.device_key
    )
    outcome = Outcome(merged.status, record.rev, held=list(merged.held))
    # 8.8 write the fields that won, the conflicts, and what follows from them
    if merged.apply:
        if coll.hooks.before_update is not None:
            outcome.add(await coll.hooks.before_update(ctx, record, merged.apply))
        moves = [r for r in coll.area_refs if r.field in merged.apply]
        if moves and new_area not in (None, record.area_id):
            assert new_area is not None
            await b.w.move_area(coll, record, new_area)  # its removal note takes a rev first
            outcome.server_set = True
        before = {name: getattr(record, name) for name in merged.apply}
        outcome.rev = await b.w.write(
            coll, record, merged.apply, ctx.hlc, b.user.id, device=b.device_id
        )
        if coll.hooks.after_update is not None:
            outcome.add(await coll.hooks.after_update(ctx, record, merged.apply, before))
    for fc in merged.conflicts:
        conflict = await b.w.add_conflict(
            coll,
            record,
            fc,
            proposed_hlc=ctx.hlc,
            proposed_by=b.user.id,
            proposed_device=b.device_id,
            mutation_id=ctx.mutation_id,
        )
        outcome.conflicts.append(str(conflict.id))
    seen_latest = rev_before == (m.base or 0) or b._echo_rev.get(_key(coll, record)) == rev_before
    outcome.echo_free = outcome.status == "applied" and seen_latest and not outcome.server_set
    _note_echo(b, coll, record, outcome)
    return outcome


async def _reference(b: Batch, m: Mutation, mid: uuid.UUID, coll: Collection) -> Outcome:
    """A row of a reference list (policy versions, risk areas, campaigns) written on an
    admin's page. Devices only read these lists. Rows are numbered by the server (an empty
    ``rid`` adds one, the number comes back in ``set``); there are no field versions to
    merge (every writer holds the change counter's lock, so page writes never interleave)
    and no deletes: a row is ended by its dates, so devices keep what a past day meant."""
    if (
        b.device is not None
        or coll.schema is None
        or not b.w.principal.can_edit_reference(coll.name)
    ):
        raise Rejected("forbidden", _("Your role may not change %(c)s.", c=coll.label()))
    if m.op != "put":
        raise Rejected(
            "invalid", _("%(c)s are ended by their dates, never deleted.", c=coll.label())
        )
    if not hlcmod.is_valid(m.hlc):
        raise Rejected("invalid", _("The change carries a malformed clock."), "hlc")
    data = validate_data(coll, m.data)
    record = None
    if m.rid:
        if not m.rid.isdigit() or len(m.rid) > 10:
            raise Rejected("invalid", _("The record id must be a number."), "rid")
        record = await b.w.load(coll, int(m.rid))
        if record is None:
            raise Rejected("not_found", _("That record does not exist on the server."))
        for name in sorted(coll.immutable & data.keys()):
            if data[name] != getattr(record, name):
                raise Rejected("immutable", _("%(f)s cannot change once set.", f=name), name)
    else:
        for name in sorted(coll.required):
            if data.get(name) is None:
                raise Rejected("invalid", _("%(f)s is required.", f=name), name)
    area: int | None = None
    if hasattr(coll.model, "area_id"):
        area = data.get("area_id", getattr(record, "area_id", None))
        if area is not None and await b.w.area(area) is None:
            raise Rejected("bad_reference", _("There is no such area."), "area_id")
        if area is not None and not await b.w.covers(area):
            raise Rejected("out_of_scope", _("That record is outside your area."), "area_id")
        if record is not None and not await b.w.covers(record.area_id):
            raise Rejected("out_of_scope", _("That record is outside your area."))
    hlc = hlcmod.clamp(m.hlc, b.w.now_ms, b.max_lead_ms)
    ctx = Context(b.w, b.user.id, None, 0, hlc, mid, b.max_lead_ms)
    if coll.hooks.validate is not None:
        values = {**_current(record, coll.writable), **data} if record is not None else data
        await coll.hooks.validate(
            ctx, Change(getattr(record, "id", None), area, values, {}, record)
        )
    rev = await b.w.alloc.next()
    if record is None:
        filled = {name: column_default(coll, name) for name in coll.writable if name not in data}
        record = coll.model(rev=rev, **{**filled, **data})
        outcome = Outcome("applied", rev)
        if coll.hooks.before_insert is not None:
            outcome.add(await coll.hooks.before_insert(ctx, record, data))
        b.w.session.add(record)
        await b.w.session.flush()
        outcome.filled = {"id": record.id}
        if coll.hooks.after_insert is not None:
            outcome.add(await coll.hooks.after_insert(ctx, record))
    else:
        before = {name: getattr(record, name) for name in data}
        for name, value in data.items():
            setattr(record, name, value)
        record.rev = rev
        outcome = Outcome("applied", rev, filled={"id": record.id})
        if coll.hooks.after_update is not None:
            outcome.add(await coll.hooks.after_update(ctx, record, data, before))
    outcome.echo_free = True  # the page reads the row again; no device holds it yet
    return outcome


def _current(record: Any, names: frozenset[str]) -> dict[str, Any]:
    return {name: getattr(record, name) for name in names}


async def _delete(b: Batch, ctx: Context, coll: Collection, record: Any, m: Mutation) -> Outcome:
    if record is None:
        raise Rejected("not_found", _("That record does not exist on the server."))
    if record.deleted:
        return Outcome("applied", record.rev)  # already gone: the wish is fulfilled
    # 8.5 / 8.6 facts stay; a record with live dependents stays
    if coll.kind == "append":
        raise Rejected("append_only", _("Recorded %(c)s cannot be deleted.", c=coll.label()))
    if coll.hooks.before_delete is not None:
        await coll.hooks.before_delete(ctx, record)
    for child_name, fk in coll.dependents:
        child_coll = b.w.registry[child_name]
        child = child_coll.model
        live = await b.w.session.scalar(
            select(exists().where(getattr(child, fk) == record.id, child.deleted.is_(False)))
        )
        if live:
            raise Rejected(
                "has_dependents",
                _("Delete or move its %(c)s first.", c=child_coll.label()),
            )
    # 8.8 the tombstone
    rev_before = record.rev
    record.deleted = True
    outcome = Outcome("applied", await b.w.touch(record, b.user.id))
    seen_latest = rev_before == (m.base or 0) or b._echo_rev.get(_key(coll, record)) == rev_before
    outcome.echo_free = seen_latest
    _note_echo(b, coll, record, outcome)
    return outcome


def _key(coll: Collection, record: Any) -> tuple[str, str]:
    return coll.name, str(record.id)


def _note_echo(b: Batch, coll: Collection, record: Any, outcome: Outcome) -> None:
    """Leave the write out of this answer's changes when the device holds everything the
    record now is: only on a feed pull (a first sync's device holds no snapshot)."""
    if not b.feed_pull:
        return
    if outcome.echo_free and outcome.rev is not None and outcome.rev == record.rev:
        b.suppressed.add((coll.name, str(record.id), outcome.rev))
        b._echo_rev[_key(coll, record)] = outcome.rev
