"""The ``data`` a device may send for each collection: every field optional (UNSET when
absent), bounded, and typed like its column (docs/sync-protocol.md, "Collections").

Built with ``msgspec.defstruct`` from the models' constant tuples, so an enum added to a
model is accepted here without a second list to keep in step.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal, cast

import msgspec
from msgspec import UNSET, Meta, UnsetType

from server.fever.models import FEVER_EVENT_KINDS
from server.people.models import MEASURE_KINDS, PERSON_CATEGORIES
from server.quarantine.models import CHECK_SLOTS, MEASURE_STATUSES, TEST_RESULTS
from server.visits.models import VISIT_OUTCOMES

Schema = type[msgspec.Struct]


def text(n: int) -> Any:
    return Annotated[str, Meta(max_length=n)]


def name(n: int) -> Any:
    """Text that must not be empty (a person's or a household head's name)."""
    return Annotated[str, Meta(min_length=1, max_length=n)]


def one_of(values: tuple[str, ...]) -> Any:
    return cast(Any, Literal)[values]


def whole(lo: int, hi: int) -> Any:
    return Annotated[int, Meta(ge=lo, le=hi)]


ID = uuid.UUID
AREA_ID = whole(1, 2**31 - 1)
MOMENT = Annotated[datetime, Meta(tz=True)]  # aware: "2026-11-29T03:04:05Z"
TEMPERATURE = Annotated[float, Meta(ge=30.0, le=45.0)]
COUNT = whole(0, 1_000_000)
LONG_TEXT = text(2000)
SHORT: Any = text(40)
LABEL: Any = text(200)
SYMPTOMS = Annotated[list[SHORT], Meta(max_length=20)]
CHECKLIST = Annotated[dict[SHORT, bool | int | LABEL | None], Meta(max_length=50)]
SEX = text(8)


#: Dates and times a device may state. msgspec accepts years 1 to 9999, but an aware time
#: in year 1 or 9999 cannot be put on UTC (OverflowError at the database, failing the whole
#: batch), and date arithmetic on such values fails later in the pages.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2100, 12, 31)


def in_range(value: Any) -> bool:
    """False for a date or time outside FIRST_DAY..LAST_DAY (in its own zone: converting
    it first could overflow); True for anything else."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return FIRST_DAY <= value <= LAST_DAY
    return True


def _schema(struct_name: str, fields: dict[str, Any]) -> Schema:
    return msgspec.defstruct(
        struct_name,
        [(field, kind | UnsetType, UNSET) for field, kind in fields.items()],
        forbid_unknown_fields=True,
        kw_only=True,
    )


FIELDS: dict[str, dict[str, Any]] = {
    "households": {
        "area_id": AREA_ID,
        "head_name": name(40),
        "address": text(200),
        "doorplate": text(40),
        "phone": text(20) | None,
        "notes": LONG_TEXT,
    },
    "persons": {
        "household_id": ID,
        "name": name(40),
        "sex": SEX | None,
        "birth_year": whole(1880, 2100) | None,
        "id_number": text(18) | None,
        "phone": text(20) | None,
        "relation": text(20),
        "category": one_of(PERSON_CATEGORIES),
        "arrival_date": date | None,
        "origin": text(80),
        "certificate_date": date | None,
        "measure": one_of(MEASURE_KINDS),
        "notes": LONG_TEXT,
    },
    "measures": {
        "person_id": ID,
        "kind": one_of(MEASURE_KINDS),
        "policy_id": whole(1, 2**31 - 1) | None,
        "start_date": date,
        "end_date": date | None,
        "status": one_of(MEASURE_STATUSES),
        "place": text(120),
    },
    "checks": {
        "measure_id": ID,
        "person_id": ID,
        "check_date": date,
        "slot": one_of(CHECK_SLOTS),
        "temperature": TEMPERATURE | None,
        "symptoms": SYMPTOMS,
        "at_home": bool,
        "needs": text(300),
        "checked_at": MOMENT,
    },
    "tests": {
        "person_id": ID | None,
        "measure_id": ID | None,
        "fever_report_id": ID | None,
        "reason": text(24),
        "due_date": date | None,
        "sampled_at": MOMENT | None,
        "result": one_of(TEST_RESULTS),
        "result_at": MOMENT | None,
    },
    "visits": {
        "household_id": ID,
        "visited_at": MOMENT,
        "outcome": one_of(VISIT_OUTCOMES),
        "checklist": CHECKLIST,
        "notes": text(500),
    },
    "daily_reports": {
        "area_id": AREA_ID,
        "report_date": date,
        "is_zero": bool,
        "households_visited": COUNT,
        "new_returnees": COUNT,
        "under_measure": COUNT,
        "checks_done": COUNT,
        "fever_found": COUNT,
        "notes": text(500),
        "submitted_at": MOMENT | None,
    },
    "fever_reports": {
        "facility_id": whole(1, 2**31 - 1),
        "patient_name": name(40),
        "patient_phone": text(20) | None,
        "patient_id_number": text(18) | None,
        "sex": SEX | None,
        "age": whole(0, 150) | None,
        "address": text(200),
        "temperature": TEMPERATURE | None,
        "symptoms": SYMPTOMS,
        "seen_at_device": MOMENT,
    },
    "fever_events": {
        "report_id": ID,
        "kind": one_of(FEVER_EVENT_KINDS),
        "at": MOMENT,
        "result": one_of(TEST_RESULTS[1:]) | None,
        "note": text(300),
    },
}

SCHEMAS: dict[str, Schema] = {
    col: _schema(col.title().replace("_", "") + "Data", fields) for col, fields in FIELDS.items()
}
