"""The PostgreSQL pool: a connection that sat in the pool is tested with one round trip
before use, one back within ``PING_AFTER_S`` is not; a request that meets a dead pooled
connection is retried on a new one instead of failing (server/db.py, accounts/auth.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from server import db as dbmod
from server.config import Settings
from server.db import make_engine
from tests.integration.sync_helpers import DB, household, make_world

pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    made = make_engine(db_url)
    try:
        yield made
    finally:
        await made.dispose()


async def _pid(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _kill(db_url: str, pid: int) -> None:
    """End a backend from outside the pool (what a PostgreSQL restart does to all)."""
    other = make_engine(db_url)
    try:
        async with other.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        await other.dispose()


async def test_a_connection_idle_in_the_pool_is_pinged_and_replaced_when_dead(
    engine: AsyncEngine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dbmod, "PING_AFTER_S", 0.0)  # every checkout pings
    first = await _pid(engine)
    await _kill(db_url, first)
    # the dead connection is found by the ping and replaced: no error reaches the caller
    second = await _pid(engine)
    assert second != first


async def test_a_connection_back_within_the_second_is_used_without_a_ping(
    engine: AsyncEngine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dbmod, "PING_AFTER_S", 3600.0)  # nothing is pinged
    first = await _pid(engine)
    assert await _pid(engine) == first  # the same connection, straight back
    await _kill(db_url, first)
    # unpinged, the dead connection reaches the statement, which fails; the pool is then
    # recycled and the next checkout connects afresh
    with pytest.raises(DBAPIError) as failed:
        await _pid(engine)
    assert failed.value.connection_invalidated
    assert await _pid(engine) not in (first, None)


async def test_a_sync_that_meets_a_dead_pooled_connection_is_retried(
    settings: Settings, db: DB, db_url: str, app: Litestar, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dbmod, "PING_AFTER_S", 3600.0)
    w = await make_world(db)
    async with AsyncTestClient(app=app) as client:
        dev = w.dev(client, "worker")
        assert (await dev.post(dev.body([]))).status_code == 200
        # every connection the app's pool holds dies (as with a PostgreSQL restart)
        await _kill_all_but_mine(db_url)
        response = await dev.post(dev.body([household(dev, w.areas["grid"])]))
        assert response.status_code == 200, response.text
        assert response.json()["results"][0]["status"] == "applied"


async def _kill_all_but_mine(db_url: str) -> None:
    other = make_engine(db_url)
    try:
        async with other.connect() as conn:
            await conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
    finally:
        await other.dispose()
