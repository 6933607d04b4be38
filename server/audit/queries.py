"""Read queries about the audit log, for the audit page: who read which whole record and
who changed what, in the reader's subtree, filtered and paged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.guard import Principal, in_subtree
from server.accounts.models import User
from server.areas.models import Area
from server.audit.models import AuditEntry
from server.querying import PAGE_SIZE, Page, count_of, page_offset


@dataclass(frozen=True, slots=True)
class AuditRow:
    at: datetime
    user: str
    user_id: int | None
    action: str
    entity: str
    entity_id: str | None
    area: str
    detail: dict[str, Any]


async def audit_entries(
    session: AsyncSession,
    principal: Principal,
    *,
    user_id: int | None,
    area_path: str | None,
    record: str | None,
    since: datetime | None,
    until: datetime | None,
    page: int,
) -> Page[AuditRow]:
    """Entries about areas of the subtree (newest first), optionally by one user, under one
    area, about one record (its id) and in [since, until)."""
    # entries about no area (sign-ins) stay with the administrators' other pages
    where = [in_subtree(Area.id, principal)]
    if user_id is not None:
        where.append(AuditEntry.user_id == user_id)
    if area_path is not None:
        where.append(Area.path.startswith(area_path, autoescape=True))
    if record:
        where.append(AuditEntry.entity_id == record)
    if since is not None:
        where.append(AuditEntry.at >= since)
    if until is not None:
        where.append(AuditEntry.at < until)
    base = (
        select(AuditEntry, User.name, Area.name)
        .outerjoin(User, User.id == AuditEntry.user_id)
        .join(Area, Area.id == AuditEntry.area_id)
        .where(*where)
    )
    total = await count_of(session, select(func.count()).select_from(base.subquery()))
    rows = await session.execute(
        base.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .offset(page_offset(page))
        .limit(PAGE_SIZE)
    )
    return Page(
        [
            AuditRow(
                at=e.at,
                user=name or "—",
                user_id=e.user_id,
                action=e.action,
                entity=e.entity,
                entity_id=e.entity_id,
                area=area or "",
                detail=dict(e.detail or {}),
            )
            for e, name, area in rows.all()
        ],
        total,
        page,
    )
