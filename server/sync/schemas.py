"""The ``data`` a device may send for each collection: every field optional (UNSET when
absent), bounded, and typed like its column (docs/sync-protocol.md, "Collections").

Built with ``msgspec.defstruct`` from the domains' StrEnums and the columns' lengths, so a
code added to an enum, or a column made longer, is accepted here without a second list to
keep in step (tests/unit/test_values.py checks every field against its column).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated, Any, Literal, cast

import msgspec
from msgspec import UNSET, Meta, UnsetType
from sqlalchemy.orm import InstrumentedAttribute

from server.fever.models import FeverEvent, FeverReport
from server.fever.values import FeverEventKind
from server.people.models import Household, Person
from server.people.values import MeasureKind, PersonCategory
from server.quarantine.models import Check, Measure, Test
from server.quarantine.values import CheckSlot, MeasureStatus, TestResult
from server.reports.models import DailyReport
from server.visits.models import Visit
from server.visits.values import VisitOutcome

Schema = type[msgspec.Struct]


def text(n: int) -> Any:
    return Annotated[str, Meta(max_length=n)]


def length(column: InstrumentedAttribute[Any]) -> int | None:
    """A text column's length: n for String(n), None for an unbounded Text."""
    return cast(int | None, getattr(column.expression.type, "length", None))


def fits(column: InstrumentedAttribute[Any]) -> Any:
    """Text as long as its column takes; an unbounded column takes LONG_TEXT."""
    n = length(column)
    return LONG_TEXT if n is None else text(n)


def name(column: InstrumentedAttribute[Any]) -> Any:
    """Text that must not be empty (a person's or a household head's name)."""
    return Annotated[str, Meta(min_length=1, max_length=length(column))]


def one_of(values: Iterable[str]) -> Any:
    """One of the codes of a StrEnum (or of some of its members), decoded as a plain str."""
    return cast(Any, Literal)[tuple(str(v) for v in values)]


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
        "head_name": name(Household.head_name),
        "address": fits(Household.address),
        "doorplate": fits(Household.doorplate),
        "phone": fits(Household.phone) | None,
        "notes": fits(Household.notes),
    },
    "persons": {
        "household_id": ID,
        "name": name(Person.name),
        "sex": fits(Person.sex) | None,
        "birth_year": whole(1880, 2100) | None,
        "id_number": fits(Person.id_number) | None,
        "phone": fits(Person.phone) | None,
        "relation": fits(Person.relation),
        "category": one_of(PersonCategory),
        "arrival_date": date | None,
        "origin": fits(Person.origin),
        "certificate_date": date | None,
        "measure": one_of(MeasureKind),
        "notes": fits(Person.notes),
    },
    "measures": {
        "person_id": ID,
        "kind": one_of(MeasureKind),
        "policy_id": whole(1, 2**31 - 1) | None,
        "start_date": date,
        "end_date": date | None,
        "status": one_of(MeasureStatus),
        "place": fits(Measure.place),
    },
    "checks": {
        "measure_id": ID,
        "person_id": ID,
        "check_date": date,
        "slot": one_of(CheckSlot),
        "temperature": TEMPERATURE | None,
        "symptoms": SYMPTOMS,
        "at_home": bool,
        "needs": fits(Check.needs),
        "checked_at": MOMENT,
    },
    "tests": {
        "person_id": ID | None,
        "measure_id": ID | None,
        "fever_report_id": ID | None,
        "reason": fits(Test.reason),
        "due_date": date | None,
        "sampled_at": MOMENT | None,
        "result": one_of(TestResult),
        "result_at": MOMENT | None,
    },
    "visits": {
        "household_id": ID,
        "visited_at": MOMENT,
        "outcome": one_of(VisitOutcome),
        "checklist": CHECKLIST,
        "notes": fits(Visit.notes),
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
        "notes": fits(DailyReport.notes),
        "submitted_at": MOMENT | None,
    },
    "fever_reports": {
        "facility_id": whole(1, 2**31 - 1),
        "patient_name": name(FeverReport.patient_name),
        "patient_phone": fits(FeverReport.patient_phone) | None,
        "patient_id_number": fits(FeverReport.patient_id_number) | None,
        "sex": fits(FeverReport.sex) | None,
        "age": whole(0, 150) | None,
        "address": fits(FeverReport.address),
        "temperature": TEMPERATURE | None,
        "symptoms": SYMPTOMS,
        "seen_at_device": MOMENT,
    },
    "fever_events": {
        "report_id": ID,
        "kind": one_of(FeverEventKind),
        "at": MOMENT,
        # a lab answers negative or positive; "pending" is the absence of an answer
        "result": one_of(r for r in TestResult if r is not TestResult.PENDING) | None,
        "note": fits(FeverEvent.note),
    },
}

SCHEMAS: dict[str, Schema] = {
    col: _schema(col.title().replace("_", "") + "Data", fields) for col, fields in FIELDS.items()
}


def field_schema(collection: str, field: str) -> Schema:
    """A one-field schema, for checking a reviewer's edited value."""
    return _schema("Edit", {field: FIELDS[collection][field]})
