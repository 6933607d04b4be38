"""Small helpers shared by the domains' read queries (``server/<domain>/queries.py``).

Page queries aggregate (COUNT / GROUP BY) or are bounded (LIMIT, a short time window):
the demo county alone has ~3,600 households and ~13,000 persons.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")

#: most rows a list on a page shows; the count beside it tells how many there are in all
LIST_LIMIT = 20


async def count_of(session: AsyncSession, stmt: Any) -> int:
    """The single number a ``SELECT count(...)`` answers (0 for NULL)."""
    return int((await session.execute(stmt)).scalar_one() or 0)


async def counts_by(session: AsyncSession, stmt: Any) -> dict[str, int]:
    """``SELECT key, count(...) ... GROUP BY key`` as a dict keyed by the key's text."""
    return {str(key): int(n) for key, n in (await session.execute(stmt)).all()}


#: rows per page of a line list
PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a line list: its rows, how many match in all, and which page it is."""

    rows: list[T]
    total: int
    page: int = 1
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


def page_offset(page: int) -> int:
    """Rows before `page` (1-based) of a line list."""
    return (page - 1) * PAGE_SIZE
