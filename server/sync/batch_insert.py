"""A transaction's new rows, in every table, written by one statement (PostgreSQL).

The ORM flush writes new rows with one statement per table: a batch of checks and visits
is three round trips (checks, visits, idempotency records), all made while the batch
holds the change counter (revs.py). PostgreSQL runs data-modifying statements in WITH
together with the main one, and checks foreign keys at the end of the whole statement,
so one ``WITH w1 AS (INSERT ...), w2 AS (INSERT ...) INSERT ...`` writes them all in
one round trip. The objects then become persistent in the session as if flushed (later
changes to them are UPDATEs, as usual). Rows whose key the database assigns (an
autoincrement id) are left to the flush, which reads the key back, and so are rows of
tables marked with ``spec.collections.insert_alone``: tables whose triggers read one
another's rows (in one combined statement the order their triggers fire in is not the
order of the tables: after-row triggers of every part fire at its end).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Column, Table, insert, inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from server.sync.spec.collections import INSERT_ALONE

#: PostgreSQL takes at most 32,767 parameters in one statement
MAX_PARAMETERS = 30_000
#: below this many tables the flush's statement per table costs no more round trips
MIN_TABLES = 2


def _default(column: Column[Any]) -> Any:
    default = column.default
    if default is None:
        return None
    if default.is_scalar:
        return default.arg  # type: ignore[attr-defined]
    if default.is_callable:
        return default.arg(None)  # type: ignore[attr-defined]
    return None


def _writable(obj: Any) -> bool:
    """Every primary key column has a value (the row needs nothing read back)."""
    state = inspect(obj)
    mapper = state.mapper
    if len(mapper.tables) != 1 or mapper.version_id_col is not None:
        return False
    return all(
        state.dict.get(mapper.get_property_by_column(c).key) is not None for c in mapper.primary_key
    )


def _rows(table: Table, objs: Iterable[Any]) -> list[dict[str, Any]]:
    rows = []
    for obj in objs:
        state = inspect(obj)
        mapper = state.mapper
        row: dict[str, Any] = {}
        for column in table.columns:
            key = mapper.get_property_by_column(column).key
            if key in state.dict:
                row[column.key] = state.dict[key]
            else:
                value = _default(column)
                row[column.key] = value
                state.dict[key] = value  # what the flush would have set
        rows.append(row)
    return rows


async def insert_new(session: AsyncSession) -> int:
    """Write the session's new rows (those with their keys set) in one statement when they
    span ``MIN_TABLES`` tables or more; returns how many rows it wrote (0: left to the
    flush)."""
    if session.get_bind().dialect.name != "postgresql":
        return 0
    by_table: dict[Table, list[Any]] = {}
    for obj in list(session.new):
        table = inspect(obj).mapper.local_table
        if _writable(obj) and not table.info.get(INSERT_ALONE):
            by_table.setdefault(table, []).append(obj)
    if len(by_table) < MIN_TABLES:
        return 0
    if sum(len(t.columns) * len(objs) for t, objs in by_table.items()) > MAX_PARAMETERS:
        return 0
    tables = sorted(by_table, key=lambda t: t.name)
    main, *others = tables
    stmt = insert(main).values(_rows(main, by_table[main]))
    for i, table in enumerate(others):
        stmt = stmt.add_cte(insert(table).values(_rows(table, by_table[table])).cte(f"w{i}"))
    # on the connection: the session would autoflush these very objects first
    await (await session.connection()).execute(stmt)
    written = 0
    for objs in by_table.values():
        for obj in objs:
            session.expunge(obj)
            make_transient_to_detached(obj)
            session.add(obj)
            written += 1
    return written
