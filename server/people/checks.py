"""The server's check of what a device writes into the ledger: the same rules the phone
applies before it saves (server/people/rules.py, web/static/js/rules.js), so a value the
app would refuse is refused here too, with ``invalid`` and the field.

Only values a write changes are judged: a record stored before these rules existed can
still be edited in its other fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from server.i18n import gettext as _
from server.people.rules import (
    certificate_state,
    check_id_number,
    check_past_date,
    check_phone,
    required_measure,
)
from server.people.values import CertificateState, MeasureKind, PersonCategory
from server.sync.spec.collections import Change, Rejected

#: UTC+14 is the earliest calendar on Earth: a day after that day's date is in the future
#: for every phone, whatever its zone (the app checks against the local day itself).
_EARLIEST_ZONE = timedelta(hours=14)


def latest_today(now: datetime) -> date:
    return (now + _EARLIEST_ZONE).date()


def changed(change: Change, name: str) -> bool:
    """The write sets `name` to a value other than the stored one (any value on insert)."""
    if name not in change.values:
        return False
    return change.record is None or change.values[name] != getattr(change.record, name, None)


def _id_reason(reason: str | None) -> str:
    return {
        "length": _("An ID number has 18 characters."),
        "format": _("An ID number is 17 digits and a digit or X."),
        "birth_date": _("The date of birth in the ID number is not a real one."),
    }.get(reason or "", _("The ID number's check digit is wrong: a digit was mistyped."))


def check_id_field(change: Change, name: str, now: datetime) -> None:
    value = change.values.get(name)
    if value in (None, "") or not changed(change, name):
        return
    found = check_id_number(value, latest_today(now))
    if not found.ok:
        raise Rejected("invalid", _id_reason(found.reason), name)


def check_phone_field(change: Change, name: str) -> None:
    value = change.values.get(name)
    if value in (None, "") or not changed(change, name):
        return
    if not check_phone(value).ok:
        raise Rejected(
            "invalid",
            _("A phone number is a mobile (11 digits, 13x-19x) or a landline with its area code."),
            name,
        )


def check_past_field(change: Change, name: str, now: datetime) -> None:
    value = change.values.get(name)
    if value is None or not changed(change, name):
        return
    if check_past_date(value, latest_today(now)) is not None:
        raise Rejected("invalid", _("This date cannot be in the future."), name)


_MEASURE_INPUTS = ("category", "measure", "measure_reason", "arrival_date", "certificate_date")


def measure_missing(change: Change, now: datetime) -> bool:
    """The write leaves a returnee whose category requires a measure under none, with no
    reason given (``measure_reason``): the worker must choose the measure or say why not.
    (Whether the person already had a measure that ended is the caller's question.)"""
    if not any(changed(change, name) for name in _MEASURE_INPUTS):
        return False
    values: Mapping[str, Any] = change.values
    # a new record's missing fields take the column defaults: a resident under no measure
    category = values.get("category") or PersonCategory.RESIDENT
    if (values.get("measure") or MeasureKind.NONE) != MeasureKind.NONE:
        return False
    today = latest_today(now)
    state: CertificateState = certificate_state(
        values.get("certificate_date"), values.get("arrival_date"), today
    )
    if required_measure(category, state) == MeasureKind.NONE:
        return False
    return not (values.get("measure_reason") or "").strip()


def measure_required() -> Rejected:
    return Rejected(
        "invalid",
        _("This returnee's category requires a measure: choose it, or give a reason for another."),
        "measure",
    )
