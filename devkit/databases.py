"""Throwaway databases for tests and benchmarks: made, given the schema, dropped."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import make_url

from server.db import make_engine
from server.models import Base


def pg_url_for(admin_url: str, database: str) -> str:
    """The URL of ``database`` on the server that ``admin_url`` (any database there) names."""
    # (make_url keeps a query such as ?host=/var/run/postgresql: a Unix socket)
    return make_url(admin_url).set(database=database).render_as_string(hide_password=False)


async def create_pg_database(admin_url: str, name: str) -> str:
    engine = make_engine(admin_url)
    try:
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8'"))
    finally:
        await engine.dispose()
    return pg_url_for(admin_url, name)


async def drop_pg_database(admin_url: str, name: str) -> None:
    engine = make_engine(admin_url)
    try:
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await engine.dispose()


async def create_schema(url: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
    finally:
        await engine.dispose()
