"""Live rows per area and collection, kept by the database itself (triggers).

``area_tallies`` holds, for each area and each collection devices pull by subtree
(persons, households, visits, ...), how many of its rows are live (not tombstones). A
trigger on each of those tables adds one when a live row appears in an area and takes
one off when it leaves it (deleted, moved to another area, or removed), in the same
transaction as the write: no code path can forget it, the sync engine included, and
nothing in Python maintains it. A subtree's figure is then a sum over its areas (a few
thousand rows for a city) instead of a scan of its rows (millions).

Readers: the supervisor's home (households per area, server/visits/queries.py) and the
first sync's ``remaining`` estimate (server/sync/feed.py). A table's rows are counted once
by the migration that adds the triggers (0013) and kept from then on; ``TRUNCATE`` (the
tests' reset) empties this table with the others.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base

#: the tables whose live rows are tallied: every collection read by subtree (each has
#: ``area_id`` and ``deleted``); tests/integration/test_area_tallies.py checks the registry
#: agrees (a list, not read from the registry: migration 0013 builds triggers from it)
TALLIED = (
    "measures",
    "persons",
    "households",
    "visits",
    "checks",
    "tests",
    "daily_reports",
    "fever_reports",
    "fever_events",
    "reminders",
)


class AreaTally(Base):
    """Live rows of one collection registered in one area (not rolled up the tree)."""

    __tablename__ = "area_tallies"

    area_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    collection: Mapped[str] = mapped_column(String(32), primary_key=True)
    live: Mapped[int] = mapped_column(Integer, default=0)


# --- the triggers ------------------------------------------------------------------------

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION wangge_tally_live() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        IF NOT OLD.deleted THEN
            UPDATE area_tallies SET live = live - 1
            WHERE area_id = OLD.area_id AND collection = TG_TABLE_NAME;
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        IF NOT NEW.deleted THEN
            INSERT INTO area_tallies (area_id, collection, live)
            VALUES (NEW.area_id, TG_TABLE_NAME, 1)
            ON CONFLICT (area_id, collection) DO UPDATE SET live = area_tallies.live + 1;
        END IF;
    END IF;
    RETURN NULL;
END
$$
"""


def _pg_triggers(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER tally_{table}_write AFTER INSERT OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION wangge_tally_live()",
        f"CREATE TRIGGER tally_{table}_change AFTER UPDATE OF area_id, deleted ON {table} "
        "FOR EACH ROW WHEN (OLD.area_id IS DISTINCT FROM NEW.area_id "
        "OR OLD.deleted IS DISTINCT FROM NEW.deleted) EXECUTE FUNCTION wangge_tally_live()",
    ]


def _sqlite_add(table: str, row: str) -> str:
    # INSERT ... SELECT needs its WHERE before ON CONFLICT (SQLite's upsert grammar)
    return (
        f"INSERT INTO area_tallies (area_id, collection, live) "
        f"SELECT {row}.area_id, '{table}', 1 WHERE NOT {row}.deleted "
        "ON CONFLICT (area_id, collection) DO UPDATE SET live = live + 1;"
    )


def _sqlite_take(table: str, row: str) -> str:
    return (
        f"UPDATE area_tallies SET live = live - 1 WHERE NOT {row}.deleted "
        f"AND area_id = {row}.area_id AND collection = '{table}';"
    )


def _sqlite_triggers(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER tally_{table}_insert AFTER INSERT ON {table} "
        f"BEGIN {_sqlite_add(table, 'NEW')} END",
        f"CREATE TRIGGER tally_{table}_delete AFTER DELETE ON {table} "
        f"BEGIN {_sqlite_take(table, 'OLD')} END",
        f"CREATE TRIGGER tally_{table}_change AFTER UPDATE OF area_id, deleted ON {table} "
        "WHEN OLD.area_id IS NOT NEW.area_id OR OLD.deleted IS NOT NEW.deleted "
        f"BEGIN {_sqlite_take(table, 'OLD')} {_sqlite_add(table, 'NEW')} END",
    ]


def trigger_ddl(dialect: str) -> list[str]:
    """The statements that create the tally triggers on `dialect` (the migration and
    ``create_all`` run the same ones)."""
    if dialect == "postgresql":
        return [_PG_FUNCTION, *(s for t in TALLIED for s in _pg_triggers(t))]
    return [s for t in TALLIED for s in _sqlite_triggers(t)]


def drop_ddl(dialect: str) -> list[str]:
    if dialect == "postgresql":
        drops = [
            f"DROP TRIGGER IF EXISTS tally_{t}_{kind} ON {t}"
            for t in TALLIED
            for kind in ("write", "change")
        ]
        return [*drops, "DROP FUNCTION IF EXISTS wangge_tally_live()"]
    return [
        f"DROP TRIGGER IF EXISTS tally_{t}_{kind}"
        for t in TALLIED
        for kind in ("insert", "delete", "change")
    ]


def backfill_sql() -> list[str]:
    """Count the rows already there (the migration, on a database with data)."""
    return [
        f"INSERT INTO area_tallies (area_id, collection, live) "
        f"SELECT area_id, '{t}', count(*) FROM {t} WHERE NOT deleted GROUP BY area_id"
        for t in TALLIED
    ]


def create_with_schema(ddl: Callable[[str], list[str]]) -> None:
    """Run ``ddl(dialect)`` after ``Base.metadata.create_all`` (the tests' schema), as the
    migration does on a migrated database."""

    def create(target: Any, connection: Connection, **kw: Any) -> None:
        for statement in ddl(connection.dialect.name):
            connection.exec_driver_sql(statement)

    event.listen(Base.metadata, "after_create", create)


create_with_schema(trigger_ddl)
