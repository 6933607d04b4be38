"""Policies (reference data), measures, checks and tests as devices sync them, with the
rules the server applies when a device writes them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any

from msgspec import Meta
from sqlalchemy import Boolean, String, Uuid, column, select, table

from server.alerts.service import raise_alert
from server.alerts.values import AlertKind
from server.areas.models import Area, Facility
from server.areas.values import AreaLevel, FacilityKind
from server.i18n import gettext as _
from server.people.rules import needs_fever_lead
from server.people.values import MeasureKind
from server.quarantine.models import Check, Measure, Policy, Test
from server.quarantine.rules import (
    MAX_DURATION_DAYS,
    POLICY_KINDS,
    PolicyRule,
    new_version_problem,
    next_version,
)
from server.quarantine.values import CheckSlot, MeasureStatus, TestResult
from server.sync.spec.collections import (
    ID,
    MOMENT,
    SYMPTOMS,
    TEMPERATURE,
    Change,
    Effect,
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


#: the columns of fever_reports a check's lead looks at: the fever domain is named by its
#: collection, not imported (it reads the quarantine domain's codes)
FEVER_REPORTS_TABLE = table(
    "fever_reports",
    column("id", Uuid()),
    column("person_id", Uuid()),
    column("deleted", Boolean()),
    column("state", String()),
)


async def _village_clinic(ctx: HookContext, area_id: int) -> Facility | None:
    """The village clinic of the village a grid lies in (the lowest id when there are two)."""
    area = await ctx.session.get(Area, area_id)
    if area is None:
        return None
    village = area.parent_id if area.level == AreaLevel.GRID else area.id
    return (
        await ctx.session.execute(
            select(Facility)
            .where(Facility.area_id == village, Facility.kind == FacilityKind.VILLAGE_CLINIC)
            .order_by(Facility.id)
            .limit(1)
        )
    ).scalar_one_or_none()


async def fever_lead(ctx: HookContext, check: Any) -> Effect | None:
    """A fever or a fever/cough symptom found at a check becomes a fever lead (a fever
    report of source "check") for the village clinic and the township health centre,
    linked to the person, once while the person has an open one."""
    if not needs_fever_lead(check.temperature, check.symptoms):
        return None
    open_lead = await ctx.session.scalar(
        select(FEVER_REPORTS_TABLE.c.id)
        .where(
            FEVER_REPORTS_TABLE.c.person_id == check.person_id,
            FEVER_REPORTS_TABLE.c.deleted.is_(False),
            FEVER_REPORTS_TABLE.c.state != "resulted",
        )
        .limit(1)
    )
    if open_lead is not None:
        return None
    person = await ctx.load("persons", check.person_id)
    household = await ctx.load("households", person.household_id)
    clinic = await _village_clinic(ctx, check.area_id)
    values: Mapping[str, Any] = {
        "area_id": clinic.area_id if clinic is not None else check.area_id,
        "facility_id": clinic.id if clinic is not None else None,
        "source": "check",
        "person_id": person.id,
        "patient_name": person.name,
        "patient_phone": person.phone or household.phone,
        "patient_id_number": person.id_number,
        "sex": person.sex,
        "age": ctx.now.year - person.birth_year if person.birth_year else None,
        "address": household.address,
        "temperature": check.temperature,
        "symptoms": list(check.symptoms or []),
        "seen_at_device": check.checked_at,
    }
    await ctx.insert("fever_reports", values)
    return None


async def positive_result(ctx: HookContext, test: Any) -> None:
    if test.result == TestResult.POSITIVE:
        await raise_alert(
            ctx.session,
            kind=AlertKind.POSITIVE,
            area_id=test.area_id,
            at=ctx.now,
            person_id=test.person_id,
            report_id=test.fever_report_id,
            source="tests",
        )


async def result_added(ctx: HookContext, test: Any) -> Effect | None:
    await positive_result(ctx, test)
    return None


async def result_changed(
    ctx: HookContext, test: Any, written: Mapping[str, Any], _before: Mapping[str, Any]
) -> Effect | None:
    if "result" in written:
        await positive_result(ctx, test)
    return None


def policy_rule(p: Any) -> PolicyRule:
    """A stored policy version as the pure rules take it."""
    return PolicyRule(
        kind=p.kind,
        version=p.version,
        duration_days=p.duration_days,
        test_days=tuple(p.test_days),
        checks_per_day=p.checks_per_day,
        effective_from=p.effective_from,
    )


async def stored_versions(ctx: HookContext, kind: str) -> list[PolicyRule]:
    rows = (await ctx.session.execute(select(Policy).where(Policy.kind == kind))).scalars()
    return [policy_rule(p) for p in rows]


def policy_message(reason: str) -> str:
    """What a person reads for a reason of rules.new_version_problem."""
    return {
        "kind": _("Choose a measure that follows a policy."),
        "duration": _("The duration must be 1 to %(n)s days.", n=MAX_DURATION_DAYS),
        "test_days": _(
            "Test days count from day 0 (the first day), each before the release day, "
            "increasing and without repeats."
        ),
        "checks": _("Checks per day must be 1 or 2."),
        "past": _(
            "A new version starts today or later: measures already opened keep their version."
        ),
        "before_latest": _("A new version cannot start before the latest version of its kind."),
    }[reason]


async def validate_policy(ctx: HookContext, change: Change) -> None:
    """A new version: a sound rule, starting no earlier than its kind's latest. Stored
    versions never change (every field is immutable): measures opened under a version
    keep its end date and test days."""
    v = change.values
    problem = new_version_problem(
        v["kind"],
        v["duration_days"],
        v.get("test_days") or (),
        v.get("checks_per_day") or 2,
        v["effective_from"],
        await stored_versions(ctx, v["kind"]),
    )
    if problem is not None:
        raise Rejected("invalid", policy_message(problem[1]), problem[0])


async def number_the_version(ctx: HookContext, policy: Any, _data: Mapping[str, Any]) -> Effect:
    """The server numbers versions, one above the kind's highest (page writes hold the
    change counter's lock, so two admins never take the same number)."""
    policy.version = next_version(policy.kind, await stored_versions(ctx, policy.kind))
    return Effect(server_set=True)


POLICY_FIELDS = frozenset(
    {"kind", "duration_days", "test_days", "checks_per_day", "effective_from", "note"}
)
POLICIES = declare(
    "policies",
    Policy,
    "reference",
    "kind version duration_days test_days checks_per_day effective_from note",
    lambda: _("policies"),
    read_scope="all",
    int_ids=True,
    required=frozenset({"kind", "duration_days", "effective_from"}),
    immutable=POLICY_FIELDS,
    hooks=Hooks(validate=validate_policy, before_insert=number_the_version),
    fields={
        "kind": one_of(POLICY_KINDS),
        "duration_days": whole(1, MAX_DURATION_DAYS),
        "test_days": Annotated[
            list[Annotated[int, Meta(ge=0, le=MAX_DURATION_DAYS)]],
            Meta(max_length=MAX_DURATION_DAYS),
        ],
        "checks_per_day": whole(1, len(CheckSlot)),
        "effective_from": date,
        "note": fits(Policy.note),
    },
)


async def validate_measure(_ctx: HookContext, change: Change) -> None:
    """A new measure follows a version of its own kind's policy (the one in force on its
    start day, as the phone knew the versions; a running measure keeps it)."""
    policy = change.refs.get("policy_id")
    if change.record is None and policy is not None and policy.kind != change.values.get("kind"):
        raise Rejected("invalid", _("The policy is for another measure."), "policy_id")


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
    hooks=Hooks(validate=validate_measure),
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
    hooks=Hooks(validate=measure_of_the_person, after_insert=fever_lead),
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
    hooks=Hooks(validate=validate_test, after_insert=result_added, after_update=result_changed),
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
