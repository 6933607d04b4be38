"""A transaction's new rows, in every table, written by one statement (PostgreSQL).

The ORM flush writes new rows with one statement per table: a batch of checks and visits
is three round trips (checks, visits, idempotency records), all made while the batch
holds the change counter (revs.py). PostgreSQL runs data-modifying statements in WITH
together with the main one, and checks foreign keys at the end of the whole statement,
so one ``WITH w1 AS (INSERT ...), w2 AS (INSERT ...) INSERT ...`` writes them all in
one round trip. The objects then become persistent in the session as if flushed (later
changes to them are UPDATEs, as usual). Rows whose key the database assigns (an
autoincrement id) are left to the flush, which reads the key back. Tables marked with
``spec.collections.insert_alone`` have triggers that read one another's rows (households,
visits, campaigns): in one combined statement the order their triggers fire in is not
the order of the tables (after-row triggers of every part fire at its end), so at most
one of them joins the statement; when a transaction has new rows in two of them, both
are left to the flush. One alone is safe: its triggers read no other table the
statement writes, and its own rows go in array order, each row's trigger seeing the
rows before it (a sync batch of checks and visits, the usual morning, is then still one
statement, which shortens the time the batch holds the change counter).

Each table's rows go in as one array per column (``INSERT ... SELECT * FROM unnest($1,
$2, ...)``), not as a multi-row VALUES list: the SQL text then depends on the set of
tables only, not on how many rows each has, so it is built and prepared once per set (a
VALUES list was compiled anew on every batch: SQLAlchemy does not cache it, and
compiling it was a fifth of a writing sync's CPU), and the parameter count is the
column count, far from PostgreSQL's limit of 32,767 whatever the batch size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Column, String, Table, TypeDecorator, insert, inspect, text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import TextClause

from server.statement_cache import StatementCache
from server.sync.spec.collections import INSERT_ALONE

#: below this many tables the flush's statement per table costs no more round trips
MIN_TABLES = 2

Processor = Callable[[Any], Any] | None


class _Shape:
    """The statement for one set of tables and, per table, its columns with their bind
    processors (what SQLAlchemy would apply to each value: JSON to text, aware UTC)."""

    def __init__(self, tables: tuple[Table, ...], dialect: Dialect) -> None:
        parts: list[str] = []
        self.columns: list[tuple[Table, list[tuple[Column[Any], Processor]]]] = []
        n = 0
        prepare = dialect.identifier_preparer
        for table in tables:
            cols: list[tuple[Column[Any], Processor]] = []
            arrays = []
            for column in table.columns:
                arrays.append(f"CAST(:p{n} AS {_array_type(column, dialect)})")
                cols.append((column, column.type._cached_bind_processor(dialect)))
                n += 1
            names = ", ".join(prepare.quote(c.name) for c in table.columns)
            parts.append(
                f"INSERT INTO {prepare.format_table(table)} ({names}) "
                f"SELECT * FROM unnest({', '.join(arrays)})"
            )
            self.columns.append((table, cols))
        *ctes, main = parts
        with_ = ", ".join(f"w{i} AS ({sql})" for i, sql in enumerate(ctes))
        self.statement: TextClause = text(f"WITH {with_} {main}" if ctes else main)

    def parameters(self, by_table: dict[Table, list[Any]]) -> dict[str, list[Any]]:
        params: dict[str, list[Any]] = {}
        n = 0
        for table, cols in self.columns:
            rows = _rows(table, by_table[table])
            for column, process in cols:
                values = [row[column.key] for row in rows]
                if process is not None:
                    values = [None if v is None else process(v) for v in values]
                params[f"p{n}"] = values
                n += 1
        return params


def _array_type(column: Column[Any], dialect: Dialect) -> str:
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, String):
        return "TEXT[]"  # a CAST to VARCHAR(n) would cut long values instead of refusing them
    return f"{kind.compile(dialect=dialect)}[]"


_SHAPES: StatementCache[_Shape] = StatementCache(256)


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
        if isinstance(obj, dict):  # a plain row (RevAllocator.add_row)
            rows.append({c.key: obj[c.key] if c.key in obj else _default(c) for c in table.columns})
            continue
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


async def insert_rows(session: AsyncSession, rows: dict[Table, list[dict[str, Any]]]) -> None:
    """Plain rows (column key -> value), one statement per table, on the connection (the
    session would flush its pending objects first)."""
    if not any(rows.values()):
        return
    connection = await session.connection()
    for table, table_rows in rows.items():
        if table_rows:
            await connection.execute(insert(table), table_rows)


async def insert_new(
    session: AsyncSession, rows: dict[Table, list[dict[str, Any]]] | None = None
) -> int:
    """Write the session's new rows (those with their keys set) and the plain ``rows``
    in one statement when they span ``MIN_TABLES`` tables or more; returns how many ORM
    objects it wrote (0: left to the flush). Plain rows are always written: by
    ``insert_rows`` when the combined statement does not apply."""
    rows = rows or {}
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        await insert_rows(session, rows)
        return 0
    by_table: dict[Table, list[Any]] = {t: list(r) for t, r in rows.items() if r}
    alone: set[Table] = set()
    for obj in list(session.new):
        table = inspect(obj).mapper.local_table
        if table.info.get(INSERT_ALONE):
            alone.add(table)
        if _writable(obj):
            by_table.setdefault(table, []).append(obj)
    if len(alone) > 1:  # their order matters: the flush writes them, each on its own
        for table in alone.intersection(by_table):
            del by_table[table]
    if len(by_table) < MIN_TABLES:
        await insert_rows(session, rows)
        return 0
    tables = tuple(sorted(by_table, key=lambda t: t.name))
    shape = _SHAPES.get(tuple(t.name for t in tables), lambda: _Shape(tables, dialect))
    # on the connection: the session would autoflush these very objects first
    await (await session.connection()).execute(shape.statement, shape.parameters(by_table))
    # The objects become persistent as a flush leaves them (in the transaction's new
    # objects, so a rollback takes them out of the session again). SQLAlchemy's own step
    # for that: the public way (expunge, make_transient_to_detached, add) walked every
    # object's cascades twice, a tenth of the batch's ORM work.
    states = {
        inspect(obj) for objs in by_table.values() for obj in objs if not isinstance(obj, dict)
    }
    session.sync_session._register_persistent(states)
    return len(states)
