"""No missed changes under concurrent writers (the change feed never skips a row, see
docs/sync-protocol.md "Later syncs: the feed"), on PostgreSQL.

Eight writers each commit 30 small sync transactions through the engine, with a random
pause between taking their revs and committing (the moment a late commit would slip under
a cursor that already moved past it); four pullers page through the feed meanwhile. Every
committed change must reach every puller exactly once, and each puller must end with the
database's state.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.accounts.auth import Identity, token_identity
from server.accounts.models import Device
from server.accounts.passwords import hash_token, new_token
from server.config import Settings
from server.db import make_engine, make_sessionmaker, transaction, utcnow
from server.people.models import Household
from server.registry import REGISTRY
from server.sync import engine, hlc
from server.sync.revs import RevAllocator
from server.sync.transport import parse_cursor
from server.sync.wire import Mutation, SyncRequest
from tests.conftest import DATABASES, truncate_all
from tests.integration.sync_helpers import make_world, now_ms

WRITERS, TRANSACTIONS, PULLERS = 8, 30, 4


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> str:
    if "postgresql" not in DATABASES:
        pytest.skip("PostgreSQL is not in WANGGE_TEST_DATABASES")
    url: str = request.getfixturevalue("pg_schema_url")
    asyncio.run(truncate_all(url))
    return url


@pytest.fixture
async def pg(pg_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    eng = make_engine(pg_url)
    try:
        yield make_sessionmaker(eng)
    finally:
        await eng.dispose()


async def add_device(db: async_sessionmaker[AsyncSession], user_id: int) -> tuple[str, str]:
    token, device_id = new_token(), uuid.uuid4()
    async with transaction(db) as s:
        s.add(Device(id=device_id, user_id=user_id, name="load", token_hash=hash_token(token)))
    return token, device_id.hex[:8]


async def caller(db: async_sessionmaker[AsyncSession], token: str) -> Identity:
    """Who the sync route would pass to the engine for this token."""
    async with db() as s:
        return await token_identity(s, token)


def request(mutations: list[Mutation], cursor: str | None, pull: bool) -> SyncRequest:
    return SyncRequest(
        protocol=1,
        schema=1,
        app="load",
        clock=now_ms(),
        cursor=cursor,
        mutations=mutations,
        pull=pull,
        limit=16,
    )


@pytest.mark.pg
@pytest.mark.slow
async def test_every_committed_change_reaches_every_puller_once(
    pg: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(database_url="unused", sync_page_size=16)
    w = await make_world(pg)
    grid = w.areas["grid"].id
    writer_user = w.users["worker"].id
    puller_user = w.users["supervisor"].id
    writers = [await add_device(pg, writer_user) for _ in range(WRITERS)]
    pullers = [await add_device(pg, puller_user) for _ in range(PULLERS)]

    real_flush = RevAllocator.flush
    rng = random.Random(4)

    async def slow_flush(self: RevAllocator) -> None:
        # between taking revs and committing: where a late commit would overtake a pull
        await asyncio.sleep(rng.uniform(0, 0.004))
        await real_flush(self)

    monkeypatch.setattr(RevAllocator, "flush", slow_flush)
    done = asyncio.Event()
    committed = asyncio.Condition()
    commits = [0]

    async def write(token: str, node: str) -> None:
        last, mine = "", []
        for i in range(TRANSACTIONS):
            last = hlc.tick(last, now_ms(), node)
            if i % 5 == 4:  # now and then an edit of an earlier household
                data: dict[str, Any] = {"notes": f"edit {i}"}
                rid = rng.choice(mine)
            else:
                data = {"area_id": grid, "head_name": f"户{node}{i}"}
                rid = str(uuid.uuid4())
                mine.append(rid)
            m = Mutation(str(uuid.uuid4()), "households", rid, "put", last, now_ms(), None, data)
            answer = await engine.run(
                pg,
                settings,
                REGISTRY,
                await caller(pg, token),
                request([m], None, False),
                None,
                utcnow(),
            )
            assert answer.results[0].status == "applied", answer.results[0]
            async with committed:
                commits[0] += 1
                committed.notify_all()

    async def pull(token: str) -> list[tuple[str, int]]:
        got: list[tuple[str, int]] = []
        cursor: str | None = None
        due = 0
        while True:
            async with committed:  # pull again once a few more transactions committed
                await committed.wait_for(lambda: commits[0] >= due or done.is_set())  # noqa: B023
                due = commits[0] + rng.randint(1, 8)
            finished = done.is_set()  # read before the pull: a pull after the last commit
            answer = await engine.run(
                pg,
                settings,
                REGISTRY,
                await caller(pg, token),
                request([], cursor, True),
                parse_cursor(cursor, REGISTRY),
                utcnow(),
            )
            cursor = answer.cursor
            page = answer.changes.get("households")
            if page is not None:
                got.extend((str(row[0]), int(row[1])) for row in page.rows)
            if finished and not answer.more:
                return got
            if answer.more:
                due = 0  # the page was full: carry on at once

    async def all_writers() -> None:
        await asyncio.gather(*(write(token, node) for token, node in writers))
        async with committed:
            done.set()
            committed.notify_all()

    results = await asyncio.gather(all_writers(), *(pull(token) for token, _ in pullers))
    async with pg() as s:
        final = {str(i): rev for i, rev in (await s.execute(select(Household.id, Household.rev)))}
    assert len(final) == WRITERS * TRANSACTIONS * 4 // 5
    for got in results[1:]:
        assert got is not None
        twice = [key for key, n in Counter(got).items() if n > 1]
        assert not twice, f"delivered more than once: {twice[:5]}"
        last_seen: dict[str, int] = {}
        for rid, rev in got:
            assert rev > last_seen.get(rid, 0), "a row went back in time"
            last_seen[rid] = rev
        assert last_seen == final  # nothing missed: every row, at its final rev
