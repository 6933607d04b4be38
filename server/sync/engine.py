"""The sync engine: one request, one transaction, in the steps of docs/sync-protocol.md,
"Processing a request". Steps 1 to 4 (authentication and the body) are in routes.py
(the ``device`` guard) and transport.py; this module runs steps 5 to 11 for the caller
they authenticated."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from sqlalchemy import select
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
from server.accounts.guard import Principal
from server.accounts.models import Device
from server.config import Settings
from server.db import transaction
from server.errors import ConflictError, Unavailable
from server.i18n import gettext as _
from server.sync import cursor as cursors
from server.sync import pull_audit
from server.sync.apply import Batch, process
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
) -> SyncResponse:
    """Steps 5 to 11 in one transaction; nothing is written unless all of it succeeds."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            async with transaction(db) as session:
                return await _run(session, settings, registry, caller, request, cursor, received)
        except SQLAlchemyError as exc:
            if _unreachable(exc):
                raise Unavailable(_("The database is unreachable; try again later.")) from exc
            log.warning("sync attempt %d failed: %s: %s", attempt, type(exc).__name__, exc)
            await asyncio.sleep(0)
    raise ConflictError(
        _("The changes met a concurrent write and were not saved; send them again."),
        code="write_conflict",
    )


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


async def _run(
    session: AsyncSession,
    settings: Settings,
    registry: Registry,
    caller: Identity,
    request: SyncRequest,
    cursor: cursors.Cursor | None,
    received: datetime,
) -> SyncResponse:
    # 5. Lock the device row: syncs of one device run one after another. A revocation
    # that committed since the request was authenticated still refuses it.
    assert caller.device is not None, "the sync route takes device tokens only"
    device = (
        await session.execute(select(Device).where(Device.id == caller.device.id).with_for_update())
    ).scalar_one()
    if device.revoked_at is not None:
        raise device_revoked()
    user, principal = caller.user, caller.principal
    i18n.set_locale(user.locale)
    now_ms = to_ms(received)
    # 6. The device's clock offset, measured on this request.
    offset = request.clock - now_ms
    alloc = RevAllocator(session)
    writer = Writer(session, alloc, principal, received, now_ms, registry)
    batch = Batch(writer, user, device, offset, settings.max_clock_lead_ms)
    batch.feed_pull = request.pull and isinstance(cursor, cursors.FeedCursor)
    # 7. Take the change counter before reading any record the batch may change.
    if request.mutations:
        await alloc.lock()
    # 8. The mutations, in order.
    results: list[MutationResult] = [await process(batch, m) for m in request.mutations]
    await alloc.flush()
    # 9. The pull.
    response = SyncResponse(
        protocol=PROTOCOL_VERSION,
        server_time=now_ms,
        cursor=request.cursor or "",
        results=results,
        clock_offset=offset,
    )
    if request.pull:
        await _pull(session, settings, principal, request, cursor, batch, response)
        pull_audit.record_pull(session, registry, principal, device, cursor, response)
    # 10. Device bookkeeping for the supervisor's freshness view.
    _bookkeeping(device, request, response, received, offset)
    # 11. Commit (by the caller's transaction) and answer.
    return response


async def _pull(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    request: SyncRequest,
    cursor: cursors.Cursor | None,
    batch: Batch,
    response: SyncResponse,
) -> None:
    # 9.1 the horizon: every rev up to the committed last_rev (ours included) is final.
    # (columns, not the ORM object: the allocator updates the row with plain UPDATEs)
    state = (
        await session.execute(
            select(SyncState.last_rev, SyncState.horizon_rev).where(SyncState.id == 1)
        )
    ).first()
    hi, horizon = (int(state[0]), int(state[1])) if state else (0, 0)
    limit = min(request.limit or settings.sync_page_size, settings.sync_page_size, MAX_PAGE)
    puller = Puller(session, principal, batch.w.registry, batch.suppressed)
    # 9.2 resets
    if cursor is not None:
        if cursor.scope != principal.scope_version:
            response.reset, response.cursor = "scope", ""
            return
        at = cursors.rev_of(cursor)
        if at < horizon or at > hi:
            response.reset, response.cursor = "horizon", ""
            return
    # 9.3 a snapshot page (first sync) or a feed page
    result: PullResult
    if cursor is None:
        order = snapshot_order(principal, request.first, batch.w.registry)
        start = cursors.SnapshotCursor(principal.scope_version, hi, order, 0)
        result = await puller.snapshot(start, hi, limit)
    elif isinstance(cursor, cursors.SnapshotCursor):
        result = await puller.snapshot(cursor, hi, limit)
    else:
        result = await puller.feed(cursor.rev, hi, limit, cursor.scope)
    response.cursor = result.cursor
    response.changes = result.changes
    response.removed = result.removed
    response.more = result.more
    response.remaining = result.remaining


def _bookkeeping(
    device: Device,
    request: SyncRequest,
    response: SyncResponse,
    received: datetime,
    offset: int,
) -> None:
    device.last_sync_at = received
    device.last_seen_at = received
    device.app_version = request.app.replace("\x00", "")
    device.schema_version = request.schema
    device.pending_count = request.pending
    device.clock_offset_ms = offset
    if response.cursor:
        device.last_cursor = cursors.rev_of(cursors.decode(response.cursor))
