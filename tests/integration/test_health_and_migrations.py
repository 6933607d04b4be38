"""The schema the migrations build is the schema the models describe; /healthz tells the truth."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.app import create_app
from server.config import Settings
from server.db import make_engine
from server.migrate import upgrade
from server.models import Base
from tests.conftest import create_pg_database, drop_pg_database


async def _diff(url: str) -> list[Any]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:

            def compare(sync_conn: Any) -> list[Any]:
                ctx = MigrationContext.configure(sync_conn, opts={"compare_type": True})
                return list(compare_metadata(ctx, Base.metadata))

            return await conn.run_sync(compare)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
async def test_migrations_match_models(dialect: str, tmp_path: Any) -> None:
    if dialect == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
        name = None
    else:
        name = f"wangge_mig_{uuid.uuid4().hex[:8]}"
        url = await create_pg_database(name)
    try:
        await asyncio.to_thread(upgrade, url)
        assert await _diff(url) == []
        app = create_app(Settings(database_url=url, secure_cookies=False))
        async with AsyncTestClient(app=app) as client:
            response = await client.get("/healthz")
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "ok"
        assert response.json()["schema_revision"]
    finally:
        if name:
            await drop_pg_database(name)


async def test_healthz_503_when_database_unreachable() -> None:
    # Nothing listens on port 1: the driver fails fast and the answer must be 503, not 500.
    app: Litestar = create_app(
        Settings(database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none", secure_cookies=False)
    )
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/healthz")
    assert response.status_code == 503
    assert "unreachable" in response.json()["reason"]


async def test_healthz_503_before_migration(tmp_path: Any) -> None:
    app = create_app(
        Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'e.db'}", secure_cookies=False)
    )
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/healthz")
    assert response.status_code == 503
    assert "migrate" in response.json()["reason"]
