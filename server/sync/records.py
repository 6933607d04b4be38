"""Reading and writing synced records: the storage edge shared by the engine and the
conflict review. Every write takes its rev from the request's RevAllocator."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

import msgspec
from sqlalchemy import Select, bindparam, null, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.guard import Principal
from server.areas.models import Area
from server.querying import one_of
from server.statement_cache import StatementCache
from server.sync import hlc as hlcmod
from server.sync.merge import FieldConflict, Version, version_of
from server.sync.models import CONFLICTS, Conflict, SyncRemoval
from server.sync.revs import RevAllocator
from server.sync.spec.collections import Collection, Registry

_AREA = select(Area.path, Area.level).where(Area.id == bindparam("id"))


def _many(coll: Collection, locks: bool, share: bool, dialect: str) -> Select[Any]:
    """The records ``ids`` in id order, each with its area's path and level (the scope
    checks need them next: read here, they cost no query of their own), locking the
    records' rows only."""
    model = coll.model
    if hasattr(model, "area_id"):
        stmt = select(model, Area.id, Area.path, Area.level).outerjoin(
            Area, Area.id == model.area_id
        )
    else:
        stmt = select(model, null(), null(), null())
    stmt = stmt.where(one_of(model.id, "ids", dialect)).order_by(model.id)
    return stmt.with_for_update(read=share, of=model) if locks else stmt


#: built statements of ``load_many``: (collection, model, row locks, share, dialect)
_MANY: StatementCache[Select[Any]] = StatementCache()


@dataclass
class Writer:
    """One transaction's view of the synced tables: the session, its rev allocator, the
    acting user, the collections and a cache of area paths."""

    session: AsyncSession
    alloc: RevAllocator
    principal: Principal
    now: datetime
    now_ms: int
    registry: Registry
    _areas: dict[int, tuple[str, str] | None] = field(default_factory=dict)
    #: records this transaction holds a row lock on: (collection, id) -> "update" / "share"
    _locks: dict[tuple[str, Any], str] = field(default_factory=dict)
    #: records known not to exist (read by load_many), until this transaction adds them
    _absent: set[tuple[str, Any]] = field(default_factory=set)

    @property
    def row_locks(self) -> bool:
        """PostgreSQL: writers lock the records they read (SQLite has one writer)."""
        return self.session.get_bind().dialect.name != "sqlite"

    async def area(self, area_id: int) -> tuple[str, str] | None:
        """(path, level) of an area, or None when there is no such area."""
        if area_id not in self._areas:
            row = (await self.session.execute(_AREA, {"id": area_id})).first()
            self._areas[area_id] = (row[0], row[1]) if row else None
        return self._areas[area_id]

    async def covers(self, area_id: int) -> bool:
        info = await self.area(area_id)
        return info is not None and self.principal.covers(info[0])

    async def load(self, coll: Collection, rid: Any, *, share: bool = False) -> Any:
        """The record, row-locked until commit on PostgreSQL (``share``: FOR SHARE, for a
        record the write only refers to; else FOR UPDATE). No other writer can then change
        it before this transaction commits: what the merge reads is what it writes over."""
        key = (coll.name, rid)
        if key in self._absent:
            return None
        held = self._locks.get(key)
        if not self.row_locks or held == "update" or (held == "share" and share):
            return await self.session.get(coll.model, rid)
        lock: dict[str, bool] = {"read": True} if share else {}
        record = await self.session.get(coll.model, rid, with_for_update=lock or True)
        if record is not None:
            self._locks[key] = "share" if share else "update"
        return record

    async def load_many(self, coll: Collection, ids: list[Any], *, share: bool = False) -> None:
        """Read (and on PostgreSQL lock FOR UPDATE, or FOR SHARE, in id order) the records
        ``ids`` in one query; later ``load`` calls find them without a query (the session
        keeps them: see RevAllocator)."""
        locks = self.row_locks
        dialect = self.session.get_bind().dialect.name
        stmt = _MANY.get(
            (coll.name, coll.model, locks, share, dialect),
            partial(_many, coll, locks, share, dialect),
        )
        found: set[Any] = set()
        for record, area_id, path, level in await self.session.execute(stmt, {"ids": ids}):
            found.add(record.id)
            if area_id is not None:
                self._areas[area_id] = (path, level)
        for rid in ids:
            key = (coll.name, rid)
            if rid in found:
                self._locks[key] = "share" if share else "update"
            else:
                self._absent.add(key)

    def note_absent(self, coll: Collection, ids: Iterable[Any]) -> None:
        """Records known not to exist (a probe found none): ``load`` answers None for them
        without a query, until this transaction adds them."""
        self._absent.update((coll.name, rid) for rid in ids)

    def add(self, coll: Collection, record: Any) -> None:
        """A new record of this transaction (it is no longer absent)."""
        self._absent.discard((coll.name, record.id))
        self._locks[(coll.name, record.id)] = "update"
        self.session.add(record)

    def server_hlc(self, floor: str) -> str:
        """A server clock after ``floor`` (the field's current clock) and not before now."""
        return hlcmod.receive(floor, floor, self.now_ms, hlcmod.SERVER_NODE)

    async def write(
        self,
        coll: Collection,
        record: Any,
        values: dict[str, Any],
        hlc: str,
        by: int | None,
        device: uuid.UUID | None = None,
    ) -> int:
        """Set fields with a new rev; each written field's version becomes
        [rev, hlc, by, device] (device: the authenticated device, None for the server)."""
        rev = await self.alloc.next()
        versions = dict(record.versions or {})
        stamp = Version(rev, hlc, by, device.hex if device is not None else None).as_json()
        for name, value in values.items():
            setattr(record, name, value)
            versions[name] = stamp
        record.versions = versions
        record.rev = rev
        record.updated_at = self.now
        record.updated_by = by
        return rev

    async def touch(self, record: Any, by: int | None) -> int:
        """A new rev without a field change (a decision that kept the value re-stamps it)."""
        rev = await self.alloc.next()
        record.rev = rev
        record.updated_at = self.now
        record.updated_by = by
        return rev

    async def move_area(self, coll: Collection, record: Any, new_area: int) -> None:
        """Give a record a new area, with the records that take their area from it and the
        conflicts about them; devices of the old area drop them all.

        Each removal takes its rev before the row's new rev, so a device that sees both in
        one response keeps the row (see feed.py). The record itself gets its new rev from
        the write that moves it."""
        old = record.area_id
        if old == new_area:
            return
        await self.removal(coll.name, str(record.id), old)
        record.area_id = new_area
        await self._move_conflicts(coll, record, new_area)
        for child, ref, earlier in self.registry.followers(coll.name):
            model = child.model
            rows = (
                await self.session.execute(
                    select(model)
                    .where(
                        getattr(model, ref.field) == record.id,
                        # the child's area comes from the first of its area refs that is set
                        *(getattr(model, e.field).is_(None) for e in earlier),
                        model.deleted.is_(False),
                        model.area_id != new_area,
                    )
                    .with_for_update()
                )
            ).scalars()
            for row in list(rows):
                await self.move_area(child, row, new_area)
                await self.touch(row, row.updated_by)

    async def _move_conflicts(self, coll: Collection, record: Any, new_area: int) -> None:
        """A conflict lies in its record's area: the new area's reviewers decide it, the
        old area's no longer see it, and its proposer keeps it only while in scope."""
        rows = (
            await self.session.execute(
                select(Conflict)
                .where(
                    Conflict.collection == coll.name,
                    Conflict.record_id == str(record.id),
                    Conflict.area_id != new_area,
                )
                .with_for_update()
            )
        ).scalars()
        for conflict in list(rows):
            await self.removal(CONFLICTS.name, str(conflict.id), conflict.area_id)
            conflict.area_id = new_area
            conflict.rev = await self.alloc.next()

    async def removal(self, collection: str, record_id: str, area_id: int) -> None:
        rev = await self.alloc.next()
        self.session.add(
            SyncRemoval(
                rev=rev, collection=collection, record_id=record_id, area_id=area_id, at=self.now
            )
        )

    async def add_conflict(
        self,
        coll: Collection,
        record: Any,
        fc: FieldConflict,
        *,
        proposed_hlc: str,
        proposed_by: int | None,
        proposed_device: uuid.UUID | None,
        mutation_id: uuid.UUID | None,
    ) -> Conflict:
        conflict = Conflict(
            id=uuid.uuid4(),
            rev=await self.alloc.next(),
            area_id=record.area_id,
            collection=coll.name,
            record_id=str(record.id),
            field=fc.field,
            critical=fc.critical,
            status=fc.status,
            kept_value=to_json(fc.kept_value),
            kept_hlc=fc.kept.hlc or None,
            kept_by=fc.kept.by,
            proposed_value=to_json(fc.proposed_value),
            proposed_hlc=proposed_hlc,
            proposed_by=proposed_by,
            proposed_device=proposed_device,
            mutation_id=mutation_id,
            created_at=self.now,
            resolution_value=None if fc.status == "pending" else to_json(fc.resolution_value),
            resolved_at=None if fc.status == "pending" else self.now,
        )
        self.session.add(conflict)
        return conflict


def to_json(value: Any) -> Any:
    """A value as it travels and is kept in JSON columns (dates as ISO text, UUIDs as text)."""
    return msgspec.to_builtins(value)


def field_version(record: Any, name: str) -> Version:
    return version_of(record.versions or {}, name)


@dataclass
class Context:
    """The write hooks run in (collections.HookContext), over one Writer."""

    w: Writer
    user_id: int | None
    device_id: uuid.UUID | None
    clock_offset_ms: int
    hlc: str
    mutation_id: uuid.UUID | None
    max_lead_ms: int = 0

    @property
    def session(self) -> AsyncSession:
        return self.w.session

    @property
    def now(self) -> datetime:
        return self.w.now

    async def load(self, collection: str, record_id: Any) -> Any:
        return await self.w.load(self.w.registry[collection], record_id)

    async def write(self, collection: str, record: Any, values: Mapping[str, Any]) -> int:
        floor = max((field_version(record, n).hlc for n in values), default=hlcmod.ZERO)
        coll = self.w.registry[collection]
        return await self.w.write(coll, record, dict(values), self.w.server_hlc(floor), None)

    async def hold(self, collection: str, record: Any, field: str, proposed: Any) -> str:
        kept = field_version(record, field)
        fc = FieldConflict(field, True, "pending", getattr(record, field), kept, proposed, "kept")
        conflict = await self.w.add_conflict(
            self.w.registry[collection],
            record,
            fc,
            proposed_hlc=self.hlc,
            proposed_by=self.user_id,
            proposed_device=self.device_id,
            mutation_id=self.mutation_id,
        )
        return str(conflict.id)

    async def insert(self, collection: str, values: Mapping[str, Any]) -> Any:
        coll = self.w.registry[collection]
        data = dict(values)
        rev = await self.w.alloc.next()
        stamp = Version(rev, self.w.server_hlc(hlcmod.ZERO), None, None).as_json()
        filled = {n: column_default(coll, n) for n in coll.writable if n not in data}
        record = coll.model(
            id=data.pop("id", None) or uuid.uuid4(),
            rev=rev,
            deleted=False,
            versions=dict.fromkeys((n for n in data if n != "area_id"), stamp),
            created_at=self.now,
            updated_at=self.now,
            created_by=self.user_id,
            updated_by=self.user_id,
            **{**filled, **data},
        )
        if coll.hooks.before_insert is not None:
            await coll.hooks.before_insert(self, record, data)
        self.w.add(coll, record)
        await self.w.session.flush()
        if coll.hooks.after_insert is not None:
            await coll.hooks.after_insert(self, record)
        return record


def wire_row(coll: Collection, obj: Any) -> list[Any]:
    """The record as the feed sends it: id, rev, then the collection's columns."""
    rev = getattr(obj, "rev", 0) if coll.has_rev else 0
    return [obj.id, rev, *(getattr(obj, c) for c in coll.cols)]


def wire_record(coll: Collection, obj: Any) -> dict[str, Any]:
    values = to_json(wire_row(coll, obj))
    return dict(zip(("id", "rev", *coll.cols), values, strict=True))


def column_default(coll: Collection, name: str) -> Any:
    """The value a column gets when a new record does not name it."""
    default = coll.model.__table__.c[name].default
    if default is None:
        return None
    return default.arg(None) if default.is_callable else default.arg
