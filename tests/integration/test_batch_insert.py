"""A transaction's new rows in several tables written by one statement on PostgreSQL
(server/sync/batch_insert.py): the rows as the flush would write them (defaults filled),
the objects persistent afterwards (a later change is an UPDATE), rows whose key the
database assigns left to the flush; SQLite always leaves everything to the flush."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import event, select

from server.audit.models import AuditEntry
from server.db import transaction
from server.people.models import Household, Person
from server.sync import batch_insert
from server.sync.batch_insert import insert_new
from tests.integration.sync_helpers import DB, make_world


def _household(area_id: int, user_id: int, rev: int) -> Household:
    return Household(id=uuid.uuid4(), rev=rev, area_id=area_id, head_name="王", created_by=user_id)


async def test_new_rows_of_several_tables_go_in_one_statement(db: DB, db_url: str) -> None:
    w = await make_world(db)
    grid, user = w.areas["grid"].id, w.users["worker"].id
    statements: list[str] = []
    async with transaction(db) as s:
        engine = s.get_bind()

        def seen(_c: object, _cur: object, statement: str, *_a: object) -> None:
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", seen)
        try:
            homes = [_household(grid, user, 100 + i) for i in range(3)]
            person = Person(
                id=uuid.uuid4(),
                rev=110,
                area_id=grid,
                household_id=homes[0].id,
                name="李",
                created_by=user,
            )
            audit = AuditEntry(user_id=user, action="test", entity="households")
            s.add_all([*homes, person, audit])
            written = await insert_new(s)
            await s.flush()
            homes[1].notes = "changed after"
            await s.flush()
        finally:
            event.remove(engine, "before_cursor_execute", seen)
    inserts = [q for q in statements if "INSERT" in q]
    if db_url.startswith("postgresql"):
        assert (
            written == 4
        )  # three households and the person; the audit entry's id is the database's
        households_and_persons = [q for q in inserts if "households" in q or "persons" in q]
        assert len(households_and_persons) == 1, households_and_persons
        assert any("audit_log" in q for q in inserts)
    else:
        assert written == 0
    assert any(q.lstrip().startswith("UPDATE households") for q in statements)
    async with transaction(db) as s:
        rows = {h.id: h for h in (await s.execute(select(Household))).scalars()}
        assert {h.id for h in homes} <= rows.keys()
        stored = rows[homes[1].id]
        assert (stored.notes, stored.address, stored.deleted, stored.versions) == (
            "changed after",
            "",
            False,
            {},
        )
        assert stored.created_at is not None
        assert (await s.get(Person, person.id)) is not None
        assert audit.id is not None
        assert (await s.get(AuditEntry, audit.id)) is not None


async def test_one_table_or_too_many_parameters_are_left_to_the_flush(
    db: DB, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = await make_world(db)
    grid, user = w.areas["grid"].id, w.users["worker"].id
    async with transaction(db) as s:
        s.add_all([_household(grid, user, 200 + i) for i in range(3)])
        assert await insert_new(s) == 0  # one table: the flush is one statement anyway
    monkeypatch.setattr(batch_insert, "MAX_PARAMETERS", 10)
    async with transaction(db) as s:
        home = _household(grid, user, 300)
        s.add_all(
            [
                home,
                Person(
                    id=uuid.uuid4(),
                    rev=301,
                    area_id=grid,
                    household_id=home.id,
                    name="张",
                    created_by=user,
                ),
            ]
        )
        assert await insert_new(s) == 0
    async with transaction(db) as s:
        assert len((await s.execute(select(Household))).scalars().all()) == 4
