"""Engine, sessions, the declarative base and the columns every synced record carries."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import msgspec
from sqlalchemy import JSON, BigInteger, Boolean, DateTime, ForeignKey, Integer, event
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, declared_attr, mapped_column
from sqlalchemy.types import TypeDecorator, Uuid
from sqlalchemy.util import await_

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware UTC datetimes; SQLite hands back naive values, so they are re-tagged UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: UTCDateTime(),
        uuid.UUID: Uuid(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


Base.metadata.naming_convention = NAMING


class SyncedRecord:
    """Columns the sync engine needs on every record a device can hold.

    ``rev`` is the change number in commit order (see server/sync/feed.py); ``versions``
    maps a field to ``[rev, hlc]`` of its last change, which is what field-level merge reads.
    """

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    rev: Mapped[int] = mapped_column(BigInteger, index=True)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    versions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @declared_attr
    def area_id(cls) -> Mapped[int]:
        return mapped_column(Integer, ForeignKey("areas.id"), index=True)

    @declared_attr
    def created_by(cls) -> Mapped[int | None]:
        return mapped_column(Integer, ForeignKey("users.id"), nullable=True)

    @declared_attr
    def updated_by(cls) -> Mapped[int | None]:
        return mapped_column(Integer, ForeignKey("users.id"), nullable=True)


#: Session settings of every pooled PostgreSQL connection. JIT off: it pays off for long
#: analytic scans, never for these pages' queries, and a range join on area paths (the
#: drill-down's groups) is estimated at millions of rows where there are thousands, which
#: made PostgreSQL compile a town's coverage query for 280 ms to run it in 250 ms.
SERVER_SETTINGS = {"jit": "off"}


def _json_text(value: Any) -> str:
    """JSON columns (field versions, symptoms, checklists) written with msgspec rather than
    ``json.dumps``: the same values (compact, UTF-8 instead of ``\\u`` escapes; JSONB
    keeps neither), about 1 % fewer Python calls per pushing sync."""
    return msgspec.json.encode(value).decode()


#: what the engines read and write JSON columns with
_JSON = {"json_serializer": _json_text, "json_deserializer": msgspec.json.decode}


def make_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30}, **_JSON)
        _configure_sqlite(engine)
        return engine
    # PostgreSQL only (SQLite's pool takes no size): per process, POOL_SIZE connections
    # kept and POOL_OVERFLOW more under a burst. Writers hold a connection while they wait
    # for a record's row lock; idle syncs need one too, so the pool is sized well above the
    # writers one process runs at once (README, "Running on PostgreSQL with several
    # processes": processes x (size + overflow) must stay below max_connections).
    engine = create_async_engine(
        url,
        pool_size=POOL_SIZE,
        max_overflow=POOL_OVERFLOW,
        pool_timeout=30,
        query_cache_size=2000,
        **_JSON,
        connect_args={"server_settings": SERVER_SETTINGS},
    )
    _translate_refused_connections(engine)
    _ping_on_checkout(engine)
    return engine


#: ``Session.info`` key: the session serves a page (see ``_custom_plans``)
PAGE = "wangge_page"


def page_session(maker: async_sessionmaker[AsyncSession]) -> AsyncSession:
    """A session that serves a page (the request's own, or one a streamed answer opens
    because it outlives the request): its transactions plan for their parameters."""
    return maker(info={PAGE: True})


@event.listens_for(Session, "after_begin")
def _custom_plans(session: Session, _transaction: Any, connection: Any) -> None:
    """A page's transaction plans every statement for its own parameters.

    asyncpg prepares each statement once per connection; after five executions
    PostgreSQL may switch to a generic plan, made without the parameters' values. For the
    pages' aggregates over areas, days and campaigns such a plan can be ruinous: a town's
    coverage went from 0.4 s to 9 s on its sixth visit over a pooled connection (the
    visits of every day joined to every area before the date filter). The sync's short
    statements keep their cached plans: planning each one again cost about 2 ms of
    PostgreSQL's CPU per sync. Reads in autocommit (the sync's, the caller's token) have
    no transaction for SET LOCAL and are not pages."""
    if not session.info.get(PAGE) or connection.dialect.name != "postgresql":
        return
    if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        return
    connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")


#: A connection back in the pool for less than this is handed out again without a ping.
PING_AFTER_S = 1.0


def _ping_on_checkout(engine: AsyncEngine) -> None:
    # A pooled connection may have died with a PostgreSQL restart: test it when it leaves
    # the pool, as pool_pre_ping would, but in one round trip (";" outside any
    # transaction; the dialect's own ping wraps it in BEGIN and ROLLBACK: three round
    # trips on every checkout, twice per sync), and only when it sat in the pool for
    # PING_AFTER_S or more: under load connections come back within milliseconds. A
    # restart inside that second can hand out one dead connection: SQLAlchemy then
    # recycles every connection of the pool, and reading the caller (accounts/auth.py,
    # ``identify``) tries once more on a new one. A dead connection found by the ping raises
    # DisconnectionError: the pool drops it and hands out another.
    @event.listens_for(engine.sync_engine, "checkin")
    def _returned(_dbapi_conn: Any, record: Any) -> None:
        if record is not None:
            record.info["returned"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _ping(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get("returned")
        if returned is not None and time.monotonic() - returned < PING_AFTER_S:
            return
        try:
            await_(dbapi_conn.driver_connection.fetchrow(";"))
        except Exception as exc:
            raise DisconnectionError(f"pooled connection is gone: {exc}") from exc


#: PostgreSQL pool per process (WANGGE_DB_POOL_SIZE / WANGGE_DB_POOL_OVERFLOW override).
POOL_SIZE = int(os.environ.get("WANGGE_DB_POOL_SIZE", "20"))
POOL_OVERFLOW = int(os.environ.get("WANGGE_DB_POOL_OVERFLOW", "20"))
#: Connection execution option: this transaction only reads (SQLite: a deferred BEGIN,
#: which does not take the write lock and so never waits behind a writer).
READ_ONLY = "wangge_read_only"


def _translate_refused_connections(engine: AsyncEngine) -> None:
    # asyncpg raises a bare OSError (connection refused, reset, timed out) while PostgreSQL
    # is down or restarting, and SQLAlchemy passes it through unwrapped: every caller that
    # maps SQLAlchemyError to "503 unavailable" would answer 500 instead. Make it the
    # driver's OperationalError, which SQLAlchemy wraps like any other lost connection.
    @event.listens_for(engine.sync_engine, "do_connect")
    def _connect(dialect: Dialect, _record: Any, cargs: Any, cparams: Any) -> Any:
        try:
            return dialect.connect(*cargs, **cparams)
        except OSError as exc:
            raise dialect.loaded_dbapi.OperationalError(f"cannot connect: {exc}", exc) from exc


def _configure_sqlite(engine: AsyncEngine) -> None:
    # SQLite has one writer: BEGIN IMMEDIATE takes the write lock at the start of every
    # transaction, so change numbers assigned inside it are in commit order and two
    # transactions never deadlock upgrading a read lock.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A read transaction (WAL: readers never block on the writer) takes no lock.
        read = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read else "BEGIN IMMEDIATE")


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(
    sessionmaker: async_sessionmaker[AsyncSession], *, read_only: bool = False
) -> AsyncIterator[AsyncSession]:
    """One unit of work: commits on success, rolls back on any error. ``read_only``: the
    transaction writes nothing (on SQLite it then takes no write lock)."""
    async with sessionmaker() as session, session.begin():
        if read_only:
            await begin_read(session)
        yield session


async def begin_read(session: AsyncSession) -> None:
    """Start the session's transaction as a read transaction (before its first query).

    PostgreSQL: in autocommit, without BEGIN and COMMIT (two round trips fewer). Under
    READ COMMITTED every statement of a transaction takes a snapshot of its own anyway,
    so a reader that locks nothing sees the same rows either way."""
    options: dict[str, Any] = {READ_ONLY: True}
    if session.get_bind().dialect.name == "postgresql":
        options["isolation_level"] = "AUTOCOMMIT"
    await session.connection(execution_options=options)


T = TypeVar("T")


async def reads_beside(
    session: AsyncSession, *works: Callable[[AsyncSession], Awaitable[T]]
) -> list[T]:
    """Run independent reads of one page at the same time, each on a connection of its
    own (PostgreSQL), so the database works on them on several cores; on SQLite one after
    another on ``session``. Under READ COMMITTED every statement sees a snapshot of its
    own anyway: separate connections make the figures no less consistent than they were.
    The results come back in the order of ``works``."""
    if session.get_bind().dialect.name != "postgresql" or len(works) < 2:
        return [await work(session) for work in works]

    async def aside(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        # a transaction (not autocommit), so that a page's reads are planned for their
        # parameters like the page's own (``_custom_plans``); rolled back when it closes
        info = {PAGE: True} if session.info.get(PAGE) else {}
        async with AsyncSession(bind=session.bind, expire_on_commit=False, info=info) as other:
            await other.connection(execution_options={READ_ONLY: True})
            return await work(other)

    tasks = [asyncio.ensure_future(aside(work)) for work in works[1:]]
    try:
        first = await works[0](session)
        others = await asyncio.gather(*tasks)
    except BaseException:
        # the first error as it is (a TaskGroup would wrap it in an ExceptionGroup, which
        # the error handlers do not know), the other reads stopped and their connections
        # returned before it propagates
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    return [first, *others]
