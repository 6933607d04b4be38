"""Purging old tombstones (docs/sync-protocol.md, "Tombstones and the horizon").

A deleted record stays as a tombstone (``deleted = true``) so devices learn of the delete.
After ``WANGGE_TOMBSTONE_DAYS`` it may go; ``sync_state.horizon_rev`` then records the
greatest rev purged, and a device whose cursor is below it is told to reset (it may have
missed a delete). Tombstones something still refers to (a household with visits) stay.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.config import Settings
from server.db import make_engine, make_sessionmaker, transaction, utcnow
from server.sync.models import SyncRemoval, SyncState
from server.sync.revs import RevAllocator
from server.sync.spec.collections import Collection, Registry


def _purgeable(coll: Collection, older_than: datetime, registry: Registry) -> ColumnElement[bool]:
    model = coll.model
    parts: list[Any] = [model.deleted.is_(True), model.updated_at < older_than]
    for child, fk in registry.referrers(coll.name):
        parts.append(~exists().where(getattr(child.model, fk) == model.id))
    return and_(*parts)


async def purge_tombstones(
    session: AsyncSession, older_than: datetime, registry: Registry
) -> dict[str, int]:
    """Delete tombstones and removal notes last changed before ``older_than``; raise the
    horizon to the greatest rev deleted. Returns the count per table."""
    alloc = RevAllocator(session)
    await alloc.lock()  # the horizon moves in step with the change feed
    counts: dict[str, int] = {}
    top = 0
    # Children before parents, so a parent's tombstone is free once its children's are gone.
    for coll in registry.children_first():
        name = coll.name
        where = _purgeable(coll, older_than, registry)
        high = await session.scalar(select(func.max(coll.model.rev)).where(where))
        result = await session.execute(
            delete(coll.model).where(where).execution_options(synchronize_session=False)
        )
        counts[name] = int(getattr(result, "rowcount", 0) or 0)
        top = max(top, int(high or 0))
    old_removals = SyncRemoval.at < older_than
    high = await session.scalar(select(func.max(SyncRemoval.rev)).where(old_removals))
    result = await session.execute(delete(SyncRemoval).where(old_removals))
    counts["sync_removals"] = int(getattr(result, "rowcount", 0) or 0)
    top = max(top, int(high or 0))
    if top:
        await session.execute(
            update(SyncState)
            .where(SyncState.id == 1, SyncState.horizon_rev < top)
            .values(horizon_rev=top)
        )
    await alloc.flush()
    return counts


async def purge_tombstones_cli(settings: Settings, registry: Registry) -> str:
    """``python -m server purge-tombstones``: purge what is older than the retention."""
    engine = make_engine(settings.database_url)
    try:
        cutoff = utcnow() - timedelta(days=settings.tombstone_days)
        async with transaction(make_sessionmaker(engine)) as session:
            counts = await purge_tombstones(session, cutoff, registry)
            horizon = await session.scalar(select(SyncState.horizon_rev).where(SyncState.id == 1))
    finally:
        await engine.dispose()
    total = sum(counts.values())
    detail = ", ".join(f"{name} {n}" for name, n in counts.items() if n)
    return (
        f"purged {total} tombstones older than {settings.tombstone_days} days"
        f"{' (' + detail + ')' if detail else ''}; horizon rev {horizon or 0}"
    )
