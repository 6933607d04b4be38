"""Checking every row of an import against the database's facts, and planning the writes.
Pure: the facts come in as plain data (run.py reads them), the plan goes out as data.

Stable keys make a re-import harmless: a household is its doorplate within its grid, a
person their ID number. A key already in the database updates that record (only the
fields the sheet fills and that differ), so importing the same file twice writes nothing
the second time.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from server.i18n import gettext as _
from server.i18n import using_locale
from server.people.rules import certificate_state, check_id_number, required_measure
from server.people.values import MeasureKind, PersonCategory

_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{2,3}\d{7,8}")
_PHONE_NOISE = re.compile(r"[\s\-()（）]")
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")
#: column widths as the tables have them (server/people/models.py)
_MAX = {
    "doorplate": 40,
    "head_name": 40,
    "name": 40,
    "address": 200,
    "relation": 20,
    "origin": 80,
    "notes": 2000,
}


@dataclass(frozen=True, slots=True)
class GridRef:
    id: int
    code: str
    name: str
    village: str
    #: inside the importing admin's subtree
    in_scope: bool


@dataclass(frozen=True, slots=True)
class Existing:
    id: str
    rev: int
    area_id: int
    in_scope: bool
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Facts:
    grids: list[GridRef]
    #: (grid id, doorplate) -> household
    households: Mapping[tuple[int, str], Existing]
    #: ID number -> person (``values["household_id"]`` is a str)
    persons: Mapping[str, Existing]
    today: date


@dataclass(frozen=True, slots=True)
class Issue:
    row: int
    #: a column key (server/imports/columns.py), "" for the row as a whole
    column: str
    message: str


@dataclass(frozen=True, slots=True)
class Planned:
    collection: str
    record_id: str
    data: dict[str, Any]
    #: the rev the update was planned against; None for a new record
    base: int | None


@dataclass(slots=True)
class Plan:
    rows: int = 0
    issues: list[Issue] = field(default_factory=list)
    households: list[Planned] = field(default_factory=list)
    persons: list[Planned] = field(default_factory=list)
    new_households: int = 0
    new_persons: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.issues and self.rows > 0

    @property
    def writes(self) -> list[Planned]:
        return [*self.households, *self.persons]


def text(value: Any) -> str:
    """A cell as text: numbers without a trailing ".0" (Excel stores phones as floats)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value).strip()


def parse_date(value: Any) -> date | None:
    """A date cell, or text in a common spelling; raises ValueError otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = text(value)
    if not raw:
        return None
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise ValueError(raw)


def normal_phone(raw: str) -> str | None:
    """A mobile (11 digits from 13) or a landline with its area code; None if neither."""
    digits = _PHONE_NOISE.sub("", raw)
    if digits.startswith("+86"):
        digits = digits[3:]
    if _MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits):
        return digits
    return None


def category_codes(label_of: Callable[[str], str]) -> dict[str, str]:
    """What a sheet may write for a category -> its code: the code, its Chinese and
    English labels (``label_of(code)`` in the current language is called in each)."""
    found: dict[str, str] = {}
    for code in PersonCategory:
        found[code.value.casefold()] = code.value
        for locale in ("zh_CN", "en"):
            with using_locale(locale):
                found[label_of(code).casefold()] = code.value
                found[label_of(code).replace("（", "(").replace("）", ")").casefold()] = code.value
    return found


_ID_REASONS = {
    "length": lambda: _("An ID number has 18 characters."),
    "format": lambda: _("An ID number is 17 digits and a digit or X."),
    "birth_date": lambda: _("The birth date in this ID number is not a real date."),
    "check_digit": lambda: _("The last character does not match: a digit is mistyped."),
}


class _Row:
    """One row being checked: its issues land in the plan as they are found."""

    def __init__(self, plan: Plan, number: int, cells: Mapping[str, Any]) -> None:
        self.plan, self.number, self.cells = plan, number, cells
        self.failed = False

    def fail(self, column: str, message: str) -> None:
        self.failed = True
        self.plan.issues.append(Issue(self.number, column, message))

    def get(self, key: str, *, required: bool = False) -> str:
        value = text(self.cells.get(key))
        if required and not value:
            self.fail(key, _("Required."))
        elif key in _MAX and len(value) > _MAX[key]:
            self.fail(key, _("At most %(n)s characters.", n=_MAX[key]))
        return value

    def phone(self, key: str) -> str | None:
        raw = self.get(key)
        if not raw:
            return None
        phone = normal_phone(raw)
        if phone is None:
            self.fail(key, _("Not a phone number: 11 digits from 13, or 0 + area code."))
        return phone

    def day(self, key: str, today: date) -> date | None:
        try:
            value = parse_date(self.cells.get(key))
        except ValueError:
            self.fail(key, _("Not a date: write it as 2026-11-20."))
            return None
        if value is not None and value > today:
            self.fail(key, _("This date is in the future."))
        return value


class _Grids:
    def __init__(self, grids: list[GridRef]) -> None:
        self.by_code = {g.code.casefold(): g for g in grids}
        self.by_name: dict[tuple[str, str], list[GridRef]] = {}
        for g in grids:
            self.by_name.setdefault((g.village, g.name), []).append(g)

    def find(self, row: _Row) -> GridRef | None:
        code, village, name = row.get("grid_code"), row.get("village"), row.get("grid")
        if code:
            grid = self.by_code.get(code.casefold())
            if grid is None:
                row.fail("grid_code", _("No grid has this code."))
                return None
        elif name:
            found = self.by_name.get((village, name), [])
            if not found:
                row.fail("grid", _("No grid of this name in village %(v)s.", v=village or "-"))
                return None
            if len(found) > 1:
                row.fail("grid", _("Several grids have this name: give the grid code."))
                return None
            grid = found[0]
        else:
            row.fail("grid_code", _("Give the grid code, or the village and grid names."))
            return None
        if not grid.in_scope:
            row.fail("grid_code" if code else "grid", _("This grid is outside your area."))
            return None
        return grid


def _changes(new: Mapping[str, Any], old: Mapping[str, Any]) -> dict[str, Any]:
    """The fields a sheet fills that differ from the stored record (blank cells keep it)."""
    return {k: v for k, v in new.items() if v not in (None, "") and old.get(k) != v}


def plan_import(
    rows: list[tuple[int, Mapping[str, Any]]],
    facts: Facts,
    categories: Mapping[str, str],
    new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
) -> Plan:
    """Check every row and plan the writes: nothing to write unless every row is clean."""
    plan = Plan(rows=len(rows))
    grids = _Grids(facts.grids)
    households: dict[tuple[int, str], tuple[int, str, Planned | None, str]] = {}
    seen_ids: dict[str, int] = {}
    for number, cells in rows:
        row = _Row(plan, number, cells)
        grid = grids.find(row)
        doorplate = row.get("doorplate", required=True)
        head = row.get("head_name", required=True)
        address, household_phone = row.get("address"), row.phone("household_phone")
        name = row.get("name", required=True)
        id_raw = row.get("id_number", required=True).upper()
        birth_year: int | None = None
        sex: str | None = None
        if id_raw:
            checked = check_id_number(id_raw, facts.today)
            birth_year, sex = checked.birth_year, checked.sex
            if not checked.ok:
                row.fail("id_number", _ID_REASONS[checked.reason or "format"]())
            elif id_raw in seen_ids:
                row.fail("id_number", _("Same ID number as row %(n)s.", n=seen_ids[id_raw]))
            else:
                seen_ids[id_raw] = number
        phone = row.phone("phone")
        relation = row.get("relation")
        raw_category = row.get("category")
        category = categories.get(raw_category.casefold()) if raw_category else "resident"
        if category is None:
            row.fail("category", _("Unknown category."))
        arrival = row.day("arrival_date", facts.today)
        certificate = row.day("certificate_date", facts.today)
        origin, notes = row.get("origin"), row.get("notes")
        if grid is None or row.failed:
            continue

        key = (grid.id, doorplate)
        if key in households:
            first_row, first_head, _planned, household_id = households[key]
            if first_head != head:
                row.fail(
                    "head_name", _("Row %(n)s gives this household another head.", n=first_row)
                )
                continue
        else:
            wanted = {
                "area_id": grid.id,
                "head_name": head,
                "address": address,
                "doorplate": doorplate,
                "phone": household_phone,
            }
            existing = facts.households.get(key)
            planned: Planned | None
            if existing is None:
                household_id = new_id()
                planned = Planned("households", household_id, wanted, None)
                plan.new_households += 1
            else:
                household_id = existing.id
                changed = _changes(wanted, existing.values)
                changed.pop("area_id", None)
                planned = (
                    Planned("households", household_id, changed, existing.rev) if changed else None
                )
            if planned is not None:
                plan.households.append(planned)
            households[key] = (number, head, planned, household_id)

        person = {
            "household_id": household_id,
            "name": name,
            "sex": sex,
            "birth_year": birth_year,
            "id_number": id_raw,
            "phone": phone,
            "relation": relation,
            "category": category,
            "arrival_date": arrival.isoformat() if arrival else None,
            "origin": origin,
            "certificate_date": certificate.isoformat() if certificate else None,
            "notes": notes,
        }
        known = facts.persons.get(id_raw)
        if known is None:
            # The ledger's rule (people.rules.required_measure): a new returnee whose
            # category calls for a measure is imported with none and the reason why, so
            # the grid worker and the supervisor's returnee list pick it up to decide.
            certificate_now = certificate_state(certificate, arrival, facts.today)
            if required_measure(category or "resident", certificate_now) != MeasureKind.NONE:
                person["measure_reason"] = _(
                    "Imported: the measure is to be set by the grid worker."
                )
            plan.persons.append(Planned("persons", new_id(), person, None))
            plan.new_persons += 1
            continue
        if not known.in_scope:
            row.fail("id_number", _("This ID number is registered outside your area."))
            continue
        if str(known.values.get("household_id")) != household_id:
            row.fail("id_number", _("This ID number is registered in another household."))
            continue
        changed = _changes(person, known.values)
        if changed:
            plan.persons.append(Planned("persons", known.id, changed, known.rev))
        else:
            plan.unchanged += 1
    if plan.issues:
        plan.households.clear()
        plan.persons.clear()
    return plan
