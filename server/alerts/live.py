"""The live channel: a page open on any server process learns within a moment that a
fever report, a fever event or an alert changed in an area.

A write calls :func:`announce` inside its transaction with the area's path. On PostgreSQL
that is ``pg_notify`` (delivered to every process's LISTEN connection only when the
transaction commits, never for one rolled back); on SQLite (one process) the path is kept
on the session and published in-process after the commit. Each process holds one
:class:`Broadcast`; pages subscribe to it (server/web/live.py) and keep the paths in
their user's subtree.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

log = logging.getLogger("wangge.live")

#: the PostgreSQL NOTIFY channel
CHANNEL = "wangge_live"
_PENDING = "wangge.live.pending"
#: a subscriber that falls this far behind loses the oldest paths (it refreshes anyway)
QUEUE_SIZE = 256


class Broadcast:
    """In-process fan-out of area paths to every subscriber (one per open page)."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[str]] = set()

    def publish(self, path: str) -> None:
        for queue in list(self._queues):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(path)

    @contextlib.contextmanager
    def subscribe(self) -> Any:
        queue: asyncio.Queue[str] = asyncio.Queue(QUEUE_SIZE)
        self._queues.add(queue)
        try:
            yield queue
        finally:
            self._queues.discard(queue)

    @property
    def subscribers(self) -> int:
        return len(self._queues)


#: this process's broadcast (the app and the SQLite after-commit hook share it)
BROADCAST = Broadcast()


async def announce(session: AsyncSession, area_path: str) -> None:
    """Tell every open page, after this transaction commits, that ``area_path`` changed."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_notify(CHANNEL, area_path)))
        return
    session.sync_session.info.setdefault(_PENDING, []).append(area_path)


@event.listens_for(Session, "after_commit")
def _publish_after_commit(session: Session) -> None:
    for path in session.info.pop(_PENDING, []):
        BROADCAST.publish(path)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def asyncpg_dsn(database_url: str) -> str | None:
    """The plain libpq URL asyncpg takes, or None for a database without LISTEN."""
    if not database_url.startswith("postgresql"):
        return None
    _scheme, rest = database_url.split("://", 1)
    return f"postgresql://{rest}"


async def listen(database_url: str, broadcast: Broadcast, ready: asyncio.Event) -> None:
    """Hold a LISTEN connection and republish what it hears (PostgreSQL); reconnect after a
    lost connection. Runs until cancelled."""
    import asyncpg  # type: ignore[import-untyped]  # only with PostgreSQL

    dsn = asyncpg_dsn(database_url)
    assert dsn is not None
    while True:
        conn = None
        try:
            conn = await asyncpg.connect(dsn)
            lost = asyncio.Event()
            conn.add_termination_listener(lambda _c, lost=lost: lost.set())
            await conn.add_listener(CHANNEL, lambda _c, _pid, _ch, path: broadcast.publish(path))
            ready.set()
            # a page that missed paths while the connection was down refreshes now
            broadcast.publish("/")
            await lost.wait()
        except asyncio.CancelledError:
            raise
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("live channel: %s; reconnecting", exc)
        finally:
            if conn is not None and not conn.is_closed():
                with contextlib.suppress(Exception):
                    await asyncio.shield(conn.close())
        await asyncio.sleep(1)


async def events(broadcast: Broadcast, root: str, keepalive: float) -> AsyncIterator[str | None]:
    """The paths under ``root`` as they come (None every ``keepalive`` seconds of quiet, to
    keep proxies from closing the stream)."""
    with broadcast.subscribe() as queue:
        while True:
            try:
                path = await asyncio.wait_for(queue.get(), keepalive)
            except TimeoutError:
                yield None
                continue
            # "/" (a reconnected channel) concerns everyone
            if path.startswith(root) or root.startswith(path):
                yield path


def start_listener(database_url: str) -> asyncio.Task[None] | None:
    """This process's LISTEN task (PostgreSQL), or None (SQLite: commits publish here)."""
    if asyncpg_dsn(database_url) is None:
        return None
    return asyncio.create_task(listen(database_url, BROADCAST, asyncio.Event()))


async def stop_listener(task: asyncio.Task[None] | None) -> None:
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
