"""Daily reports as devices sync them: one record per grid and day, whose id says which."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from server.audit import log as audit_log
from server.i18n import gettext as _
from server.reports.models import DailyReport
from server.reports.rules import REPORT_COUNTS, daily_report_id, has_findings
from server.sync.spec.collections import (
    AREA_ID,
    COUNT,
    MOMENT,
    Change,
    Effect,
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
    if change.values.get("is_zero") and change.record is not None:
        stored = {name: getattr(change.record, name) for name in ("is_zero", *REPORT_COUNTS)}
        if has_findings(stored):
            raise Rejected(
                "zero_over_findings",
                _(
                    "Today's report has findings; a zero report cannot replace it. "
                    "Correct the report's counts instead."
                ),
                "is_zero",
            )


#: the fields a correction can change, kept in the audit log as they were before it
_REPORTED = ("is_zero", *REPORT_COUNTS, "notes", "submitted_at")


async def corrected(
    ctx: HookContext, report: Any, written: Mapping[str, Any], before: Mapping[str, Any]
) -> Effect | None:
    """A report is corrected, never deleted; each correction keeps what it replaced."""
    previous = {name: _plain(before[name]) for name in _REPORTED if name in before}
    audit_log.record(
        ctx.session,
        at=ctx.now,
        user_id=ctx.user_id,
        action="daily_report_corrected",
        entity="daily_reports",
        entity_id=str(report.id),
        area_id=report.area_id,
        detail={
            "previous": previous,
            "written": {name: _plain(written[name]) for name in previous},
            "mutation": str(ctx.mutation_id),
        },
    )
    return None


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


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
    hooks=Hooks(validate=validate, after_update=corrected, before_delete=before_delete),
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
