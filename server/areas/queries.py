"""Read queries about the area tree, for pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from server.areas.models import Area
from server.areas.paths import ancestor_ids, in_subtree_path, path_under


async def area_trail(session: AsyncSession, area_path: str) -> list[str]:
    """Names from the root down to the area itself: 城市 > 县 > 镇 > 村 > 网格."""
    rows = await session.execute(
        select(Area.name)
        .where(Area.id.in_(ancestor_ids(area_path)))
        .order_by(func.length(Area.path))
    )
    return [name for (name,) in rows.all()]


@dataclass(frozen=True, slots=True)
class Groups:
    """An area and its children as groups of one GROUP BY: ``group`` is the area itself or
    one of its children, ``home`` any area under that group. A figure joins its table on
    ``home.id`` and groups by ``group.id``: the area's own row and a row per child come
    back from one statement, however many children there are."""

    area_id: int
    group: Any
    home: Any

    @property
    def where(self) -> ColumnElement[bool]:
        return or_(self.group.id == self.area_id, self.group.parent_id == self.area_id)

    @property
    def under(self) -> ColumnElement[bool]:
        # a column-to-column range: each home lies under every group whose path starts it
        return path_under(self.home.path, self.group.path)


def groups_of(area_id: int) -> Groups:
    return Groups(area_id, aliased(Area), aliased(Area))


@dataclass(frozen=True, slots=True)
class ChildArea:
    id: int
    name: str
    level: str
    lead_name: str | None
    lead_phone: str | None
    path: str


async def area_and_children(session: AsyncSession, area_id: int) -> list[ChildArea]:
    """The area first, then its children in code order (one statement)."""
    rows = await session.execute(
        select(Area.id, Area.name, Area.level, Area.lead_name, Area.lead_phone, Area.path)
        .where(or_(Area.id == area_id, Area.parent_id == area_id))
        .order_by(case((Area.id == area_id, 0), else_=1), Area.code)
    )
    return [ChildArea(*row) for row in rows.all()]


async def area_ancestors(session: AsyncSession, area_path: str) -> list[ChildArea]:
    """The areas from the root down to the area itself (for a trail of links)."""
    rows = await session.execute(
        select(Area.id, Area.name, Area.level, Area.lead_name, Area.lead_phone, Area.path)
        .where(Area.id.in_(ancestor_ids(area_path)))
        .order_by(func.length(Area.path))
    )
    return [ChildArea(*row) for row in rows.all()]


@dataclass(frozen=True, slots=True)
class AreaChoice:
    id: int
    name: str
    level: str
    #: the parent's name ("" at the root): tells two grids named 一组 apart
    parent_name: str


async def areas_under(
    session: AsyncSession, root_path: str, levels: tuple[str, ...], limit: int = 2000
) -> list[AreaChoice]:
    """Areas of the given levels in the subtree at ``root_path``, in tree order (a form's
    choice of area)."""
    parent = aliased(Area)
    rows = await session.execute(
        select(Area.id, Area.name, Area.level, parent.name)
        .outerjoin(parent, parent.id == Area.parent_id)
        .where(in_subtree_path(Area.path, root_path), Area.level.in_(levels))
        .order_by(Area.path)
        .limit(limit)
    )
    return [AreaChoice(i, n, lv, pn or "") for i, n, lv, pn in rows.all()]
