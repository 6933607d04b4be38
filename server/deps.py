"""Dependency types for route handlers: the names in ``create_app(...).dependencies``.

Litestar 2.23+ wants injected parameters marked explicitly; handlers write ``db: DB``.
"""

from __future__ import annotations

from typing import TypeAlias

from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.config import Settings
from server.sync.spec.collections import Registry

DB: TypeAlias = NamedDependency[async_sessionmaker[AsyncSession]]
AppSettings: TypeAlias = NamedDependency[Settings]
#: the synced collections (server/registry.py), handed to the sync engine
Collections: TypeAlias = NamedDependency[Registry]
