"""The counts the database keeps by triggers (``area_tallies``, ``campaign_coverage``)
equal a direct count of the rows, on the demo county and after every kind of write that
moves them: visits found, deleted and re-dated (several in one statement), households
moved, deleted and brought back, campaigns re-dated, added and removed. The supervisor's
coverage (server/visits/queries.py) and the first sync's ``remaining`` read them."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.accounts.guard import Principal, in_subtree
from server.accounts.values import Role
from server.areas.models import Area
from server.areas.tallies import TALLIED, AreaTally
from server.areas.values import AreaLevel
from server.config import Settings
from server.models import Base
from server.people.models import Household
from server.registry import REGISTRY
from server.seed import Scale, seed_demo
from server.sync import cursor as cursors
from server.sync.feed import Puller
from server.visits.coverage import CampaignCoverage
from server.visits.models import Campaign, Visit
from server.visits.queries import AreaCoverage, Coverage, coverage_per_area, coverage_tree
from server.visits.values import VisitOutcome

pytestmark = pytest.mark.slow

DB = async_sessionmaker[AsyncSession]
TODAY = date(2026, 1, 20)
SMALL = Scale(towns=2, villages_per_town=2, households_per_village=30)


async def counted_tallies(session: AsyncSession) -> dict[tuple[int, str], int]:
    out: dict[tuple[int, str], int] = {}
    for name in TALLIED:
        table = Base.metadata.tables[name]
        rows = await session.execute(
            select(table.c.area_id, func.count())
            .where(table.c.deleted.is_(False))
            .group_by(table.c.area_id)
        )
        out.update({(int(a), name): int(n) for a, n in rows.all()})
    return out


async def kept_tallies(session: AsyncSession) -> dict[tuple[int, str], int]:
    rows = await session.execute(select(AreaTally.area_id, AreaTally.collection, AreaTally.live))
    return {(int(a), c): int(n) for a, c, n in rows.all() if n}


async def counted_coverage(session: AsyncSession) -> dict[tuple[int, int], int]:
    """Visited households per campaign and area, counted the way the pages did before."""
    out: dict[tuple[int, int], int] = {}
    for campaign in (await session.execute(select(Campaign))).scalars():
        window = [
            Visit.household_id == Household.id,
            Visit.deleted.is_(False),
            Visit.outcome == VisitOutcome.VISITED,
            Visit.visited_at >= campaign.starts_on,
        ]
        if campaign.ends_on is not None:
            window.append(Visit.visited_at < campaign.ends_on)
        rows = await session.execute(
            select(Household.area_id, func.count(Household.id))
            .where(Household.deleted.is_(False), select(Visit.id).where(*window).exists())
            .group_by(Household.area_id)
        )
        out.update({(campaign.id, int(a)): int(n) for a, n in rows.all()})
    return out


async def kept_coverage(session: AsyncSession) -> dict[tuple[int, int], int]:
    rows = await session.execute(
        select(CampaignCoverage.campaign_id, CampaignCoverage.area_id, CampaignCoverage.visited)
    )
    return {(int(c), int(a)): int(n) for c, a, n in rows.all() if n}


async def assert_kept(db: DB) -> None:
    async with db() as session:
        assert await kept_tallies(session) == await counted_tallies(session)
        assert await kept_coverage(session) == await counted_coverage(session)


def supervisor_of(area: Area) -> Principal:
    return Principal(user_id=1, role=Role.SUPERVISOR, area_id=area.id, area_path=area.path)


@pytest.fixture
async def county(settings: Settings, db: DB) -> DB:
    await seed_demo(settings, seed=3, today=TODAY, scale=SMALL)
    return db


def test_every_collection_read_by_subtree_is_tallied() -> None:
    subtree = {c.model.__tablename__ for c in REGISTRY if c.read_scope == "subtree"}
    assert subtree == set(TALLIED)


async def test_the_seeded_county_is_tallied_as_counted(county: DB) -> None:
    async with county() as session:
        tallies = await kept_tallies(session)
        assert await counted_coverage(session)
        assert {"persons", "households", "visits", "checks"} <= {c for _, c in tallies}
    await assert_kept(county)


async def test_coverage_and_snapshot_counts_equal_direct_counts_at_every_level(
    county: DB,
) -> None:
    async with county() as session:
        campaign = (await session.execute(select(Campaign))).scalars().one()
        areas = (await session.execute(select(Area).order_by(Area.path))).scalars().all()
        for area in areas:
            principal = supervisor_of(area)
            per_area = await coverage_per_area(session, principal, campaign)
            counted = await counted_coverage(session)
            totals = dict(
                (
                    await session.execute(
                        select(Household.area_id, func.count())
                        .where(
                            Household.deleted.is_(False), in_subtree(Household.area_id, principal)
                        )
                        .group_by(Household.area_id)
                    )
                ).all()
            )
            assert per_area == {
                a: Coverage(total=n, visited=counted.get((campaign.id, a), 0))
                for a, n in totals.items()
            }
            # every level, a grid too: grids are summed into their villages by the
            # database unless the principal is one
            tree = await coverage_tree(
                session, principal, (AreaLevel.TOWN, AreaLevel.VILLAGE), campaign
            )
            assert tree.coverage.total == sum(totals.values())
            assert tree.coverage.visited == sum(
                n for (c, a), n in counted.items() if c == campaign.id and a in totals
            )
            # each town and village of the subtree, in code order, summed from the rows
            paths = {a.id: a.path for a in areas}
            for level in (AreaLevel.TOWN, AreaLevel.VILLAGE):
                below = sorted(
                    (a for a in areas if a.level == level and a.path.startswith(area.path)),
                    key=lambda a: a.code,
                )
                assert [row.name for row in tree.by_level[level]] == [a.name for a in below]
                assert [row.area_id for row in tree.by_level[level]] == [a.id for a in below]
                names = {a.id: a.name for a in areas}
                assert [row.within for row in tree.by_level[level]] == [
                    names[a.parent_id] if a.id != area.id and a.parent_id else "" for a in below
                ]
                for row, a in zip(tree.by_level[level], below, strict=True):
                    inside = {g for g in totals if paths[g].startswith(a.path)}
                    assert row.coverage == Coverage(
                        total=sum(totals[g] for g in inside),
                        visited=sum(counted.get((campaign.id, g), 0) for g in inside),
                    )
            if area.level == AreaLevel.COUNTY:  # grids listed: each one's own figures
                grids = await coverage_tree(session, principal, (AreaLevel.GRID,), campaign)
                below = sorted(
                    (
                        a
                        for a in areas
                        if a.level == AreaLevel.GRID and a.path.startswith(area.path)
                    ),
                    key=lambda a: a.code,
                )
                assert grids.coverage == tree.coverage
                assert grids.by_level[AreaLevel.GRID] == [
                    AreaCoverage(
                        a.name,
                        Coverage(totals.get(a.id, 0), counted.get((campaign.id, a.id), 0)),
                        a.id,
                        names[a.parent_id] if a.parent_id else "",
                    )
                    for a in below
                ]
            # the first sync's count: the tallies for whole collections, rows otherwise
            puller = Puller(session, principal, REGISTRY)
            for coll in puller.colls:
                if coll.model.__tablename__ not in TALLIED:
                    continue
                direct = await puller._count(coll, puller._snapshot_where(coll, 2**62, ""))
                order = (REGISTRY.index[coll.name],)
                cur = cursors.SnapshotCursor(1, 2**62, order, 0, "")
                assert await puller._count_snapshot(cur) == direct, (area.path, coll.name)


async def _households(session: AsyncSession) -> list[Household]:
    return list((await session.execute(select(Household).order_by(Household.id))).scalars())


async def test_writes_keep_the_counts(county: DB) -> None:
    async with county() as session:
        campaign = (await session.execute(select(Campaign))).scalars().one()
        households = await _households(session)
        grids = list(
            (await session.execute(select(Area.id).where(Area.level == AreaLevel.GRID))).scalars()
        )
    start = campaign.starts_on
    at = start + timedelta(hours=5)
    unvisited = []
    async with county() as session:
        for h in households:
            found = await session.scalar(
                select(func.count()).where(
                    Visit.household_id == h.id, Visit.outcome == VisitOutcome.VISITED
                )
            )
            if not found:
                unvisited.append(h)
    assert len(unvisited) >= 4
    target = unvisited[0]

    def visit(household: Household, when: datetime, outcome: str = "visited") -> dict[str, Any]:
        return {
            "id": uuid.uuid4(),
            "rev": 10**9,
            "area_id": household.area_id,
            "household_id": household.id,
            "visited_at": when,
            "outcome": outcome,
            "checklist": {},
            "notes": "",
        }

    # two visits of one household in one statement, one before the campaign, one refused
    first, second = visit(target, at), visit(target, at + timedelta(hours=1))
    async with county.begin() as session:
        await session.execute(
            insert(Visit),
            [
                first,
                second,
                visit(unvisited[1], start - timedelta(days=1)),
                visit(unvisited[2], at, "refused"),
            ],
        )
    await assert_kept(county)
    # sent again (an idempotent insert the database skips): counted once still
    async with county.begin() as session:
        dialect = session.get_bind().dialect.name
        upsert = pg_insert if dialect == "postgresql" else sqlite_insert
        again = dict(first, visited_at=at + timedelta(minutes=5))
        await session.execute(upsert(Visit).values(again).on_conflict_do_nothing())
        await session.execute(
            upsert(Visit)
            .values(visit(unvisited[3], at, "visited") | {"id": first["id"]})
            .on_conflict_do_nothing()
        )
    await assert_kept(county)
    # one of the two deleted: still visited; both: not
    for vid in (first["id"], second["id"]):
        async with county.begin() as session:
            await session.execute(update(Visit).where(Visit.id == vid).values(deleted=True))
        await assert_kept(county)
    # brought back, re-dated out of the window and into it again
    async with county.begin() as session:
        await session.execute(update(Visit).where(Visit.id == first["id"]).values(deleted=False))
        await session.execute(
            update(Visit)
            .where(Visit.id == first["id"])
            .values(visited_at=start - timedelta(days=2))
        )
    await assert_kept(county)
    async with county.begin() as session:
        await session.execute(update(Visit).where(Visit.id == first["id"]).values(visited_at=at))
    await assert_kept(county)
    # the household (and its visits, as the sync engine moves them) to another grid
    other = next(g for g in grids if g != target.area_id)
    async with county.begin() as session:
        await session.execute(
            update(Household).where(Household.id == target.id).values(area_id=other)
        )
        await session.execute(
            update(Visit).where(Visit.household_id == target.id).values(area_id=other)
        )
    await assert_kept(county)
    # deleted, then back
    for flag in (True, False):
        async with county.begin() as session:
            await session.execute(
                update(Household).where(Household.id == target.id).values(deleted=flag)
            )
        await assert_kept(county)
    # several households deleted in one statement
    async with county.begin() as session:
        some = [h.id for h in households[:5]]
        await session.execute(update(Household).where(Household.id.in_(some)).values(deleted=True))
    await assert_kept(county)
    # the campaign shortened, then a second one, then removed
    async with county.begin() as session:
        await session.execute(
            update(Campaign)
            .where(Campaign.id == campaign.id)
            .values(ends_on=start + timedelta(days=2))
        )
    await assert_kept(county)
    async with county.begin() as session:
        await session.execute(
            insert(Campaign).values(
                area_id=campaign.area_id,
                name="second round",
                starts_on=start + timedelta(days=2),
                ends_on=None,
                rev=10**9 + 1,
            )
        )
    await assert_kept(county)
    async with county.begin() as session:
        later = (
            await session.execute(select(Campaign.id).where(Campaign.id != campaign.id))
        ).scalar_one()
        await session.execute(delete(Campaign).where(Campaign.id == later))
    await assert_kept(county)
    # tombstones purged: rows gone for good
    async with county.begin() as session:
        await session.execute(delete(Visit).where(and_(Visit.deleted.is_(True))))
        await session.execute(delete(Visit).where(Visit.id == second["id"]))
    await assert_kept(county)
    async with county() as session:
        assert (await session.get(Visit, first["id"])) is not None
