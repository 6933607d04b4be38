"""The audit entry of a pull (docs/roles.md, "Personal data"): a supervisor's or admin's
sync response that carries records with personal data writes ONE ``audit_log`` entry,
action ``pull``, naming the collections and how many records of each it carried and the
kind of cursor (``snapshot``: a first sync; ``feed``: later changes). It is added to the
sync's own session, so it commits with the sync (and vanishes if the sync rolls back).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.guard import AUDITED_READERS, Principal
from server.accounts.models import Device
from server.audit import log as audit_log
from server.sync import cursor as cursors
from server.sync.spec.collections import Registry
from server.sync.wire import SyncResponse


def personal_counts(response: SyncResponse, registry: Registry) -> dict[str, int]:
    """Records with personal data in a response, by collection (pure): every collection
    but reference data (areas, facilities, policies, campaigns); even a daily report's
    notes may name people."""
    return {
        name: len(page.rows)
        for name, page in sorted(response.changes.items())
        if page.rows and registry.by_name[name].kind != "reference"
    }


def cursor_kind(cursor: cursors.Cursor | None) -> str:
    return "feed" if isinstance(cursor, cursors.FeedCursor) else "snapshot"


def record_pull(
    session: AsyncSession,
    registry: Registry,
    principal: Principal,
    device: Device,
    cursor: cursors.Cursor | None,
    response: SyncResponse,
) -> None:
    if principal.role not in AUDITED_READERS:
        return
    counts = personal_counts(response, registry)
    if not counts:
        return
    audit_log.record(
        session,
        user_id=principal.user_id,
        action="pull",
        entity="sync",
        entity_id=str(device.id),
        area_id=principal.area_id,
        detail={"cursor": cursor_kind(cursor), "collections": counts},
    )
