"""The building blocks of the ``data`` a device may send: bounded types a domain uses to
declare its collections' wire fields (``fields=`` of ``collections.declare``), and the
struct built from them: every field optional (UNSET when absent), unknown fields refused
(docs/sync-protocol.md, "Collections").

Text lengths are read from the columns and codes from the domains' StrEnums, so a code
added to an enum, or a column made longer, needs no second list here
(tests/unit/test_values.py checks every field against its column).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated, Any, Literal, cast

import msgspec
from msgspec import UNSET, Meta, UnsetType
from sqlalchemy.orm import InstrumentedAttribute

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


def make_schema(struct_name: str, fields: dict[str, Any]) -> Schema:
    return msgspec.defstruct(
        struct_name,
        [(field, kind | UnsetType, UNSET) for field, kind in fields.items()],
        forbid_unknown_fields=True,
        kw_only=True,
    )
