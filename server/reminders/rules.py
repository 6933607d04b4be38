"""Reminders (提醒). Pure; no I/O.

A supervisor reminds a grid's workers of a missing daily report or a missed check; the
reminder reaches their phones at the next sync and stays until one of them acknowledges it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from server.reminders.values import ReminderKind, ReminderState

REMINDER_NAMESPACE = uuid.UUID("3f7b8a2c-5d4e-4f1a-9b6c-2e8d7a1f0c93")

#: A phone clock off by more than this has its "read at" corrected by the measured offset.
READ_CORRECTION_THRESHOLD_MS = 2 * 60 * 1000


def reminder_id(
    grid_id: int,
    kind: str,
    subject_date: date | None,
    person_id: uuid.UUID | None,
    slot: str | None,
    sent_day: date,
) -> uuid.UUID:
    """The id of a reminder about one subject, sent on one (local) day.

    uuid5 of ``"reminder:{grid}:{kind}:{date}:{person}:{slot}:{sent_day}"``: the same
    reminder sent twice the same day (two supervisors, a double click) is one record."""
    parts = (
        "reminder",
        str(grid_id),
        str(kind),
        subject_date.isoformat() if subject_date else "",
        str(person_id) if person_id else "",
        slot or "",
        sent_day.isoformat(),
    )
    return uuid.uuid5(REMINDER_NAMESPACE, ":".join(parts))


def subject_problem(
    kind: str, subject_date: date | None, person_id: object, slot: str | None
) -> str | None:
    """The field a reminder of ``kind`` lacks or must not carry (None when it is whole)."""
    if kind == ReminderKind.MISSING_DAILY_REPORT:
        if subject_date is None:
            return "subject_date"
        if person_id is not None:
            return "person_id"
        if slot is not None:
            return "slot"
    elif kind == ReminderKind.MISSED_CHECK:
        for name, value in (("subject_date", subject_date), ("person_id", person_id)):
            if value is None:
                return name
        if slot is None:
            return "slot"
    return None


#: the grid's working language first: the message is written for the worker's phone
_MESSAGES = {
    "zh_CN": {
        ReminderKind.MISSING_DAILY_REPORT: (
            "{date} 的日报告尚未上报，请尽快填报（没有新情况也请报零报告）。"
        ),
        ReminderKind.MISSED_CHECK: "{name} {date} {slot}的健康监测尚未完成，请尽快补做并记录。",
    },
    "en": {
        ReminderKind.MISSING_DAILY_REPORT: (
            "The daily report for {date} has not been filed. Please file it now "
            "(a zero report if there is nothing new)."
        ),
        ReminderKind.MISSED_CHECK: (
            "The {slot} check of {name} on {date} has not been done. Please do it and record it."
        ),
    },
}
_SLOTS = {
    "zh_CN": {"morning": "上午", "evening": "下午"},
    "en": {"morning": "morning", "evening": "evening"},
}


def compose_message(
    kind: str,
    subject_date: date | None,
    person_name: str = "",
    slot: str | None = None,
    locale: str = "zh_CN",
) -> str:
    """The reminder's text for the grid's worker, in ``locale`` (zh_CN unless "en")."""
    table = _MESSAGES.get(locale, _MESSAGES["zh_CN"])
    slots = _SLOTS.get(locale, _SLOTS["zh_CN"])
    template = table.get(ReminderKind(kind), "") if kind in set(ReminderKind) else ""
    day = subject_date.isoformat() if subject_date else ""
    return template.format(date=day, name=person_name, slot=slots.get(slot or "", slot or ""))


def read_time(
    read_at_device: datetime,
    clock_offset_ms: int,
    received_at: datetime,
    sent_at: datetime,
    threshold_ms: int = READ_CORRECTION_THRESHOLD_MS,
) -> datetime:
    """When the worker read the reminder, on the server's clock: the phone's time corrected
    by its measured offset (when off by more than ``threshold_ms``), never before the
    reminder was sent nor after the server received the acknowledgement."""
    if read_at_device.tzinfo is None or received_at.tzinfo is None or sent_at.tzinfo is None:
        raise ValueError("read_time needs aware datetimes")
    read = read_at_device
    if abs(clock_offset_ms) > threshold_ms:
        read = read - timedelta(milliseconds=clock_offset_ms)
    return max(sent_at, min(read, received_at))


def state_of(read_at: datetime | None) -> ReminderState:
    return ReminderState.UNREAD if read_at is None else ReminderState.READ
