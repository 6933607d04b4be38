"""The sync engine: one request, one transaction, in the steps of docs/sync-protocol.md,
"Processing a request". Steps 1 to 4 (authentication and the body) are in routes.py
(the ``device`` guard) and transport.py; this module runs steps 5 to 11 for the caller
they authenticated."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import uuid
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.exc import (
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server import i18n
from server.accounts.auth import Identity, device_revoked
from server.accounts.guard import AUDITED_READERS, Principal
from server.accounts.models import Device
from server.config import Settings
from server.db import POOL_OVERFLOW, POOL_SIZE, transaction
from server.errors import ConflictError, Unavailable
from server.i18n import gettext as _
from server.sync import cursor as cursors
from server.sync import pull_audit
from server.sync.apply import Batch, finalize, prefetch, process
from server.sync.feed import Puller, PullResult, snapshot_order
from server.sync.models import SyncState
from server.sync.records import Writer
from server.sync.revs import RevAllocator
from server.sync.spec.collections import Registry
from server.sync.wire import MAX_PAGE, PROTOCOL_VERSION, MutationResult, SyncRequest, SyncResponse

log = logging.getLogger("wangge.sync")

#: Whole-request attempts when the database reports a conflicting write (a unique key
#: taken by a concurrent sync, a deadlock): the batch is redone from scratch.
ATTEMPTS = 3
#: Tests only (tests/integration/test_sync_processes.py): a random pause of up to this
#: long between stamping revs and committing, so late commits are common.
STAMP_PAUSE_S = float(os.environ.get("WANGGE_TEST_STAMP_PAUSE_MS", "0")) / 1000
#: A sync that writes nothing rewrites an unchanged device row at most this often.
BOOKKEEPING_EVERY = timedelta(seconds=30)
#: ... or when its measured clock offset moved by more than this.
OFFSET_SLACK_MS = 1000


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


async def run(
    db: async_sessionmaker[AsyncSession],
    settings: Settings,
    registry: Registry,
    caller: Identity,
    request: SyncRequest,
    cursor: cursors.Cursor | None,
    received: datetime,
    deferred: list[Callable[[], Awaitable[None]]] | None = None,
) -> SyncResponse:
    """Steps 5 to 11 in one transaction; nothing is written unless all of it succeeds.

    A sync that writes nothing (no mutations, no pull audit) runs in a read transaction and
    its device bookkeeping is written afterwards in a short transaction of its own, only
    when due (``bookkeeping_due``): appended to ``deferred`` for the caller to run after
    the answer is sent, or run here when ``deferred`` is None."""
    audited = caller.principal.role in AUDITED_READERS
    writes = bool(request.mutations) or (request.pull and audited)
    # A writer whose pulls are not audited pulls after its commit, in a read of its own:
    # the change counter, held from the stamp to the commit, then covers only its rows and
    # the commit (every writer of the city passes through it, one at a time).
    pull_after = bool(request.mutations) and request.pull and not audited
    for attempt in range(1, ATTEMPTS + 1):
        try:
            async with _one_writer(db, writes), transaction(db, read_only=not writes) as session:
                response, device, batch = await _run(
                    session,
                    settings,
                    registry,
                    caller,
                    request,
                    cursor,
                    received,
                    writes,
                    pull=request.pull and not pull_after,
                )
            break
        except SQLAlchemyError as exc:
            if _unreachable(exc):
                raise Unavailable(_("The database is unreachable; try again later.")) from exc
            log.warning("sync attempt %d failed: %s: %s", attempt, type(exc).__name__, exc)
            await asyncio.sleep(0)
    else:
        raise ConflictError(
            _("The changes met a concurrent write and were not saved; send them again."),
            code="write_conflict",
        )
    if pull_after:
        try:
            async with transaction(db, read_only=True) as session:
                await _pull(
                    session, settings, caller.principal, request, cursor, batch, response, None
                )
        except SQLAlchemyError as exc:
            # the batch is committed: sent again, it is answered from its idempotency records
            raise Unavailable(_("The database is unreachable; try again later.")) from exc
    if not writes and bookkeeping_due(device, request, response, received):
        job = partial(_write_bookkeeping, db, device.id, request, response, received)
        if deferred is None:
            await job()
        else:
            deferred.append(job)
    return response


_WRITERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Semaphore]] = (
    weakref.WeakKeyDictionary()
)
#: PostgreSQL: writing syncs one process runs at once (WANGGE_SYNC_WRITERS). Every writer
#: passes through the change counter one at a time; more writers in flight only make the
#: holder wait longer for its process's event loop, and queue in PostgreSQL's lock queue
#: instead of this first-come first-served one (measured with 50 devices: 4 instead of 32
#: gave about 20 % more mutations/s and half the p99; 2 instead of 4, about 10 to 20 %
#: more on 1 and 2 processes and a lower p95 for syncs with nothing to push).
WRITERS = int(os.environ.get("WANGGE_SYNC_WRITERS", "2"))
#: PostgreSQL: pooled connections a process keeps free of writers, for syncs that only read.
READERS_RESERVE = 8


def writer_slots(dialect: str) -> int:
    """How many writing syncs of one process may hold a database connection at once."""
    if dialect == "sqlite":
        return 1  # one writer anyway: the rest wait here instead of in BEGIN IMMEDIATE
    return max(1, min(WRITERS, POOL_SIZE + POOL_OVERFLOW - READERS_RESERVE))


@contextlib.asynccontextmanager
async def _one_writer(db: async_sessionmaker[AsyncSession], writes: bool) -> AsyncIterator[None]:
    """Writing syncs of this process beyond ``writer_slots`` queue here, in memory, rather
    than on the connection pool (or, on SQLite, each holding a connection while
    BEGIN IMMEDIATE waits): syncs that only read pass by and always find a connection."""
    bind = db.kw.get("bind")
    if not writes or bind is None:
        yield
        return
    gates = _WRITERS.setdefault(asyncio.get_running_loop(), {})
    name = bind.dialect.name
    gate = gates.get(name)
    if gate is None:
        gate = gates[name] = asyncio.Semaphore(writer_slots(name))
    async with gate:
        yield


def _unreachable(exc: SQLAlchemyError) -> bool:
    """The database itself is gone (not a conflicting write that a retry would fix)."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, IntegrityError):
        return False
    state = getattr(getattr(exc, "orig", None), "sqlstate", None)
    if state in ("40001", "40P01"):  # serialization failure, deadlock: retry
        return False
    return isinstance(exc, OperationalError | InterfaceError)


_DEVICE_LOCKED = select(Device).where(Device.id == bindparam("id")).with_for_update()
_STATE = select(SyncState.last_rev, SyncState.horizon_rev).where(SyncState.id == 1)


async def _run(
    session: AsyncSession,
    settings: Settings,
    registry: Registry,
    caller: Identity,
    request: SyncRequest,
    cursor: cursors.Cursor | None,
    received: datetime,
    writes: bool,
    *,
    pull: bool,
) -> tuple[SyncResponse, Device, Batch]:
    # 5. Lock the device row (a sync that writes): syncs of one device that write run one
    # after another. A revocation that committed since the request was authenticated
    # still refuses it. A sync that writes nothing uses the row authentication read a
    # moment ago (it changes nothing a revocation could have to stop).
    assert caller.device is not None, "the sync route takes device tokens only"
    device = caller.device
    if writes:
        device = (await session.execute(_DEVICE_LOCKED, {"id": device.id})).scalar_one()
    if device.revoked_at is not None:
        raise device_revoked()
    user, principal = caller.user, caller.principal
    i18n.set_locale(user.locale)
    now_ms = to_ms(received)
    # 6. The device's clock offset, measured on this request.
    offset = request.clock - now_ms
    alloc = RevAllocator(session, late=True)
    writer = Writer(session, alloc, principal, received, now_ms, registry)
    batch = Batch(writer, user, device, offset, settings.max_clock_lead_ms)
    batch.feed_pull = request.pull and isinstance(cursor, cursors.FeedCursor)
    results: list[MutationResult] = []
    response = SyncResponse(
        protocol=PROTOCOL_VERSION,
        server_time=now_ms,
        cursor=request.cursor or "",
        results=results,
        clock_offset=offset,
    )
    # 10. Device bookkeeping for the supervisor's freshness view, when due: a sync that
    # writes writes it on the row it locked (before the stamp when nothing it pulls in
    # this transaction changes it: the counter is then held for the stamp, the batch's
    # rows and the commit only); a sync that writes nothing, after its transaction.
    booked = False
    if request.mutations:
        # 7. The records the batch names, locked in a fixed order; replays in one query.
        await prefetch(batch, request.mutations)
        # 8. The mutations, in order, with provisional revs.
        for m in request.mutations:
            results.append(await process(batch, m))
        if not pull:
            booked = True
            if bookkeeping_due(device, request, response, received):
                await _bookkeeping(session, device, request, response, received)
        # Stamp: the counter's lock from here to the commit, real revs in rev order.
        await alloc.flush()
        finalize(batch, results)
        if STAMP_PAUSE_S:  # tests only: widen the window between the stamp and the commit
            await asyncio.sleep(random.uniform(0, STAMP_PAUSE_S))
    # 9. The pull (here, or after the commit: see ``run``).
    if pull:
        await _pull(session, settings, principal, request, cursor, batch, response, alloc.state)
        pull_audit.record_pull(session, registry, principal, device, cursor, response)
    if writes and not booked and bookkeeping_due(device, request, response, received):
        await _bookkeeping(session, device, request, response, received)
    # 11. Commit (by the caller's transaction) and answer.
    return response, device, batch


async def _pull(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    request: SyncRequest,
    cursor: cursors.Cursor | None,
    batch: Batch,
    response: SyncResponse,
    stamped: tuple[int, int] | None,
) -> None:
    limit = min(request.limit or settings.sync_page_size, settings.sync_page_size, MAX_PAGE)
    puller = Puller(session, principal, batch.w.registry, batch.suppressed)
    # 9.2 resets
    if cursor is not None and cursor.scope != principal.scope_version:
        response.reset, response.cursor = "scope", ""
        return
    # 9.3 a feed page: the statement that picks the due revs reads the committed last_rev
    # and the tombstone horizon itself, in the same snapshot as the revs (9.1 and the
    # horizon reset of 9.2 inside it)
    result: PullResult
    if isinstance(cursor, cursors.FeedCursor):
        result = await puller.feed(cursor.rev, limit, cursor.scope)
    else:
        # 9.1 a snapshot page (first sync): every rev up to the committed last_rev (ours
        # included) is final. ``stamped``: what this transaction's stamp read while it
        # holds the counter, so both are current.
        state = stamped or (await session.execute(_STATE)).first()
        hi, horizon = (int(state[0]), int(state[1])) if state else (0, 0)
        if cursor is None:
            order = snapshot_order(principal, request.first, batch.w.registry)
            start = cursors.SnapshotCursor(principal.scope_version, hi, order, 0)
            result = await puller.snapshot(start, hi, limit)
        elif cursor.hi < horizon or cursor.hi > hi:
            result = PullResult(cursor="", reset="horizon")
        else:
            result = await puller.snapshot(cursor, hi, limit)
    if result.reset:
        response.reset, response.cursor = result.reset, ""
        return
    response.cursor = result.cursor
    response.changes = result.changes
    response.removed = result.removed
    response.more = result.more
    response.remaining = result.remaining


def _bookkeeping_values(
    request: SyncRequest, response: SyncResponse, received: datetime
) -> dict[str, object]:
    values: dict[str, object] = {
        "last_sync_at": received,
        "last_seen_at": received,
        "app_version": request.app.replace("\x00", ""),
        "schema_version": request.schema,
        "pending_count": request.pending,
        "clock_offset_ms": response.clock_offset,
    }
    if response.cursor:
        values["last_cursor"] = cursors.rev_of(cursors.decode(response.cursor))
    return values


async def _bookkeeping(
    session: AsyncSession,
    device: Device,
    request: SyncRequest,
    response: SyncResponse,
    received: datetime,
) -> None:
    """The bookkeeping of a sync that writes, on the device row it locked. On the
    connection: through the session, the batch's new rows would be flushed first, with
    their provisional revs."""
    values = _bookkeeping_values(request, response, received)
    await (await session.connection()).execute(
        update(Device).where(Device.id == device.id).values(**values)
    )


def bookkeeping_due(
    device: Device, request: SyncRequest, response: SyncResponse, received: datetime
) -> bool:
    """A sync that wrote nothing updates the device row only when something the freshness
    view shows changed (app, schema, pending count, a clock offset moved by more than
    ``OFFSET_SLACK_MS``) or its last sync time is ``BOOKKEEPING_EVERY`` old."""
    if device.last_sync_at is None or received - device.last_sync_at >= BOOKKEEPING_EVERY:
        return True
    if device.app_version != request.app.replace("\x00", ""):
        return True
    if device.schema_version != request.schema or device.pending_count != request.pending:
        return True
    offset = response.clock_offset or 0
    if device.clock_offset_ms is None or abs(device.clock_offset_ms - offset) > OFFSET_SLACK_MS:
        return True
    return not response.cursor and device.last_cursor is not None


async def _write_bookkeeping(
    db: async_sessionmaker[AsyncSession],
    device_id: uuid.UUID,
    request: SyncRequest,
    response: SyncResponse,
    received: datetime,
) -> None:
    """The bookkeeping of a sync that wrote nothing, in a short transaction of its own.
    Best effort: a failure here loses a freshness figure, never the sync's answer."""
    values = _bookkeeping_values(request, response, received)
    try:
        async with transaction(db) as session:
            await session.execute(
                update(Device)
                .where(Device.id == device_id, Device.revoked_at.is_(None))
                .where(or_(Device.last_sync_at.is_(None), Device.last_sync_at <= received))
                .values(**values)
            )
    except SQLAlchemyError as exc:
        log.warning("device bookkeeping not written: %s: %s", type(exc).__name__, exc)
