"""Read queries about the sync's own records, for pages: conflicts waiting for review."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.guard import Principal, in_subtree
from server.querying import count_of
from server.sync.models import Conflict


async def pending_conflicts(session: AsyncSession, principal: Principal) -> int:
    """Conflicts of the subtree still waiting for a reviewer's decision."""
    return await count_of(
        session,
        select(func.count(Conflict.id)).where(
            Conflict.status == "pending", in_subtree(Conflict.area_id, principal)
        ),
    )
