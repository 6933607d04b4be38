"""Read queries about the area tree, for pages."""

from __future__ import annotations

from sqlalchemy import func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.areas.models import Area


async def area_trail(session: AsyncSession, area_path: str) -> list[str]:
    """Names from the root down to the area itself: 城市 > 县 > 镇 > 村 > 网格."""
    rows = await session.execute(
        select(Area.name)
        .where(literal(area_path).startswith(Area.path))
        .order_by(func.length(Area.path))
    )
    return [name for (name,) in rows.all()]
