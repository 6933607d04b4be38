"""The request's database session, and the dependency types route handlers declare.

Every request has at most one session: opened on first use (by a guard reading who is
calling, by a dependency, or by the handler), committed when the handler returns,
rolled back when it raises, closed before the response is sent. Handlers ask for it as
``session: Session``. Work that runs its own transactions (the sync engine's retries,
``/healthz``'s timed probe) asks for the sessionmaker instead: ``db: DB``.

Litestar 2.23+ wants injected parameters marked explicitly (``NamedDependency``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, TypeAlias

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.types import Message, Scope
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.config import Settings
from server.db import page_session
from server.sync.spec.collections import Registry

DB: TypeAlias = NamedDependency[async_sessionmaker[AsyncSession]]
AppSettings: TypeAlias = NamedDependency[Settings]
Session: TypeAlias = NamedDependency[AsyncSession]

#: ``app.state`` keys (set by create_app) of what guards, which get no dependencies, need
SESSIONMAKER = "sessionmaker"
SETTINGS = "settings"
#: ``scope["state"]`` key of the request's session while it is open
_SESSION = "wangge.session"

AnyConnection = ASGIConnection[Any, Any, Any, Any]


def app_settings(connection: AnyConnection) -> Settings:
    settings: Settings = connection.app.state[SETTINGS]
    return settings


def request_session(connection: AnyConnection) -> AsyncSession:
    """The request's one session, opened on first use."""
    state = connection.scope["state"]
    session: AsyncSession | None = state.get(_SESSION)
    if session is None:
        maker: async_sessionmaker[AsyncSession] = connection.app.state[SESSIONMAKER]
        session = state[_SESSION] = page_session(maker)
    return session


async def provide_session(request: Request[Any, Any, Any]) -> AsyncIterator[AsyncSession]:
    """The ``session`` dependency: one unit of work around the handler."""
    session = request_session(request)
    try:
        yield session
    except BaseException:
        await session.rollback()
        raise
    else:
        await session.commit()
    finally:
        await _close(request.scope)


async def close_unused_session(message: Message, scope: Scope) -> None:
    """``before_send``: a session a guard opened for a handler that never took it (or
    that refused the request) ends, rolled back, before the answer goes out."""
    if message["type"] == "http.response.start":
        await _close(scope)


async def _close(scope: Scope) -> None:
    state: dict[str, Any] = scope.get("state") or {}
    session: AsyncSession | None = state.pop(_SESSION, None)
    if session is not None:
        await session.close()


#: the synced collections (server/registry.py), handed to the sync engine
Collections: TypeAlias = NamedDependency[Registry]
