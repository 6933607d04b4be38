"""A page's transactions plan every statement for its own parameters; the sync's keep
PostgreSQL's cached plans (server/db.py ``_custom_plans``). A cached generic plan made a
town's page at a million persons take 9 s instead of 0.5 s from its sixth visit on."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from server.db import PAGE, READ_ONLY, begin_read, reads_beside, transaction
from server.web import exports
from tests.integration.sync_helpers import DB


async def _mode(session: AsyncSession) -> str:
    return str((await session.execute(text("SHOW plan_cache_mode"))).scalar_one())


@pytest.fixture
def postgresql_only(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("plan_cache_mode is PostgreSQL's")


@pytest.mark.usefixtures("postgresql_only")
async def test_a_page_plans_for_its_parameters_and_leaves_the_connection_as_it_was(
    db: DB,
) -> None:
    async with db(info={PAGE: True}) as page:
        assert await _mode(page) == "force_custom_plan"
        pid = (await page.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        await page.commit()
        # the same pooled connection, no longer a page's: SET LOCAL ended with the commit
        async with transaction(db) as other:
            assert (await other.execute(text("SELECT pg_backend_pid()"))).scalar_one() == pid
            assert await _mode(other) == "auto"


@pytest.mark.usefixtures("postgresql_only")
async def test_the_reads_beside_a_page_plan_like_the_page(db: DB) -> None:
    async with db(info={PAGE: True}) as page:
        await page.connection(execution_options={READ_ONLY: True})
        modes = await reads_beside(page, _mode, _mode, _mode)
    assert modes == ["force_custom_plan"] * 3


@pytest.mark.usefixtures("postgresql_only")
async def test_the_sync_and_autocommit_reads_keep_cached_plans(db: DB) -> None:
    async with transaction(db) as writer:
        assert await _mode(writer) == "auto"
    async with db(info={PAGE: True}) as token_read:
        await begin_read(token_read)  # autocommit: no transaction to SET LOCAL in
        assert await _mode(token_read) == "auto"
    async with transaction(db, read_only=True) as reader:
        assert await reads_beside(reader, _mode, _mode) == ["auto", "auto"]


@pytest.mark.usefixtures("postgresql_only")
async def test_a_streamed_ledger_export_plans_like_a_page(
    db: DB, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The export streams from a session of its own (it outlives the request's): that
    session is a page's too."""
    monkeypatch.setattr(exports, "ledger_stmt", lambda _path: text("SHOW plan_cache_mode"))
    monkeypatch.setattr(exports, "ledger_row", list)
    rows = [row async for row in exports._ledger_rows(db, "/1/")]
    assert rows == [["force_custom_plan"]]
