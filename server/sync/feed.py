"""Step 9 of a sync request: the pull (docs/sync-protocol.md, "Pulling changes").

A first sync (no cursor) sends a snapshot: the live rows in scope with ``rev <= hi`` for a
horizon ``hi`` fixed on its first page, collection by collection, keyset-paged by id. Every
later pull is the feed: rows with ``cursor < rev <= hi`` in rev order, where ``hi`` is the
committed ``last_rev``, read by the very statement that picks the due revs (one snapshot,
with the tombstone horizon). Revs are handed out under a row lock held until commit
(revs.py), so every rev up to ``hi`` belongs to a committed transaction and
statement-level snapshots under READ COMMITTED cannot skip one.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    and_,
    bindparam,
    false,
    func,
    literal,
    literal_column,
    or_,
    outerjoin,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.guard import Principal, in_subtree, in_subtree_path
from server.areas.models import Area
from server.areas.tallies import TALLIED, AreaTally
from server.querying import one_of
from server.statement_cache import StatementCache
from server.sync import cursor as cursors
from server.sync.models import SyncRemoval, SyncState
from server.sync.spec.collections import Collection, Registry
from server.sync.wire import Page

_NOTES = -1  # the removal notes' place in the feed's UNION ALL


@dataclass(frozen=True, slots=True)
class Entry:
    rev: int
    collection: str
    id: Any
    row: list[Any] | None  # None: a removal
    #: from a removal note (moved out of an area), not from the record's own table
    note: bool = False


@dataclass
class PullResult:
    cursor: str
    changes: dict[str, Page] = field(default_factory=dict)
    removed: dict[str, list[str]] = field(default_factory=dict)
    more: bool = False
    remaining: int | None = None
    #: the device must drop its copy and pull again from the start ("horizon"); the
    #: other fields are then empty
    reset: str | None = None


@dataclass(frozen=True, slots=True)
class FeedPage:
    """Entries of the feed after a rev, in rev order, as one pull reads them."""

    entries: list[Entry]
    #: the rev the page covers up to: ``hi`` unless more are due
    upto: int
    more: bool
    #: the committed ``last_rev`` the due revs were read against
    hi: int
    #: a purge has raised the tombstone horizon above the page's start: deletes the
    #: device has not seen may be gone, it must reset
    purged: bool


def readable(principal: Principal, registry: Registry) -> list[Collection]:
    return [c for c in registry if principal.can_read(c.name)]


def snapshot_order(
    principal: Principal, first: Sequence[str] | None, registry: Registry
) -> tuple[int, ...]:
    """Default order (registry order: reference data, then today's work), with the
    collections the device asked for first moved to the front."""
    names = [c.name for c in readable(principal, registry)]
    wanted = [n for n in (first or ()) if n in names]
    ordered = list(dict.fromkeys([*wanted, *names]))
    return tuple(registry.index[n] for n in ordered)


def _ancestors(principal: Principal) -> list[int]:
    return [int(p) for p in principal.area_path.strip("/").split("/") if p.isdigit()]


def _among(column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN (v1, v2, ...)`` for values fixed when a cached statement is built: one
    bound parameter each, so the SQL text is fixed too (``in_(list)`` makes an expanding
    parameter, rewritten into the text on every execution: most of a feed query's CPU
    in the server)."""
    if not values:
        return false()
    return column.in_([literal(v, type_=column.type) for v in values])  # type: ignore[no-any-return]


def scope_filter(coll: Collection, principal: Principal) -> ColumnElement[bool]:
    model = coll.model
    if coll.read_scope == "all":
        return true()
    if coll.read_scope == "area_tree":
        return or_(
            in_subtree_path(Area.path, principal.area_path),
            _among(Area.id, _ancestors(principal)),
        )
    scoped = in_subtree(model.area_id, principal)
    if coll.read_scope == "proposer":
        # only while the record is in the user's area: a user moved elsewhere, or whose
        # record moved elsewhere, stops receiving it (its personal data with it)
        return and_(model.proposed_by == principal.user_id, scoped)
    if coll.read_scope == "subtree_or_ancestors":
        return or_(scoped, _among(model.area_id, _ancestors(principal)))
    return scoped


def _columns(coll: Collection) -> list[Any]:
    model = coll.model
    rev = model.rev if coll.has_rev else literal(0)
    extra = [model.deleted] if coll.synced else []
    return [model.id, rev, *(getattr(model, c) for c in coll.cols), *extra]


def _by_rev(coll: Collection, dialect: str) -> Select[Any]:
    return select(*_columns(coll)).where(one_of(coll.model.rev, "revs", dialect))


#: built statements of the feed: the due revs per (principal, registry), rows by rev
_DUE: StatementCache[Select[Any]] = StatementCache()
#: the committed change counter, read inside the feed's statement (``correlate(None)``:
#: a subquery of its own, never joined to the outer read of the same row)
_LAST_REV = select(SyncState.last_rev).where(SyncState.id == 1).correlate(None).scalar_subquery()
_HORIZON = select(SyncState.horizon_rev).where(SyncState.id == 1)
_BY_REV: StatementCache[Select[Any]] = StatementCache()


def _split(coll: Collection, row: Sequence[Any]) -> tuple[list[Any], bool]:
    values = list(row)
    if coll.synced:
        return values[:-1], bool(values[-1])
    return values, False


class Puller:
    def __init__(
        self,
        session: AsyncSession,
        principal: Principal,
        registry: Registry,
        suppressed: set[tuple[str, str, int]] | None = None,
    ) -> None:
        self.session = session
        self.principal = principal
        self.registry = registry
        self.suppressed = suppressed or set()
        self.colls = readable(principal, registry)

    # --- the feed ------------------------------------------------------------------------

    async def _feed_entries(self, lo: int, limit: int) -> FeedPage:
        """The first ``limit`` entries with ``lo < rev <= hi``, in rev order, where ``hi``
        is the committed change counter.

        One statement reads the counter, the tombstone horizon and which revs of which
        collections are due, all in one snapshot (a sync with nothing new costs one
        query, and no purge can slip between the horizon's check and the rows); the rows
        are then read per collection by rev. A pull without mutations holds no lock, so
        a row picked by the first query may have a new rev (or be purged) by the second:
        the page's end is taken from the revs picked, never from the rows that came back,
        or a short page would jump the cursor to ``hi``; and a picked row that did not
        come back makes it look at the horizon again, in case a purge took it."""
        picked = (
            await self.session.execute(
                _DUE.get((self.principal, self.registry), self._due_statement),
                {"lo": lo, "lim": limit + 1},
            )
        ).all()
        # one row per due rev, each carrying the counter and the horizon; exactly one
        # (rev None) when nothing is due; none without a counter row (nothing written yet)
        hi, horizon = (int(picked[0][0]), int(picked[0][1])) if picked else (0, 0)
        due = [(int(row[2]), int(row[3])) for row in picked if row[2] is not None]
        end = due[limit - 1][0] if len(due) > limit else None
        revs: dict[int, list[int]] = {}
        own = {(c, r) for c, _i, r in self.suppressed}
        for rev, index in due[:limit]:
            if index != _NOTES and (self.registry.at(index).name, rev) in own:
                continue  # this request's own write, left out anyway: not read back
            revs.setdefault(index, []).append(rev)
        entries: list[Entry] = []
        missing = False
        dialect = self.session.get_bind().dialect.name
        for index, wanted in revs.items():
            before = len(entries)
            if index == _NOTES:
                notes = await self.session.execute(
                    select(SyncRemoval.rev, SyncRemoval.collection, SyncRemoval.record_id).where(
                        SyncRemoval.rev.in_(wanted)
                    )
                )
                entries.extend(Entry(r.rev, r.collection, r.record_id, None, True) for r in notes)
            else:
                coll = self.registry.at(index)
                rows = await self.session.execute(
                    _BY_REV.get((coll.name, coll.model, dialect), partial(_by_rev, coll, dialect)),
                    {"revs": wanted},
                )
                for raw in rows.all():
                    values, deleted = _split(coll, raw)
                    entries.append(
                        Entry(values[1], coll.name, values[0], None if deleted else values)
                    )
            missing = missing or len(entries) - before < len(wanted)
        if missing and horizon <= lo:
            horizon = int((await self.session.execute(_HORIZON)).scalar_one_or_none() or 0)
        entries.sort(key=lambda e: e.rev)
        return FeedPage(entries, hi if end is None else end, end is not None, hi, horizon > lo)

    def _due_statement(self) -> Select[Any]:
        """The change counter and the tombstone horizon, and beside them which revs of
        which collections are due: ``lo < rev <= last_rev`` (``lo`` bound at each call), in
        the principal's scope, first ``lim`` in rev order."""
        lo = bindparam("lo", type_=BigInteger)
        branches: list[Any] = []
        for coll in self.colls:
            if coll.has_rev:
                model = coll.model
                branches.append(
                    select(
                        model.rev.label("rev"),
                        literal_column(str(self.registry.index[coll.name])).label("c"),
                    ).where(
                        model.rev > lo, model.rev <= _LAST_REV, scope_filter(coll, self.principal)
                    )
                )
        names = [c.name for c in self.colls]
        branches.append(
            select(SyncRemoval.rev.label("rev"), literal_column(str(_NOTES)).label("c")).where(
                SyncRemoval.rev > lo,
                SyncRemoval.rev <= _LAST_REV,
                _among(SyncRemoval.collection, names),
                in_subtree(SyncRemoval.area_id, self.principal),
            )
        )
        due = union_all(*branches).subquery("due")
        page = (
            select(due.c.rev, due.c.c).order_by(due.c.rev).limit(bindparam("lim")).subquery("page")
        )
        return (
            select(SyncState.last_rev, SyncState.horizon_rev, page.c.rev, page.c.c)
            .select_from(outerjoin(SyncState, page, true()))
            .where(SyncState.id == 1)
            .order_by(page.c.rev)
        )

    async def feed(self, lo: int, limit: int, scope: int) -> PullResult:
        """The feed after ``lo``, or a reset when the device cannot carry on from there:
        a purge took deletes it has not seen, or ``lo`` is beyond anything this server
        has (its data was restored from a backup)."""
        page = await self._feed_entries(lo, limit)
        if page.purged or lo > page.hi:
            return PullResult(cursor="", reset="horizon")
        result = PullResult(
            cursor=cursors.encode(cursors.FeedCursor(scope, page.upto)), more=page.more
        )
        await self._fill(result, page.entries)
        if page.more:
            result.remaining = await self._count_feed(page.upto, page.hi)
        return result

    async def _count_feed(self, lo: int, hi: int) -> int:
        total = 0
        for coll in self.colls:
            if coll.has_rev:
                model = coll.model
                total += await self._count(
                    coll, and_(model.rev > lo, model.rev <= hi, scope_filter(coll, self.principal))
                )
        return total

    async def _count(self, coll: Collection, where: ColumnElement[bool]) -> int:
        stmt = select(func.count()).select_from(coll.model).where(where)
        return int((await self.session.execute(stmt)).scalar_one())

    # --- the snapshot --------------------------------------------------------------------

    def _snapshot_where(self, coll: Collection, hi: int, after: str) -> ColumnElement[bool]:
        model = coll.model
        parts = [scope_filter(coll, self.principal)]
        if coll.has_rev:
            parts.append(model.rev <= hi)
        if coll.synced:
            parts.append(model.deleted.is_(False))
        if after:
            parts.append(model.id > parse_after(coll, after))
        return and_(*parts)

    async def snapshot(self, cur: cursors.SnapshotCursor, new_hi: int, limit: int) -> PullResult:
        result = await self._snapshot(cur, new_hi, limit)
        cluster(result, self.registry)
        return result

    async def _snapshot(self, cur: cursors.SnapshotCursor, new_hi: int, limit: int) -> PullResult:
        budget = limit
        pos, after = cur.pos, cur.after
        page: list[Entry] = []
        while pos < len(cur.order) and budget > 0:
            coll = self.registry.at(cur.order[pos])
            stmt = (
                select(*_columns(coll))
                .where(self._snapshot_where(coll, cur.hi, after))
                .order_by(coll.model.id)
                .limit(budget + 1)
            )
            rows = [_split(coll, raw)[0] for raw in (await self.session.execute(stmt)).all()]
            if len(rows) > budget:
                rows = rows[:budget]
                after = str(rows[-1][0])
            else:
                pos, after = pos + 1, ""
            page.extend(Entry(r[1], coll.name, r[0], r) for r in rows)
            budget -= len(rows)
        if pos < len(cur.order):
            left = await self._left_after(cur, len(page), pos, after)
            nxt = cursors.SnapshotCursor(cur.scope, cur.hi, cur.order, pos, after, left)
            result = PullResult(cursor=cursors.encode(nxt), more=True)
            await self._fill(result, page)
            result.remaining = left
            return result
        # The snapshot is complete: carry on with the feed after its horizon (unless a
        # purge has just moved past it: the next pull then resets).
        if budget > 0 and new_hi > cur.hi:
            tail = await self._feed_entries(cur.hi, budget)
            if not tail.purged:
                result = PullResult(
                    cursor=cursors.encode(cursors.FeedCursor(cur.scope, tail.upto)),
                    more=tail.more,
                )
                await self._fill(result, page + tail.entries)
                if tail.more:
                    result.remaining = await self._count_feed(tail.upto, tail.hi)
                return result
        result = PullResult(cursor=cursors.encode(cursors.FeedCursor(cur.scope, cur.hi)))
        result.more = new_hi > cur.hi
        await self._fill(result, page)
        return result

    async def _left_after(
        self, cur: cursors.SnapshotCursor, sent: int, pos: int, after: str
    ) -> int:
        """Snapshot rows still to come after a page of ``sent`` rows: counted once, before
        the first page (exact there), then carried in the cursor and decreased by what each
        page sends, so a page never recounts the collections left (that cost rows² / page
        size over a first sync). Rows deleted or moved out meanwhile make it an
        overestimate that the last page ends (no ``remaining`` once ``more`` is false)."""
        if cur.left is None and (cur.pos > 0 or cur.after):
            # a cursor from before the count was carried: count what is left, once
            nxt = cursors.SnapshotCursor(cur.scope, cur.hi, cur.order, pos, after)
            return await self._count_snapshot(nxt)
        total = cur.left if cur.left is not None else await self._count_snapshot(cur)
        return max(0, total - sent)

    async def _count_snapshot(self, cur: cursors.SnapshotCursor) -> int:
        """The snapshot rows from the cursor on. A whole collection read by subtree is the
        sum of its live rows over the subtree's areas (``area_tallies``, kept by triggers:
        server/areas/tallies.py) rather than a count of its rows: the same number while
        nothing is written, and rows written after ``hi`` make it an overestimate, as
        deletes already do (the figure is for a progress bar)."""
        total = 0
        tallied: list[str] = []
        for i, index in enumerate(cur.order[cur.pos :]):
            coll = self.registry.at(index)
            after = cur.after if i == 0 else ""
            if not after and coll.read_scope == "subtree" and coll.model.__tablename__ in TALLIED:
                tallied.append(coll.model.__tablename__)
                continue
            total += await self._count(coll, self._snapshot_where(coll, cur.hi, after))
        if tallied:
            stmt = select(func.coalesce(func.sum(AreaTally.live), 0)).where(
                AreaTally.collection.in_(tallied), in_subtree(AreaTally.area_id, self.principal)
            )
            total += int((await self.session.execute(stmt)).scalar_one())
        return total

    # --- building the response -----------------------------------------------------------

    async def _fill(self, result: PullResult, page: list[Entry]) -> None:
        # One entry per record: the latest wins (a snapshot row and its later change, a
        # move out and back in). Echoes of the device's own writes are left out.
        latest: dict[tuple[str, str], Entry] = {}
        for entry in page:
            key = (entry.collection, str(entry.id))
            seen = latest.get(key)
            # The record's own row is its current state: a removal note (history) never
            # overrides it, whatever their order.
            if seen is None or not entry.note or seen.note:
                latest[key] = entry
        gone: dict[str, list[str]] = {}
        moved: dict[str, list[str]] = {}
        for (name, rid), entry in latest.items():
            if (name, rid, entry.rev) in self.suppressed:
                continue
            if entry.row is None:
                (moved if entry.note else gone).setdefault(name, []).append(rid)
            else:
                coll = self.registry[name]
                if name not in result.changes:
                    result.changes[name] = Page(cols=["id", "rev", *coll.cols], rows=[])
                result.changes[name].rows.append(entry.row)
        for name, ids in moved.items():
            kept = await self._still_here(self.registry[name], ids)
            gone.setdefault(name, []).extend(rid for rid in ids if rid not in kept)
        result.removed = {name: ids for name, ids in gone.items() if ids}

    async def _still_here(self, coll: Collection, ids: list[str]) -> set[str]:
        """Ids of removal notes that are, after all, live and in scope now (moved within the
        user's area, or back): the device keeps them; their current row comes by rev."""
        keys = [uuid.UUID(i) for i in ids]
        model = coll.model
        live = [model.deleted.is_(False)] if coll.synced else []
        rows = await self.session.execute(
            select(model.id).where(model.id.in_(keys), *live, scope_filter(coll, self.principal))
        )
        return {str(r[0]) for r in rows}


def cluster(result: PullResult, registry: Registry) -> None:
    """Put a snapshot page's rows of one parent together (a household's persons, a
    person's checks: sorted by the collection's references, in declared order, then as
    they came, by id). The order of rows in a page means nothing to a client
    (docs/sync-protocol.md, Page); brotli finds the repeated ids and dates next to each
    other, and the first sync of a grid is some 2 % smaller."""
    for name, page in result.changes.items():
        coll = registry[name]
        at = [page.cols.index(r.field) for r in coll.refs if r.field in page.cols]
        if at and len(page.rows) > 1:
            page.rows.sort(key=lambda row: tuple(_sort_text(row[i]) for i in at))


def _sort_text(value: Any) -> tuple[bool, str]:
    return (value is not None, "" if value is None else str(value))


#: Reference ids are 32-bit integer columns: a larger ``after`` cannot be bound to a query.
MAX_INT_ID = 2**31 - 1


def parse_after(coll: Collection, after: str) -> Any:
    if not coll.int_ids:
        return uuid.UUID(after)
    value = int(after)
    if not after.isdigit() or value > MAX_INT_ID:
        raise ValueError("id out of range")
    return value


def check_snapshot_cursor(cur: cursors.SnapshotCursor, registry: Registry) -> None:
    """Raise CursorError when a snapshot cursor names collections or ids we cannot have made."""
    if any(i >= len(registry) for i in cur.order):
        raise cursors.CursorError("unknown collection in cursor")
    if cur.after and not cur.done:
        try:
            parse_after(registry.at(cur.order[cur.pos]), cur.after)
        except ValueError as exc:
            raise cursors.CursorError("malformed cursor position") from exc
