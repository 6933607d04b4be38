"""A transaction's new rows in several tables written by one statement on PostgreSQL
(server/sync/batch_insert.py): the rows as the flush would write them (defaults filled),
the objects persistent afterwards (a later change is an UPDATE), rows whose key the
database assigns left to the flush, and tables whose triggers read one another's
(households, visits, campaigns): one of them joins the statement, two are both left to
the flush; SQLite always leaves everything to the flush."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import inspect, select

from server.audit.models import AuditEntry
from server.db import transaction, utcnow
from server.people.models import Household, Person
from server.sync.batch_insert import insert_new
from server.sync.models import SyncMutation
from server.visits.coverage import CampaignCoverage
from server.visits.models import Campaign, Visit
from server.visits.values import VisitOutcome
from tests.integration.statements import counting_statements
from tests.integration.sync_helpers import DB, make_world


def _household(area_id: int, user_id: int, rev: int) -> Household:
    return Household(id=uuid.uuid4(), rev=rev, area_id=area_id, head_name="王", created_by=user_id)


def _person(home: Household, rev: int, name: str = "李") -> Person:
    return Person(
        id=uuid.uuid4(),
        rev=rev,
        area_id=home.area_id,
        household_id=home.id,
        name=name,
        created_by=home.created_by,
    )


def _visit(home: Household, rev: int, at: datetime | None = None) -> Visit:
    return Visit(
        id=uuid.uuid4(),
        rev=rev,
        area_id=home.area_id,
        household_id=home.id,
        visited_at=at or utcnow(),
        outcome=VisitOutcome.VISITED,
        created_by=home.created_by,
    )


def _logged(user_id: int, rev: int) -> SyncMutation:
    return SyncMutation(
        id=uuid.uuid4(),
        user_id=user_id,
        collection="persons",
        record_id="x",
        op="put",
        status="applied",
        rev=rev,
        hlc="h",
    )


async def test_new_rows_of_several_tables_go_in_one_statement(db: DB, db_url: str) -> None:
    w = await make_world(db)
    grid, user = w.areas["grid"].id, w.users["worker"].id
    async with transaction(db) as s:
        homes = [_household(grid, user, 100 + i) for i in range(2)]
        s.add_all(homes)
    async with transaction(db) as s:
        with counting_statements() as statements:
            people = [_person(homes[0], 110), _person(homes[1], 111, "张")]
            logged = [_logged(user, 110), _logged(user, 111)]
            audit = AuditEntry(user_id=user, action="test", entity="persons")
            new_home = _household(grid, user, 112)
            visit = _visit(homes[0], 113)
            s.add_all([*people, *logged, audit, new_home, visit])
            written = await insert_new(s)
            await s.flush()
            people[1].relation = "changed after"
            await s.flush()
    inserts = [q for q in statements if "INSERT" in q]
    if db_url.startswith("postgresql"):
        # the persons and the log in one statement; the audit entry (its id is the
        # database's), the household and the visit (their triggers read one another's
        # rows) by the flush
        assert written == 4
        combined = [q for q in inserts if "persons" in q or "sync_mutations" in q]
        assert len(combined) == 1, combined
        assert "sync_mutations" in combined[0]
        assert "persons" in combined[0]
        assert not any("households" in q or "visits" in q for q in combined)
    else:
        assert written == 0
    assert any("audit_log" in q for q in inserts)
    assert any("INSERT INTO households" in q for q in inserts)
    assert any("INSERT INTO visits" in q for q in inserts)
    assert any(q.lstrip().startswith("UPDATE persons") for q in statements)
    async with transaction(db) as s:
        stored = await s.get(Person, people[1].id)
        assert stored is not None
        assert (stored.relation, stored.origin, stored.deleted, stored.versions) == (
            "changed after",
            "",
            False,
            {},
        )
        assert stored.created_at is not None
        assert (await s.get(SyncMutation, logged[0].id)) is not None
        assert (await s.get(Household, new_home.id)) is not None
        assert audit.id is not None
        assert (await s.get(AuditEntry, audit.id)) is not None


async def test_one_table_with_order_dependent_triggers_joins_the_statement(
    db: DB, db_url: str
) -> None:
    """A sync batch of checks and visits is one statement: the visits' triggers (campaign
    coverage) read only visits and households, and each visit row's trigger sees the
    rows before it, so two visits of one household in the batch count it once."""
    w = await make_world(db)
    grid, user = w.areas["grid"].id, w.users["worker"].id
    async with transaction(db) as s:
        home = _household(grid, user, 300)
        campaign = Campaign(
            area_id=grid, name="第一轮", starts_on=utcnow() - timedelta(days=1), rev=301
        )
        s.add_all([home, campaign])
    async with transaction(db) as s:
        with counting_statements() as statements:
            visits = [_visit(home, 302), _visit(home, 303, utcnow() + timedelta(hours=1))]
            s.add_all([*visits, _logged(user, 302), _logged(user, 303)])
            written = await insert_new(s)
            await s.flush()
    inserts = [q for q in statements if "INSERT INTO visits" in q]
    if db_url.startswith("postgresql"):
        assert written == 4
        assert len(inserts) == 1, inserts
        assert "sync_mutations" in inserts[0]
    else:
        assert written == 0
    async with transaction(db) as s:
        kept = (
            await s.execute(
                select(CampaignCoverage.visited).where(
                    CampaignCoverage.campaign_id == campaign.id,
                    CampaignCoverage.area_id == grid,
                )
            )
        ).scalar_one()
        assert kept == 1
        assert len((await s.execute(select(Visit))).scalars().all()) == 2


async def test_one_table_is_left_to_the_flush(db: DB) -> None:
    w = await make_world(db)
    grid, user = w.areas["grid"].id, w.users["worker"].id
    async with transaction(db) as s:
        home = _household(grid, user, 200)
        s.add(home)
    async with transaction(db) as s:
        s.add_all([_person(home, 201 + i) for i in range(3)])
        assert await insert_new(s) == 0  # one table: the flush is one statement anyway
    async with transaction(db) as s:
        assert len((await s.execute(select(Person))).scalars().all()) == 3


async def test_rows_go_as_arrays_so_a_big_batch_is_still_one_statement(db: DB, db_url: str) -> None:
    """3,000 persons and their log rows: as a VALUES list that is over 60,000
    parameters, beyond PostgreSQL's 32,767; as one array per column it is a few dozen.
    Values keep their types through the arrays (JSON, aware datetimes, UUIDs, text
    longer than nothing), and the statement's text does not depend on the row count."""
    w = await make_world(db)
    grid, user = w.areas["grid"].id, w.users["worker"].id
    async with transaction(db) as s:
        home = _household(grid, user, 400)
        s.add(home)
    statements: list[str] = []
    for size in (3_000, 2):
        async with transaction(db) as s:
            with counting_statements() as seen:
                people = [_person(home, 1_000 + i, f"李{i}") for i in range(size)]
                people[0].versions = {"name": [1_000, "h"], "note": ["嗯", None]}
                s.add_all([*people, *[_logged(user, 1_000 + i) for i in range(size)]])
                written = await insert_new(s)
            statements.extend(seen)
        if db_url.startswith("postgresql"):
            assert written == 2 * size
        else:
            assert written == 0
    texts = [q for q in statements if "INSERT" in q]
    if db_url.startswith("postgresql"):
        assert len(texts) == 2
        assert texts[0] == texts[1]
    async with transaction(db) as s:
        stored = (
            (await s.execute(select(Person).where(Person.name == "李0").order_by(Person.rev)))
            .scalars()
            .first()
        )
        assert stored is not None
        assert stored.versions == {"name": [1_000, "h"], "note": ["嗯", None]}
        assert stored.created_at is not None
        assert stored.created_at.tzinfo is not None
        assert stored.household_id == home.id
        count = len((await s.execute(select(SyncMutation))).scalars().all())
        assert count == 3_002


async def test_a_rollback_takes_the_written_objects_out_of_the_session(db: DB) -> None:
    """As after a flush: the rows written are the transaction's new objects, so a
    rollback (a retried sync) leaves none of them behind as if they were stored."""
    w = await make_world(db)
    grid, user = w.areas["grid"].id, w.users["worker"].id
    async with transaction(db) as s:
        home = _household(grid, user, 500)
        s.add(home)
    async with db() as s:
        await s.begin()
        people = [_person(home, 501), _person(home, 502, "张")]
        logged = _logged(user, 501)
        s.add_all([*people, logged])
        written = await insert_new(s)
        if written:
            assert all(inspect(o).persistent for o in [*people, logged])
        await s.rollback()
        assert all(inspect(o).transient for o in [*people, logged])
    async with transaction(db) as s:
        assert (await s.get(Person, people[0].id)) is None
