"""A page's independent reads run side by side (server/db.py ``reads_beside``): on
PostgreSQL each on a connection of its own, on SQLite one after another on the page's
session; the results come back in order, and an error comes out as itself, with the
other reads stopped."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from server.db import reads_beside, transaction
from tests.integration.sync_helpers import DB


async def _backend(session: AsyncSession) -> object:
    if session.get_bind().dialect.name == "postgresql":
        return (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    return id(session)


async def test_results_in_order_each_read_on_its_own_connection(db: DB, db_url: str) -> None:
    async with transaction(db, read_only=True) as session:

        def answer(n: int):  # type: ignore[no-untyped-def]
            async def read(s: AsyncSession) -> tuple[int, object]:
                value = (await s.execute(text(f"SELECT {n}"))).scalar_one()
                return int(value), await _backend(s)

            return read

        results = await reads_beside(session, answer(1), answer(2), answer(3))
        main = await _backend(session)
    assert [n for n, _ in results] == [1, 2, 3]
    backends = [b for _, b in results]
    assert backends[0] == main  # the first read uses the page's own session
    if db_url.startswith("postgresql"):
        assert len(set(backends)) == 3
    else:
        assert set(backends) == {main}


async def test_an_error_comes_out_as_itself_and_stops_the_others(db: DB, db_url: str) -> None:
    started, stopped = asyncio.Event(), asyncio.Event()
    beside = db_url.startswith("postgresql")

    async def slow(s: AsyncSession) -> None:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            stopped.set()
            raise

    async def fails(s: AsyncSession) -> None:
        if beside:  # fail while the other read is under way
            await started.wait()
        raise LookupError("no such area")

    async with transaction(db, read_only=True) as session:
        with pytest.raises(LookupError, match="no such area"):
            await reads_beside(session, fails, slow)
    # PostgreSQL: stopped, not left running; SQLite: never started (one after another)
    assert stopped.is_set() if beside else not started.is_set()
