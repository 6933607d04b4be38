"""Reminders as devices sync them. A supervisor sends one from a page (sync/writes.py); a
grid worker's phone writes only its acknowledgement (``read_at`` and ``read_by``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select

from server.accounts.models import User
from server.i18n import gettext as _
from server.quarantine.values import CheckSlot
from server.reminders import rules
from server.reminders.models import Reminder
from server.reminders.values import ReminderKind
from server.sync.spec.collections import (
    AREA_ID,
    ID,
    MOMENT,
    Change,
    Effect,
    HookContext,
    Hooks,
    Rejected,
    declare,
    fits,
    one_of,
    whole,
)

#: what a reader's phone may change; every other field is fixed when the reminder is sent
ACKNOWLEDGEMENT = ("read_at", "read_by")
#: the role that acknowledges reminders (the grid's workers)
READER_ROLE = "grid_worker"


async def validate(ctx: HookContext, change: Change) -> None:
    values = change.values
    if change.record is None:
        if ctx.device_id is not None:
            raise Rejected("forbidden", _("Reminders are sent from the supervisor's pages."))
        if values.get("read_at") is not None or values.get("read_by") is not None:
            raise Rejected("invalid", _("A new reminder has not been read."), "read_at")
        missing = rules.subject_problem(
            values["kind"], values.get("subject_date"), values.get("person_id"), values.get("slot")
        )
        if missing is not None:
            raise Rejected("invalid", _("The reminder's subject is incomplete."), missing)
        return
    read_at, read_by = values.get("read_at"), values.get("read_by")
    if (read_at is None) != (read_by is None):
        raise Rejected(
            "invalid", _("A reminder is acknowledged with the time and the reader."), "read_by"
        )
    if change.record.read_at is not None and read_at is None:
        raise Rejected("invalid", _("A read reminder stays read."), "read_at")
    if read_by is not None and read_by != change.record.read_by:
        if read_by != ctx.user_id:
            raise Rejected("forbidden", _("Only its reader acknowledges a reminder."), "read_by")
        role = await ctx.session.scalar(select(User.role).where(User.id == ctx.user_id))
        if role != READER_ROLE:
            raise Rejected(
                "forbidden", _("Only the grid's workers acknowledge a reminder."), "read_by"
            )


async def sent(ctx: HookContext, reminder: Any, _data: Mapping[str, Any]) -> Effect:
    """The sender and the time of sending are the server's."""
    reminder.sender_id = ctx.user_id
    reminder.sent_at = ctx.now
    return Effect(server_set=True)


async def acknowledged(
    ctx: HookContext, reminder: Any, written: Mapping[str, Any], before: Mapping[str, Any]
) -> Effect | None:
    """The first acknowledgement stays; its time is put on the server's clock."""
    if written.get("read_at") is None:  # not this write's, or "unread" sent to an unread one
        return None
    if before.get("read_at") is not None:
        first = {"read_at": before["read_at"], "read_by": before.get("read_by", reminder.read_by)}
        if all(getattr(reminder, k) == v for k, v in first.items()):
            return None
        await ctx.write("reminders", reminder, first)
        return Effect(server_set=True)
    on_server = rules.read_time(written["read_at"], ctx.clock_offset_ms, ctx.now, reminder.sent_at)
    if on_server == reminder.read_at:
        return None
    await ctx.write("reminders", reminder, {"read_at": on_server})
    return Effect(server_set=True)


async def before_delete(_ctx: HookContext, _record: Any) -> None:
    raise Rejected("undeletable", _("A reminder cannot be deleted; acknowledge it instead."))


REMINDERS = declare(
    "reminders",
    Reminder,
    "record",
    "area_id kind subject_date person_id slot message sender_id sent_at read_at read_by",
    lambda: _("reminders"),
    required=frozenset({"area_id", "kind", "message"}),
    immutable=frozenset({"area_id", "kind", "subject_date", "person_id", "slot", "message"}),
    read_only=frozenset({"sender_id", "sent_at"}),
    own_area=True,
    hooks=Hooks(
        validate=validate,
        before_insert=sent,
        after_update=acknowledged,
        before_delete=before_delete,
    ),
    fields={
        "area_id": AREA_ID,
        "kind": one_of(ReminderKind),
        "subject_date": date | None,
        "person_id": ID | None,
        "slot": one_of(CheckSlot) | None,
        "message": fits(Reminder.message),
        "read_at": MOMENT | None,
        "read_by": whole(1, 2**31 - 1) | None,
    },
)
