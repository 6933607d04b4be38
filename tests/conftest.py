"""Fixtures shared by every suite.

Database tests take ``db_url``, parametrised over SQLite and PostgreSQL: each SQLite test
gets a fresh file; PostgreSQL tests share one database made for this run (dropped at the
end) and find every table truncated. Choose the databases with WANGGE_TEST_DATABASES.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devkit import databases
from devkit.databases import create_schema
from server.app import create_app
from server.config import Settings
from server.db import make_engine, make_sessionmaker
from server.models import Base

PG_SERVER_URL = os.environ.get(
    "WANGGE_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
DATABASES = [
    d.strip() for d in os.environ.get("WANGGE_TEST_DATABASES", "sqlite,postgresql").split(",")
]


async def create_pg_database(name: str) -> str:
    return await databases.create_pg_database(PG_SERVER_URL, name)


async def drop_pg_database(name: str) -> None:
    await databases.drop_pg_database(PG_SERVER_URL, name)


async def truncate_all(url: str) -> None:
    engine = make_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def pg_schema_url() -> Iterator[str]:
    name = f"wangge_t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    url = asyncio.run(create_pg_database(name))
    asyncio.run(create_schema(url))
    yield url
    asyncio.run(drop_pg_database(name))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "template.db"
    asyncio.run(create_schema(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(params=DATABASES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "wangge.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    if request.param == "postgresql":
        url: str = request.getfixturevalue("pg_schema_url")
        asyncio.run(truncate_all(url))
        return url
    raise ValueError(f"unknown test database {request.param!r}")


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, secure_cookies=False, secret_key="test-secret")


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(settings.database_url)
    try:
        yield make_sessionmaker(engine)
    finally:
        await engine.dispose()


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app) as test_client:
        yield test_client
