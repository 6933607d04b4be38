"""Read queries about screening campaigns and household coverage, for pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.guard import Principal, in_subtree, in_subtree_path
from server.areas.models import Area
from server.areas.paths import ancestor_ids
from server.areas.queries import Groups
from server.areas.tallies import AreaTally
from server.areas.values import AreaLevel
from server.people.models import Household
from server.people.rules import mask_phone
from server.querying import PAGE_SIZE, Page, count_of, page_offset
from server.visits.coverage import CampaignCoverage
from server.visits.models import Campaign, Visit
from server.visits.rules import coverage_ratio, format_percent
from server.visits.values import VisitOutcome


async def current_campaign(session: AsyncSession, area_path: str, now: datetime) -> Campaign | None:
    """The latest campaign started by now, open, set on the area or one of its ancestors."""
    stmt = (
        select(Campaign)
        .join(Area, Area.id == Campaign.area_id)
        .where(
            Area.id.in_(ancestor_ids(area_path)),
            Campaign.starts_on <= now,
            or_(Campaign.ends_on.is_(None), Campaign.ends_on > now),
        )
        .order_by(Campaign.starts_on.desc(), Campaign.id.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


@dataclass(frozen=True, slots=True)
class Coverage:
    total: int
    visited: int

    @property
    def ratio(self) -> float:
        return coverage_ratio(min(self.visited, self.total), self.total)

    @property
    def percent(self) -> str:
        return format_percent(self.ratio)


def _visited_in(campaign: Campaign) -> ColumnElement[bool]:
    # visits.rules.coverage_state: a household counts once a visit in [start, end) found
    # someone at home ("visited"); other outcomes are attempts.
    window = [Visit.visited_at >= campaign.starts_on, Visit.outcome == VisitOutcome.VISITED]
    if campaign.ends_on is not None:
        window.append(Visit.visited_at < campaign.ends_on)
    return and_(Visit.deleted.is_(False), *window)


async def household_coverage(
    session: AsyncSession, principal: Principal, campaign: Campaign | None
) -> Coverage:
    """Households in the subtree, and how many a visit of the campaign found at home."""
    live = and_(Household.deleted.is_(False), in_subtree(Household.area_id, principal))
    total = await count_of(session, select(func.count(Household.id)).where(live))
    visited = 0
    if campaign is not None:
        visited = await count_of(
            session,
            select(func.count(func.distinct(Visit.household_id)))
            .join(Household, Household.id == Visit.household_id)
            .where(live, _visited_in(campaign)),
        )
    return Coverage(total=total, visited=visited)


@dataclass(frozen=True, slots=True)
class AreaCoverage:
    name: str
    coverage: Coverage
    #: the area (for a link to its page) and the name of the area it lies in (a village's
    #: town), when known
    area_id: int | None = None
    within: str = ""


async def coverage_per_area(
    session: AsyncSession, principal: Principal, campaign: Campaign | None
) -> dict[int, Coverage]:
    """Households and visited households by the area they are registered in (not rolled
    up), for the principal's subtree. Read from the counts the database keeps as rows are
    written (``area_tallies``, ``campaign_coverage``: server/areas/tallies.py,
    server/visits/coverage.py), so a county of a million people costs a few thousand rows,
    not a pass over its households and visits. :func:`roll_up` turns them into the
    figures of any area above."""
    totals = await session.execute(
        select(AreaTally.area_id, AreaTally.live).where(
            AreaTally.collection == Household.__tablename__,
            AreaTally.live > 0,
            in_subtree(AreaTally.area_id, principal),
        )
    )
    visited: dict[int, int] = {}
    if campaign is not None:
        found = await session.execute(
            select(CampaignCoverage.area_id, CampaignCoverage.visited).where(
                CampaignCoverage.campaign_id == campaign.id,
                CampaignCoverage.visited > 0,
                in_subtree(CampaignCoverage.area_id, principal),
            )
        )
        visited = {int(a): int(n) for a, n in found.all()}
    return {
        int(aid): Coverage(total=int(n), visited=visited.get(int(aid), 0))
        for aid, n in totals.all()
    }


def roll_up(per_area: dict[int, Coverage], paths: dict[int, str]) -> dict[int, Coverage]:
    """Each area's figures summed into itself and every ancestor on its path (pure).
    ``paths`` maps area ids to their materialised paths; areas missing from it count for
    nobody."""
    totals: dict[int, list[int]] = {}
    for aid, cov in per_area.items():
        path = paths.get(aid)
        if path is None:
            continue
        for up in ancestor_ids(path):
            cell = totals.setdefault(up, [0, 0])
            cell[0] += cov.total
            cell[1] += cov.visited
    return {aid: Coverage(total=t, visited=v) for aid, (t, v) in totals.items()}


@dataclass(frozen=True, slots=True)
class CoverageTree:
    """Household coverage of the principal's own area and of every area of some levels
    below it, from the counts kept per area (:func:`coverage_tree`)."""

    coverage: Coverage
    by_level: dict[str, list[AreaCoverage]]


async def coverage_tree(
    session: AsyncSession,
    principal: Principal,
    levels: tuple[str, ...],
    campaign: Campaign | None,
) -> CoverageTree:
    # the subtree's areas with their kept counts (server/areas/tallies.py,
    # server/visits/coverage.py), summed up the tree here. Grids, the leaves and three
    # quarters of a county's areas, are summed into their villages by the database unless
    # grids are listed: Python then walks a few thousand rows, not every grid of a city.
    tally = and_(AreaTally.area_id == Area.id, AreaTally.collection == Household.__tablename__)
    found = and_(
        CampaignCoverage.area_id == Area.id,
        CampaignCoverage.campaign_id == (campaign.id if campaign is not None else -1),
    )
    live, visited = func.coalesce(AreaTally.live, 0), func.coalesce(CampaignCoverage.visited, 0)
    subtree = in_subtree_path(Area.path, principal.area_path)
    fold = AreaLevel.GRID not in levels
    listed = or_(Area.level != AreaLevel.GRID, Area.id == principal.area_id) if fold else subtree
    # Core rows, not the ORM's: the ORM's row processing cost more than the query
    conn = await session.connection()
    areas = (
        await conn.execute(
            select(Area.id, Area.name, Area.level, Area.path, Area.parent_id, live, visited)
            .outerjoin(AreaTally, tally)
            .outerjoin(CampaignCoverage, found)
            .where(subtree, listed)
            .order_by(Area.code)
        )
    ).all()
    sums = {aid: [int(n), int(v)] for aid, *_, n, v in areas}
    if fold:
        grids = await conn.execute(
            select(Area.parent_id, func.sum(live), func.sum(visited))
            .outerjoin(AreaTally, tally)
            .outerjoin(CampaignCoverage, found)
            .where(subtree, Area.level == AreaLevel.GRID, Area.id != principal.area_id)
            .group_by(Area.parent_id)
        )
        for parent, n, v in grids:
            if parent in sums:
                sums[parent][0] += int(n or 0)
                sums[parent][1] += int(v or 0)
    # each area's own figures, then, deepest first, added into its parent (every area of
    # the subtree is here, so each sum is complete before it is passed up)
    for aid, _, _, _, parent, *_ in sorted(areas, key=lambda r: -r[3].count("/")):
        if aid != principal.area_id and parent in sums:
            up, cell = sums[parent], sums[aid]
            up[0] += cell[0]
            up[1] += cell[1]
    names = {aid: name for aid, name, *_ in areas}
    by_level: dict[str, list[AreaCoverage]] = {level: [] for level in levels}
    for aid, name, level, _, parent, *_ in areas:
        if level in by_level:
            within = names.get(parent, "") if parent and aid != principal.area_id else ""
            by_level[level].append(AreaCoverage(name, Coverage(*sums[aid]), aid, within))
    own = sums.get(principal.area_id, [0, 0])
    return CoverageTree(Coverage(*own), by_level)


async def coverage_by_level(
    session: AsyncSession, principal: Principal, level: str, campaign: Campaign | None
) -> list[AreaCoverage]:
    """Household coverage of every area of `level` (town, village) in the subtree."""
    return (await coverage_tree(session, principal, (level,), campaign)).by_level[level]


async def coverage_by_group(
    session: AsyncSession, groups: Groups, campaign: Campaign | None, until: datetime
) -> dict[int, Coverage]:
    """Household coverage of an area and each child (server.areas.queries.Groups), counting
    the campaign's visits made before `until` (the end of the picked day)."""
    g, home = groups.group, groups.home
    base = (
        select(g.id, func.count(func.distinct(Household.id)))
        .join(home, groups.under)
        .join(Household, Household.area_id == home.id)
        .where(groups.where, Household.deleted.is_(False))
    )
    totals: dict[int, int] = dict((await session.execute(base.group_by(g.id))).all())
    visited: dict[int, int] = {}
    if campaign is not None:
        stmt = (
            select(g.id, func.count(func.distinct(Visit.household_id)))
            .join(home, groups.under)
            .join(Household, Household.area_id == home.id)
            .join(Visit, Visit.household_id == Household.id)
            .where(
                groups.where,
                Household.deleted.is_(False),
                _visited_in(campaign),
                Visit.visited_at < until,
            )
            .group_by(g.id)
        )
        visited = dict((await session.execute(stmt)).all())
    return {
        gid: Coverage(total=int(n), visited=int(visited.get(gid, 0))) for gid, n in totals.items()
    }


@dataclass(frozen=True, slots=True)
class HouseholdRow:
    """A household not yet visited this campaign: phone masked, its last attempt if any."""

    id: str
    head: str
    address: str
    phone: str
    grid: str
    attempts: int
    last_attempt: datetime | None


HOUSEHOLD_SORTS = ("grid", "head", "attempts")


async def unvisited_households(
    session: AsyncSession,
    area_path: str,
    campaign: Campaign | None,
    until: datetime,
    sort: str,
    page: int,
) -> Page[HouseholdRow]:
    """Households under `area_path` that no visit of the campaign before `until` found at
    home, with the campaign's attempts so far; every household when no campaign runs."""
    found = select(Visit.household_id)
    attempt = [
        Visit.household_id == Household.id,
        Visit.deleted.is_(False),
        Visit.visited_at < until,
    ]
    if campaign is not None:
        found = found.where(_visited_in(campaign), Visit.visited_at < until)
        attempt.append(Visit.visited_at >= campaign.starts_on)
    attempts = select(func.count(Visit.id)).where(*attempt).scalar_subquery()
    last = select(func.max(Visit.visited_at)).where(*attempt).scalar_subquery()
    where = [Household.deleted.is_(False), in_subtree_path(Area.path, area_path)]
    if campaign is not None:
        where.append(Household.id.not_in(found))
    base = (
        select(Household.id, Household.head_name, Household.address, Household.phone)
        .add_columns(Area.name, attempts.label("attempts"), last.label("last"))
        .join(Area, Area.id == Household.area_id)
        .where(*where)
    )
    total = await count_of(session, select(func.count()).select_from(base.subquery()))
    order = {"grid": Area.code, "head": Household.head_name, "attempts": attempts.desc()}[sort]
    rows = await session.execute(
        base.order_by(order, Household.id).offset(page_offset(page)).limit(PAGE_SIZE)
    )
    return Page(
        [
            HouseholdRow(str(hid), head, address, mask_phone(phone), grid, int(n or 0), at)
            for hid, head, address, phone, grid, n, at in rows.all()
        ],
        total,
        page,
    )


@dataclass(frozen=True, slots=True)
class CampaignRow:
    id: int
    name: str
    area_id: int
    area_name: str
    starts_on: datetime
    ends_on: datetime | None
    #: "running", "upcoming" or "closed"
    state: str
    #: in the reader's subtree (an admin changes only those; ancestors' are read-only)
    own: bool


def campaign_state(starts_on: datetime, ends_on: datetime | None, now: datetime) -> str:
    if ends_on is not None and ends_on <= now:
        return "closed"
    return "upcoming" if starts_on > now else "running"


async def campaigns_of(
    session: AsyncSession, principal: Principal, now: datetime, limit: int = 200
) -> list[CampaignRow]:
    """The campaigns on the principal's subtree and its ancestors (the ones that apply to
    it), newest start first."""
    ancestors = [int(p) for p in principal.area_path.strip("/").split("/") if p.isdigit()]
    rows = await session.execute(
        select(Campaign, Area.name, Area.path)
        .join(Area, Area.id == Campaign.area_id)
        .where(or_(in_subtree_path(Area.path, principal.area_path), Area.id.in_(ancestors)))
        .order_by(Campaign.starts_on.desc(), Campaign.id.desc())
        .limit(limit)
    )
    return [
        CampaignRow(
            id=c.id,
            name=c.name,
            area_id=c.area_id,
            area_name=name,
            starts_on=c.starts_on,
            ends_on=c.ends_on,
            state=campaign_state(c.starts_on, c.ends_on, now),
            own=principal.covers(path),
        )
        for c, name, path in rows.all()
    ]


async def campaign_by_id(session: AsyncSession, campaign_id: int) -> Campaign | None:
    return await session.get(Campaign, campaign_id)


async def closed_since(
    session: AsyncSession, area_id: int, since: datetime, now: datetime
) -> datetime | None:
    """The latest end, between `since` and `now`, of a campaign of the area: a round
    started the day the previous one closed begins where that one ended."""
    found: datetime | None = await session.scalar(
        select(func.max(Campaign.ends_on)).where(
            Campaign.area_id == area_id, Campaign.ends_on > since, Campaign.ends_on <= now
        )
    )
    return found
