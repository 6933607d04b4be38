"""Daily reports as devices sync them: one record per grid and day, whose id says which."""

from __future__ import annotations

from datetime import date
from typing import Any

from server.i18n import gettext as _
from server.reports.models import DailyReport
from server.reports.rules import daily_report_id
from server.sync.spec.collections import (
    AREA_ID,
    COUNT,
    MOMENT,
    Change,
    HookContext,
    Hooks,
    Rejected,
    declare,
    fits,
)


async def validate(_ctx: HookContext, change: Change) -> None:
    """Two workers filing one grid-day offline must make the same record, so the id is
    the grid's and the day's (a random id would file the day twice)."""
    report_date = change.values.get("report_date")
    if change.area_id is None or report_date is None:
        return
    if change.id != daily_report_id(change.area_id, report_date):
        raise Rejected("id_mismatch", _("A daily report's id must come from its grid and date."))


async def before_delete(_ctx: HookContext, _record: Any) -> None:
    # Its id is fixed by grid and day: a tombstone would block that day's report forever.
    raise Rejected(
        "undeletable", _("A daily report cannot be deleted; correct it and file it again.")
    )


DAILY_REPORTS = declare(
    "daily_reports",
    DailyReport,
    "record",
    "area_id report_date is_zero households_visited new_returnees under_measure "
    "checks_done fever_found notes submitted_at",
    lambda: _("daily reports"),
    required=frozenset({"area_id", "report_date"}),
    immutable=frozenset({"area_id", "report_date"}),
    own_area=True,
    hooks=Hooks(validate=validate, before_delete=before_delete),
    fields={
        "area_id": AREA_ID,
        "report_date": date,
        "is_zero": bool,
        "households_visited": COUNT,
        "new_returnees": COUNT,
        "under_measure": COUNT,
        "checks_done": COUNT,
        "fever_found": COUNT,
        "notes": fits(DailyReport.notes),
        "submitted_at": MOMENT | None,
    },
)
