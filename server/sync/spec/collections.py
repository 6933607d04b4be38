"""What a collection is to the sync engine, and how a domain declares its own
(docs/sync-protocol.md, "Collections").

This is the sync package's public face for the domains: a domain's ``collections.py``
imports this module only (never apply, records, feed ...), declares its collections with
:func:`declare` and puts its behaviour in :class:`Hooks`. The engine calls the hooks and
names no collection. The ordered :class:`Registry` is assembled outside ``server/sync``
(``server/registry.py``) and handed to the engine; its order is the snapshot order and
each collection's number in snapshot cursors.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from server.sync.spec.codes import REJECTIONS
from server.sync.spec.schemas import (
    AREA_ID,
    CHECKLIST,
    COUNT,
    ID,
    MOMENT,
    SYMPTOMS,
    TEMPERATURE,
    Schema,
    fits,
    make_schema,
    name,
    one_of,
    whole,
)

__all__ = [
    "AREA_ID",
    "CHECKLIST",
    "COUNT",
    "ID",
    "INSERT_ALONE",
    "MOMENT",
    "SYMPTOMS",
    "TEMPERATURE",
    "Change",
    "Collection",
    "Effect",
    "HookContext",
    "Hooks",
    "Ref",
    "Registry",
    "Rejected",
    "declare",
    "fits",
    "insert_alone",
    "name",
    "one_of",
    "whole",
]

Kind = Literal["reference", "record", "append", "server"]
#: How the rows a user may read are chosen ("area_tree": the rows are areas themselves).
ReadScope = Literal["subtree", "subtree_or_ancestors", "area_tree", "all", "proposer"]


class Rejected(Exception):
    """A mutation refused with a documented code (codes.REJECTIONS); hooks raise it too."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        assert code in REJECTIONS, code
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


@dataclass(frozen=True, slots=True)
class Ref:
    """A field naming another record, which must exist, be live and be in scope."""

    field: str
    collection: str
    #: the record's area is the referenced record's area (first non-null such ref wins);
    #: when the referenced record moves area, the record follows it
    area: bool = False


@dataclass(frozen=True, slots=True)
class Change:
    """A write a ``validate`` hook judges."""

    id: Any
    #: the area the record will be in (None: no reference gave one)
    area_id: int | None
    #: the record's writable fields after the change (on insert: the data sent)
    values: Mapping[str, Any]
    #: the records its references name, by field (the ones resolved for this write)
    refs: Mapping[str, Any]
    #: the stored record on an update, None on insert
    record: Any = None


@dataclass(frozen=True, slots=True)
class Effect:
    """What a hook did that the engine must tell the device."""

    #: the server set values on this record the device did not send: send the record back
    server_set: bool = False
    #: fields held for review, and the conflicts made for them (HookContext.hold)
    held: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()


class HookContext(Protocol):
    """The write a hook runs in. A hook reads and writes through this, so a domain needs
    nothing of the engine beyond this module."""

    @property
    def session(self) -> AsyncSession: ...
    @property
    def now(self) -> datetime: ...
    @property
    def user_id(self) -> int | None: ...
    @property
    def device_id(self) -> uuid.UUID | None: ...
    @property
    def clock_offset_ms(self) -> int:
        """Device clock minus server clock, measured on this request (0 for a server write)."""
        ...

    @property
    def hlc(self) -> str:
        """The effective clock of the mutation being applied."""
        ...

    @property
    def max_lead_ms(self) -> int:
        """How far ahead of the server's clock a device may stamp a time (0 on a page)."""
        ...

    @property
    def mutation_id(self) -> uuid.UUID | None: ...

    async def load(self, collection: str, record_id: Any) -> Any:
        """A record of any collection by id (None when there is none)."""
        ...

    async def write(self, collection: str, record: Any, values: Mapping[str, Any]) -> int:
        """Set fields as the server (a server clock after the fields' own, no device): the
        record gets a new rev and every device pulls it. Returns the rev."""
        ...

    async def hold(self, collection: str, record: Any, field: str, proposed: Any) -> str:
        """Keep the field's value and hold ``proposed`` (this mutation's) for a reviewer
        in a pending conflict. Returns the conflict's id."""
        ...

    async def insert(self, collection: str, values: Mapping[str, Any]) -> Any:
        """Create a record as the server (a server clock, no device), with ``area_id`` in
        ``values``; the collection's before/after insert hooks run. Every device in scope
        pulls it. Returns the record."""
        ...


Validate = Callable[[HookContext, Change], Awaitable[None]]
#: (context, the new record before it is added, the data sent)
BeforeInsert = Callable[[HookContext, Any, Mapping[str, Any]], Awaitable[Effect | None]]
#: (context, the new record, added and flushed)
AfterInsert = Callable[[HookContext, Any], Awaitable[Effect | None]]
#: (context, the record, the values about to be written)
BeforeUpdate = Callable[[HookContext, Any, Mapping[str, Any]], Awaitable[Effect | None]]
#: (context, the record, the values written, the values they replaced)
AfterUpdate = Callable[
    [HookContext, Any, Mapping[str, Any], Mapping[str, Any]], Awaitable[Effect | None]
]
#: (context, the record about to get its tombstone): raise Rejected to refuse
BeforeDelete = Callable[[HookContext, Any], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Hooks:
    """A collection's own behaviour, each optional. ``validate`` runs on insert and on every
    update (``Change.refs`` then holds the references the update changes); the others
    around the engine's write of a mutation.
    Reviewers' decisions (conflicts.py) are server writes and run none of them."""

    validate: Validate | None = None
    before_insert: BeforeInsert | None = None
    after_insert: AfterInsert | None = None
    before_update: BeforeUpdate | None = None
    after_update: AfterUpdate | None = None
    before_delete: BeforeDelete | None = None


@dataclass(frozen=True, slots=True)
class Collection:
    name: str
    model: Any
    kind: Kind
    cols: tuple[str, ...]  # wire columns after "id" and "rev"
    #: the collection's name for people, in the request's language
    label: Callable[[], str]
    read_scope: ReadScope = "subtree"
    schema: Schema | None = None
    #: the wire type of each field a device may write (built into ``schema``)
    fields: Mapping[str, Any] = field(default_factory=dict)
    required: frozenset[str] = frozenset()  # must be given when the record is created
    critical: frozenset[str] = frozenset()  # held for review on a concurrent edit
    immutable: frozenset[str] = frozenset()  # fixed once the record exists
    read_only: frozenset[str] = frozenset()  # on the wire, written by the server only
    refs: tuple[Ref, ...] = ()
    #: the record names its area itself (area_id in data; must be a grid in scope)
    own_area: bool = False
    #: (collection, field): live records there that block a delete of this one
    dependents: tuple[tuple[str, str], ...] = ()
    int_ids: bool = False
    hooks: Hooks = Hooks()
    #: the schema a reviewer's value must meet, for fields devices never write
    review_schemas: Mapping[str, Any] = field(default_factory=dict)
    #: personal fields and how lists show them (masked; a whole-record read shows them whole)
    masks: Mapping[str, Callable[[str | None], str]] = field(default_factory=dict)
    writable: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        names = frozenset(self.schema.__struct_fields__) if self.schema else frozenset()
        object.__setattr__(self, "writable", names)

    @property
    def synced(self) -> bool:
        """Has the SyncedRecord columns (tombstones, field versions)."""
        return self.kind in ("record", "append")

    @property
    def has_rev(self) -> bool:
        return hasattr(self.model, "rev")

    @property
    def area_refs(self) -> tuple[Ref, ...]:
        return tuple(r for r in self.refs if r.area)


def declare(
    name: str,
    model: Any,
    kind: Kind,
    cols: str,
    label: Callable[[], str],
    *,
    fields: Mapping[str, Any] | None = None,
    **kw: Any,
) -> Collection:
    """A collection; a device-written one (``fields`` given) gets its wire schema from them."""
    schema = None
    if fields:
        schema = make_schema(name.title().replace("_", "") + "Data", dict(fields))
    return Collection(
        name, model, kind, tuple(cols.split()), label, schema=schema, fields=fields or {}, **kw
    )


#: A snapshot cursor numbers collections with one base-36 digit (cursor.py).
MAX_COLLECTIONS = 36


class Registry:
    """The collections a device syncs, in order: what the engine is given."""

    def __init__(self, collections: Iterable[Collection]) -> None:
        self.ordered: tuple[Collection, ...] = tuple(collections)
        self.by_name: dict[str, Collection] = {c.name: c for c in self.ordered}
        self.index: dict[str, int] = {c.name: i for i, c in enumerate(self.ordered)}
        if len(self.by_name) != len(self.ordered):
            raise ValueError("two collections share a name")
        if len(self.ordered) > MAX_COLLECTIONS:
            raise ValueError(f"at most {MAX_COLLECTIONS} collections fit in a cursor")
        for coll in self.ordered:
            if coll.synced and not coll.own_area and not coll.area_refs:
                raise ValueError(f"{coll.name} has no area: own_area or an area reference")
            for ref in coll.refs:
                if ref.collection not in self.by_name:
                    raise ValueError(f"{coll.name}.{ref.field} names {ref.collection}")
            for child, _fk in coll.dependents:
                if child not in self.by_name:
                    raise ValueError(f"{coll.name} depends on unknown {child}")
        # who follows whom when a record changes area: (child, the ref it follows, the
        # area refs before it, which must be null for the child to take its area from it)
        self._followers: dict[str, list[tuple[Collection, Ref, tuple[Ref, ...]]]] = {}
        for coll in self.ordered:
            area_refs = coll.area_refs
            for i, ref in enumerate(area_refs):
                self._followers.setdefault(ref.collection, []).append((coll, ref, area_refs[:i]))

    def __getitem__(self, name: str) -> Collection:
        return self.by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self.by_name

    def __iter__(self) -> Iterator[Collection]:
        return iter(self.ordered)

    def __len__(self) -> int:
        return len(self.ordered)

    def at(self, index: int) -> Collection:
        return self.ordered[index]

    def followers(self, name: str) -> list[tuple[Collection, Ref, tuple[Ref, ...]]]:
        """Collections whose records take their area from a record of ``name``."""
        return self._followers.get(name, [])

    def referrers(self, name: str) -> list[tuple[Collection, str]]:
        """(collection, field) of every reference to ``name``."""
        return [(c, ref.field) for c in self.ordered for ref in c.refs if ref.collection == name]

    def children_first(self) -> tuple[Collection, ...]:
        """The synced collections, each after every collection that refers to it."""
        synced = [c for c in self.ordered if c.synced]
        done: list[Collection] = []
        while len(done) < len(synced):
            ready = [
                c
                for c in synced
                if c not in done
                and all(r in done or r is c for r, _f in self.referrers(c.name) if r.synced)
            ]
            if not ready:
                raise ValueError("the references between collections form a cycle")
            done.extend(ready)
        return tuple(done)


# --- tables ------------------------------------------------------------------------------

#: ``Table.info`` key: the table's rows never share a statement with another such table's
INSERT_ALONE = "wangge_insert_alone"


def insert_alone(table: Table) -> None:
    """Never write ``table``'s new rows in one combined statement with another table so
    marked (server/sync/batch_insert.py): for tables whose triggers read one another's
    rows in the order they are written."""
    table.info[INSERT_ALONE] = True
