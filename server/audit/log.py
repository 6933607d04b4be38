"""The one audit writer: every change and every whole-record read goes through ``record``.

It only adds the row to the caller's session, so the entry commits or rolls back with the
change it describes (an audit entry for a change that never happened would be a lie).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.audit.models import AuditEntry
from server.db import utcnow


def record(
    session: AsyncSession,
    *,
    user_id: int | None,
    action: str,
    entity: str,
    entity_id: str | None = None,
    area_id: int | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        at=at or utcnow(),
        user_id=user_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        area_id=area_id,
        detail=detail or {},
    )
    session.add(entry)
    return entry
