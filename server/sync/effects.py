"""Step 8.8, what follows from a write: a fever event moves its report on, a high-risk
arrival is reported at once, a fever report's time is put on the server's clock."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select

from server.audit.models import AuditEntry
from server.fever import rules as fever_rules
from server.fever.models import FeverEvent
from server.sync.collections import BY_NAME
from server.sync.merge import FieldConflict
from server.sync.models import Conflict
from server.sync.records import Writer, field_version

#: A device clock off by more than this has its fever "seen at" times corrected.
FEVER_CORRECTION_THRESHOLD_MS = 2 * 60 * 1000


def seen_at(seen_at_device: datetime, offset_ms: int) -> datetime:
    if abs(offset_ms) > FEVER_CORRECTION_THRESHOLD_MS:
        return fever_rules.corrected_time(seen_at_device, offset_ms)
    return seen_at_device


async def advance_report(
    w: Writer,
    report: Any,
    event: FeverEvent,
    *,
    hlc: str,
    mutation_id: uuid.UUID,
    user_id: int,
    device_id: uuid.UUID,
) -> Conflict | None:
    """A fever event moves its report on: state from all events; a result fills an empty
    result, and a different second result waits for a supervisor (the conflict returned)."""
    coll = BY_NAME["fever_reports"]
    kinds = (
        await w.session.execute(
            select(FeverEvent.kind).where(
                FeverEvent.report_id == report.id, FeverEvent.deleted.is_(False)
            )
        )
    ).scalars()
    values: dict[str, Any] = {}
    conflict: Conflict | None = None
    state = fever_rules.state_from_events(kinds)
    if state != report.state:
        values["state"] = state
    if event.result is not None:
        if report.result is None:
            values["result"] = event.result
        elif report.result != event.result:
            kept = field_version(report, "result")
            fc = FieldConflict("result", True, "pending", report.result, kept, event.result, "kept")
            conflict = await w.add_conflict(
                coll,
                report,
                fc,
                proposed_hlc=hlc,
                proposed_by=user_id,
                proposed_device=device_id,
                mutation_id=mutation_id,
            )
    if values:
        floor = max((field_version(report, n).hlc for n in values), default="")
        await w.write(coll, report, values, w.server_hlc(floor), None)
    return conflict


def special_report(w: Writer, user_id: int, person: Any, mutation_id: str) -> None:
    """特报: a high-risk arrival is listed for supervisors at once."""
    w.session.add(
        AuditEntry(
            at=w.now,
            user_id=user_id,
            action="special_report",
            entity="persons",
            entity_id=str(person.id),
            area_id=person.area_id,
            detail={"category": person.category, "mutation": mutation_id},
        )
    )
