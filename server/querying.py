"""Small helpers shared by the domains' read queries (``server/<domain>/queries.py``).

Page queries aggregate (COUNT / GROUP BY) or are bounded (LIMIT, a short time window):
the demo county alone has ~3,600 households and ~13,000 persons.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import BindParameter, ColumnElement, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


def one_of(column: Any, name: str, dialect: str) -> ColumnElement[bool]:
    """``column`` is one of the list bound as ``name``. On PostgreSQL ``= ANY(:name)`` with
    the list as one array parameter: an ``IN`` of expanding parameters is rewritten into
    the SQL text on every execution (one placeholder per item) and prepared anew for
    every length, which cost the sync's hot path more than running the query."""
    if dialect == "postgresql":
        array: BindParameter[Any] = bindparam(name, type_=ARRAY(column.type))
        return column == any_(array)  # type: ignore[no-any-return]
    return column.in_(bindparam(name, expanding=True))  # type: ignore[no-any-return]


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
