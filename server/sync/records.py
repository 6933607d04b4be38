"""Reading and writing synced records: the storage edge shared by the engine and the
conflict review. Every write takes its rev from the request's RevAllocator."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.guard import Principal
from server.areas.models import Area
from server.sync import hlc as hlcmod
from server.sync.collections import BY_NAME, Collection
from server.sync.merge import FieldConflict, Version, version_of
from server.sync.models import Conflict, SyncRemoval
from server.sync.revs import RevAllocator

#: When a person moves to a household in another area, these follow it.
AREA_CHILDREN: dict[str, tuple[tuple[str, str], ...]] = {
    "persons": (("measures", "person_id"), ("checks", "person_id"), ("tests", "person_id")),
}


@dataclass
class Writer:
    """One transaction's view of the synced tables: the session, its rev allocator, the
    acting user and a cache of area paths."""

    session: AsyncSession
    alloc: RevAllocator
    principal: Principal
    now: datetime
    now_ms: int
    _areas: dict[int, tuple[str, str] | None] = field(default_factory=dict)

    async def area(self, area_id: int) -> tuple[str, str] | None:
        """(path, level) of an area, or None when there is no such area."""
        if area_id not in self._areas:
            row = (
                await self.session.execute(select(Area.path, Area.level).where(Area.id == area_id))
            ).first()
            self._areas[area_id] = (row[0], row[1]) if row else None
        return self._areas[area_id]

    async def covers(self, area_id: int) -> bool:
        info = await self.area(area_id)
        return info is not None and self.principal.covers(info[0])

    async def load(self, coll: Collection, rid: Any) -> Any:
        return await self.session.get(coll.model, rid)

    def server_hlc(self, floor: str) -> str:
        """A server clock after ``floor`` (the field's current clock) and not before now."""
        return hlcmod.receive(floor, floor, self.now_ms, hlcmod.SERVER_NODE)

    async def write(
        self, coll: Collection, record: Any, values: dict[str, Any], hlc: str, by: int | None
    ) -> int:
        """Set fields with a new rev; each written field's version becomes [rev, hlc, by]."""
        rev = await self.alloc.next()
        versions = dict(record.versions or {})
        for name, value in values.items():
            setattr(record, name, value)
            versions[name] = Version(rev, hlc, by).as_json()
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
        """Give a record (and what follows it) a new area; devices of the old one drop it.

        The removal takes its rev before the record's new rev, so a device that sees both
        in one response keeps the record (see feed.py)."""
        old = record.area_id
        if old == new_area:
            return
        await self.removal(coll.name, str(record.id), old)
        record.area_id = new_area
        for child_name, fk in AREA_CHILDREN.get(coll.name, ()):
            child = BY_NAME[child_name]
            rows = (
                await self.session.execute(
                    select(child.model).where(
                        getattr(child.model, fk) == record.id,
                        child.model.deleted.is_(False),
                        child.model.area_id != new_area,
                    )
                )
            ).scalars()
            for row in list(rows):
                await self.removal(child_name, str(row.id), row.area_id)
                row.area_id = new_area
                await self.touch(row, row.updated_by)

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
