"""Change numbers in commit order.

Every write to a synced table takes its ``rev`` from :class:`RevAllocator`. The first
allocation in a transaction runs ``UPDATE sync_state SET last_rev = last_rev`` which
row-locks the counter until the transaction ends; a concurrent writer waits there, so a
transaction can only receive numbers after every transaction with smaller numbers has
committed or rolled back. A puller reading ``rev > cursor`` therefore never skips a row
that commits late (the trap WatermelonDB-style ``now()`` cursors fall into). On SQLite
``BEGIN IMMEDIATE`` already serialises writers; the same code path is used.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.sync.models import SyncState


class RevAllocator:
    """Hands out increasing change numbers inside one transaction; call ``flush`` before
    the transaction commits, or the numbers handed out are handed out again."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._next: int | None = None
        self._last_written: int | None = None

    async def _lock(self) -> int:
        # The no-op UPDATE takes the row lock before reading, so the value read is final.
        await self.session.execute(
            update(SyncState).where(SyncState.id == 1).values(last_rev=SyncState.last_rev)
        )
        last = (
            await self.session.execute(select(SyncState.last_rev).where(SyncState.id == 1))
        ).scalar_one_or_none()
        if last is None:
            self.session.add(SyncState(id=1, last_rev=0, horizon_rev=0))
            await self.session.flush()
            last = 0
        return last

    async def lock(self) -> None:
        """Take the counter's row lock now (idempotent). The sync engine calls this before
        reading any record it may change: every writer waits here, so what it reads next is
        final until it commits (lock order: device row, then this counter)."""
        if self._next is None:
            last = await self._lock()
            self._next = last + 1
            self._last_written = last

    async def next(self) -> int:
        await self.lock()
        assert self._next is not None
        rev = self._next
        self._next += 1
        return rev

    async def flush(self) -> None:
        """Store the last number handed out. Must run before the transaction commits."""
        if self._next is None:
            return
        last = self._next - 1
        if last != self._last_written:
            await self.session.execute(
                update(SyncState).where(SyncState.id == 1).values(last_rev=last)
            )
            self._last_written = last
