"""``/healthz``: is the database reachable, and at which schema revision."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from litestar import MediaType, Response, get
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server import __version__
from server.deps import DB

DB_CHECK_TIMEOUT_S = 3.0
log = logging.getLogger("wangge.health")


async def _schema_revision(db: async_sessionmaker[AsyncSession]) -> str | None:
    async with db() as session:
        await session.execute(text("SELECT 1"))
        try:
            row = (await session.execute(text("SELECT version_num FROM alembic_version"))).first()
        except Exception:  # the table is absent before the first migration
            return None
        return None if row is None else str(row[0])


@get("/healthz", media_type=MediaType.JSON)
async def healthz(db: DB) -> Response[dict[str, Any]]:
    try:
        revision = await asyncio.wait_for(_schema_revision(db), DB_CHECK_TIMEOUT_S)
    except TimeoutError:
        return Response(
            {"status": "unavailable", "reason": "database did not answer in time"},
            status_code=503,
        )
    except Exception as exc:  # any driver or network error means "not reachable"
        # The driver's text names hosts, users and databases: it goes to the log only,
        # never to an unauthenticated caller.
        log.warning("healthz: database unreachable: %s: %s", type(exc).__name__, exc)
        return Response(
            {"status": "unavailable", "reason": "database unreachable"}, status_code=503
        )
    if revision is None:
        return Response(
            {
                "status": "unavailable",
                "reason": "not migrated; run `python -m server migrate`",
            },
            status_code=503,
        )
    return Response({"status": "ok", "schema_revision": revision, "version": __version__})


ROUTES = [healthz]
