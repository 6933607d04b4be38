"""The wire schema (server/sync/schemas.py) agrees with the columns it fills: no text the
database would cut or refuse passes validation, and every code a column stores fits it."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import msgspec.inspect as mi
import pytest
from sqlalchemy import String, Text

from server.accounts.models import User
from server.accounts.values import Role
from server.areas.models import Area, Facility
from server.areas.values import AreaLevel, FacilityKind
from server.fever.models import FeverEvent, FeverReport
from server.fever.values import FeverEventKind, FeverState
from server.people.models import Person
from server.people.values import MeasureKind, PersonCategory
from server.quarantine.models import Check, Measure, Policy, Test
from server.quarantine.values import CheckSlot, MeasureStatus, TestResult
from server.registry import REGISTRY
from server.visits.models import Visit
from server.visits.values import VisitOutcome

#: the unbounded Text columns take the wire's long-text limit (stored as TEXT, no cut)
LONG_TEXT = 2000

#: each device-written collection's wire fields and schema, from its declaration
FIELDS = {c.name: c.fields for c in REGISTRY.ordered if c.fields}
SCHEMAS = {c.name: c.schema for c in REGISTRY.ordered if c.schema is not None}


def _leaves(t: mi.Type) -> list[mi.Type]:
    if isinstance(t, mi.UnionType):
        return [leaf for member in t.types for leaf in _leaves(member)]
    return [t]


def _wire_fields() -> list[Any]:
    found = []
    for col in FIELDS:
        info = mi.type_info(SCHEMAS[col])
        assert isinstance(info, mi.StructType)
        for f in info.fields:
            for leaf in _leaves(f.type):
                if isinstance(leaf, mi.StrType | mi.LiteralType):
                    found.append(pytest.param(col, f.name, leaf, id=f"{col}.{f.name}"))
    return found


WIRE_TEXT = _wire_fields()


def test_the_scan_finds_the_text_and_code_fields() -> None:
    kinds = {type(p.values[2]) for p in WIRE_TEXT}
    assert kinds == {mi.StrType, mi.LiteralType}
    assert len(WIRE_TEXT) > 30


@pytest.mark.parametrize(("col", "field", "leaf"), WIRE_TEXT)
def test_wire_text_fits_its_column(col: str, field: str, leaf: Any) -> None:
    column_type = REGISTRY[col].model.__table__.c[field].type
    assert isinstance(column_type, String | Text)
    length = column_type.length
    if isinstance(leaf, mi.StrType):
        assert leaf.max_length == (LONG_TEXT if length is None else length)
    else:
        assert length is None or max(len(v) for v in leaf.values) <= length


#: every column that stores a code, and the enum its codes come from
CODE_COLUMNS: list[tuple[Any, type[StrEnum]]] = [
    (User.role, Role),
    (Area.level, AreaLevel),
    (Facility.kind, FacilityKind),
    (Person.category, PersonCategory),
    (Person.measure, MeasureKind),
    (Policy.kind, MeasureKind),
    (Measure.kind, MeasureKind),
    (Measure.status, MeasureStatus),
    (Check.slot, CheckSlot),
    (Test.result, TestResult),
    (Visit.outcome, VisitOutcome),
    (FeverReport.state, FeverState),
    (FeverReport.result, TestResult),
    (FeverEvent.kind, FeverEventKind),
    (FeverEvent.result, TestResult),
]


@pytest.mark.parametrize(("attr", "enum"), CODE_COLUMNS, ids=lambda v: str(v))
def test_every_code_fits_its_column(attr: Any, enum: type[StrEnum]) -> None:
    column = attr.expression
    assert max(len(code) for code in enum) <= column.type.length
    if column.default is not None:
        assert column.default.arg in set(enum)
