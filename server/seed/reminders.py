"""The reminders (提醒) the demo's supervisors would have sent: this morning, the county
supervisor reminded every grid whose daily report for yesterday is missing. The second demo
grid worker has read theirs; the first demo grid worker's stays unread, so the field app
shows the card. Deterministic: ids from reminder_id, times from the clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from server.reminders.rules import compose_message, reminder_id
from server.reminders.values import ReminderKind
from server.seed.county import Clock

if TYPE_CHECKING:
    from server.seed.load import Demo

#: when the supervisor sent them (local time, minutes after midnight)
SENT_MINUTES = 8 * 60 + 30
#: how long the worker who read theirs took
READ_AFTER = timedelta(minutes=25)


def demo_reminders(demo: Demo, clock: Clock, user_ids: dict[str, int]) -> list[dict[str, Any]]:
    yesterday = clock.today - timedelta(days=1)
    sent: datetime = min(clock.at(clock.today, SENT_MINUTES), clock.now)
    filed = {(r["area_id"], r["report_date"]) for r in demo.activity.daily_reports}
    supervisor = next(a for a in demo.accounts if a.role == "supervisor")
    workers = [a for a in demo.accounts if a.role == "grid_worker"]
    reader = {workers[-1].area_id: user_ids[workers[-1].phone]} if len(workers) > 1 else {}
    sender = user_ids[supervisor.phone]
    rows: list[dict[str, Any]] = []
    for grid in demo.county.grids:
        if (grid.id, yesterday) in filed:
            continue
        kind = ReminderKind.MISSING_DAILY_REPORT
        read_by = reader.get(grid.id)
        read_at = min(sent + READ_AFTER, clock.now) if read_by is not None else None
        rows.append(
            {
                "id": reminder_id(grid.id, kind, yesterday, None, None, clock.today),
                "deleted": False,
                "versions": {},
                "created_at": sent,
                "updated_at": read_at or sent,
                "area_id": grid.id,
                "created_by": sender,
                "updated_by": read_by or sender,
                "kind": str(kind),
                "subject_date": yesterday,
                "person_id": None,
                "slot": None,
                "message": compose_message(kind, yesterday),
                "sender_id": sender,
                "sent_at": sent,
                "read_at": read_at,
                "read_by": read_by,
            }
        )
    return rows
