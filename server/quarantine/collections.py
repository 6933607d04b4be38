"""Policies (reference data), measures, checks and tests as devices sync them, with the
rules the server applies when a device writes them."""

from __future__ import annotations

from datetime import date

from server.i18n import gettext as _
from server.people.values import MeasureKind
from server.quarantine.models import Check, Measure, Policy, Test
from server.quarantine.values import CheckSlot, MeasureStatus, TestResult
from server.sync.spec.collections import (
    ID,
    MOMENT,
    SYMPTOMS,
    TEMPERATURE,
    Change,
    HookContext,
    Hooks,
    Ref,
    Rejected,
    declare,
    fits,
    one_of,
    whole,
)


async def measure_of_the_person(_ctx: HookContext, change: Change) -> None:
    """A check's or test's measure must belong to the person it names."""
    measure = change.refs.get("measure_id")
    person_id = change.values.get("person_id")
    if measure is not None and person_id is not None and measure.person_id != person_id:
        raise Rejected("invalid", _("The measure belongs to another person."), "measure_id")


async def validate_test(ctx: HookContext, change: Change) -> None:
    values = change.values
    if values.get("person_id") is None and not values.get("fever_report_id"):
        raise Rejected("invalid", _("A test needs a person or a fever report."), "person_id")
    await measure_of_the_person(ctx, change)


POLICIES = declare(
    "policies",
    Policy,
    "reference",
    "kind version duration_days test_days checks_per_day effective_from note",
    lambda: _("policies"),
    read_scope="all",
    int_ids=True,
)
MEASURES = declare(
    "measures",
    Measure,
    "record",
    "area_id person_id kind policy_id start_date end_date status place",
    lambda: _("measures"),
    required=frozenset({"person_id", "kind", "start_date"}),
    critical=frozenset({"kind", "start_date", "end_date", "status"}),
    immutable=frozenset({"person_id"}),
    refs=(Ref("person_id", "persons", area=True), Ref("policy_id", "policies")),
    fields={
        "person_id": ID,
        "kind": one_of(MeasureKind),
        "policy_id": whole(1, 2**31 - 1) | None,
        "start_date": date,
        "end_date": date | None,
        "status": one_of(MeasureStatus),
        "place": fits(Measure.place),
    },
)
CHECKS = declare(
    "checks",
    Check,
    "append",
    "area_id measure_id person_id check_date slot temperature symptoms at_home needs checked_at",
    lambda: _("checks"),
    required=frozenset({"measure_id", "person_id", "check_date", "slot", "checked_at"}),
    refs=(Ref("person_id", "persons", area=True), Ref("measure_id", "measures")),
    hooks=Hooks(validate=measure_of_the_person),
    fields={
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
)
TESTS = declare(
    "tests",
    Test,
    "record",
    "area_id person_id measure_id fever_report_id reason due_date sampled_at result result_at",
    lambda: _("tests"),
    critical=frozenset({"result"}),
    immutable=frozenset({"person_id", "measure_id", "fever_report_id"}),
    refs=(
        Ref("person_id", "persons", area=True),
        Ref("fever_report_id", "fever_reports", area=True),
        Ref("measure_id", "measures"),
    ),
    hooks=Hooks(validate=validate_test),
    fields={
        "person_id": ID | None,
        "measure_id": ID | None,
        "fever_report_id": ID | None,
        "reason": fits(Test.reason),
        "due_date": date | None,
        "sampled_at": MOMENT | None,
        "result": one_of(TestResult),
        "result_at": MOMENT | None,
    },
)
