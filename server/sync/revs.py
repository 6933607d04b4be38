"""Change numbers in commit order.

Every write to a synced table takes its ``rev`` from :class:`RevAllocator`. The counter
is the ``sync_state`` row; whoever stamps revs from it holds its row lock until commit, so
a transaction only gets numbers after every transaction with smaller numbers committed or
rolled back. A puller reading ``rev <= hi`` (``hi``: the committed ``last_rev``) therefore
never skips a row that commits late (the trap WatermelonDB-style ``now()`` cursors fall
into). On SQLite writers are serialised anyway; the same code path is used.

Two ways to use it (docs/sync-protocol.md, "Pulling changes"):

* **late** (``late=True``: the sync engine, page writes, conflict decisions): ``next()`` hands out
  *provisional* numbers (``PROVISIONAL`` and above) without touching the counter. The
  work is done under row locks on the records only. ``stamp()``, right before commit,
  reserves a block of real numbers with one ``UPDATE ... RETURNING`` (taking the counter's
  lock for the instant between it and the commit) and rewrites every provisional number
  in the session (the rows' ``rev``, the field versions) and in the plain rows it was
  given (``add_row``: the idempotency records).
* **early** (the default: purging tombstones, seeding, bulk loads with Core inserts): the
  counter is locked by the first ``next()`` (or ``lock()``) and real numbers are handed
  out.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import BigInteger, Table, bindparam, event, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.sync.batch_insert import insert_new, insert_rows
from server.sync.models import SyncState

#: Provisional revs live above this; real revs never get near it (2**62 changes).
PROVISIONAL = 1 << 62
#: Provisional numbers one transaction may hand out.
MAX_PER_TRANSACTION = 1 << 20


#: reserve ``n`` numbers: the counter's row lock from here to the commit
_RESERVE = (
    update(SyncState)
    .where(SyncState.id == 1)
    .values(last_rev=SyncState.last_rev + bindparam("n", type_=BigInteger))
    .returning(SyncState.last_rev, SyncState.horizon_rev)
)


def is_provisional(rev: Any) -> bool:
    return isinstance(rev, int) and rev >= PROVISIONAL


class RevAllocator:
    """Hands out increasing change numbers inside one transaction; call ``flush`` (or
    ``stamp``) before the transaction commits."""

    def __init__(self, session: AsyncSession, *, late: bool = False) -> None:
        self.session = session
        self.late = late
        self._next: int | None = None
        self._last_written: int | None = None
        # late mode: provisional numbers ph+1 .. ph+count, unique per transaction with
        # high probability (removal notes are keyed by rev)
        self._ph = PROVISIONAL + (secrets.randbits(30) << 20)
        self._count = 0
        self._base: int | None = None
        #: every object the session held while provisional revs were out: the identity
        #: map is weak, and a flushed row nobody refers to would leave it unstamped
        self._seen: list[Any] = []
        #: plain rows (no ORM object) to write at ``flush``, by table; a ``rev`` in them
        #: is made final first
        self._rows: dict[Table, list[dict[str, Any]]] = {}
        #: (last_rev, horizon_rev) as this transaction's stamp left them (it holds the
        #: counter until commit, so they are what a pull now reads); None before
        self.state: tuple[int, int] | None = None
        if late:
            sync = session.sync_session
            event.listen(sync, "after_attach", self._hold)
            event.listen(sync, "loaded_as_persistent", self._hold)

    def add_row(self, table: Table, row: dict[str, Any]) -> None:
        """Write ``row`` (column key -> value) into ``table`` at ``flush``: with the
        session's new rows in one statement when it can (PostgreSQL), else on its own.
        Cheaper than an ORM object for a row nothing reads back in this transaction."""
        self._rows.setdefault(table, []).append(row)

    def _take_rows(self) -> dict[Table, list[dict[str, Any]]]:
        rows, self._rows = self._rows, {}
        for table_rows in rows.values():
            for row in table_rows:
                rev = row.get("rev")
                if isinstance(rev, int):
                    row["rev"] = self.final(rev)
        return rows

    def _hold(self, _session: Any, instance: Any) -> None:
        self._seen.append(instance)

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
        """Early mode: take the counter's row lock now (idempotent); ``next`` then hands
        out real numbers. Lock order: device row, then this counter, then records."""
        if self._count:
            raise RuntimeError("the counter cannot be locked after provisional revs")
        if self._next is None:
            last = await self._lock()
            self._next = last + 1
            self._last_written = last

    async def next(self) -> int:
        if not self.late:
            await self.lock()
        if self._next is not None:
            rev = self._next
            self._next += 1
            return rev
        if self._base is not None:
            raise RuntimeError("revs were already stamped")
        self._count += 1
        if self._count >= MAX_PER_TRANSACTION:
            raise RuntimeError("too many changes in one transaction")
        return self._ph + self._count

    def final(self, rev: int) -> int:
        """The real number of a rev handed out by this allocator (after ``stamp``)."""
        if self._base is not None and self._ph < rev <= self._ph + self._count:
            return self._base + (rev - self._ph)
        return rev

    def final_opt(self, rev: int | None) -> int | None:
        return None if rev is None else self.final(rev)

    async def stamp(self) -> None:
        """Late mode: reserve ``count`` real numbers (the counter stays locked until the
        transaction ends) and replace the provisional ones in every object of the session.
        Call last before commit: the lock is held from here to the commit."""
        if self._count == 0 or self._base is not None:
            await insert_rows(self.session, self._take_rows())
            return
        n = self._count
        # On the connection, not the session: the session would flush the batch's new
        # rows first, with provisional revs, and they would need an UPDATE each after.
        conn = await self.session.connection()
        row = (await conn.execute(_RESERVE, {"n": n})).first()
        if row is None:
            self.session.add(SyncState(id=1, last_rev=n, horizon_rev=0))
            self._base = 0
            self.state = (n, 0)
        else:
            self._base = int(row[0]) - n
            self.state = (int(row[0]), int(row[1]))
        self._rewrite()
        # PostgreSQL: the new rows of every table at once
        await insert_new(self.session, self._take_rows())
        await self.session.flush()

    def _rewrite(self) -> None:
        lo, hi = self._ph, self._ph + self._count
        seen = {id(o): o for o in [*self._seen, *self.session.identity_map.values()]}
        self._seen = []
        for obj in seen.values():
            rev = getattr(obj, "rev", None)
            if isinstance(rev, int) and lo < rev <= hi:
                obj.rev = self.final(rev)
            versions = getattr(obj, "versions", None)
            if isinstance(versions, dict) and versions:
                changed = False
                fixed: dict[str, Any] = {}
                for name, stamp in versions.items():
                    if (
                        isinstance(stamp, list)
                        and stamp
                        and isinstance(stamp[0], int)
                        and lo < stamp[0] <= hi
                    ):
                        stamp = [self.final(stamp[0]), *stamp[1:]]
                        changed = True
                    fixed[name] = stamp
                if changed:
                    obj.versions = fixed

    async def flush(self) -> None:
        """Store the numbers handed out. Must run before the transaction commits."""
        if self._next is None:
            await self.stamp()
            return
        last = self._next - 1
        if last != self._last_written:
            await self.session.execute(
                update(SyncState).where(SyncState.id == 1).values(last_rev=last)
            )
            self._last_written = last
        await insert_rows(self.session, self._take_rows())
