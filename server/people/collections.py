"""Households and persons as devices sync them, with what a person's write triggers."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import Boolean, Uuid, column, exists, select, table

from server.alerts.service import raise_alert
from server.alerts.values import AlertKind
from server.audit import log as audit_log
from server.i18n import gettext as _
from server.people import checks
from server.people.models import Household, Person, RiskArea
from server.people.rules import (
    mask_id_number,
    mask_phone,
    needs_special_report,
    risk_area_problem,
)
from server.people.values import HealthCode, MeasureKind, PersonCategory, RiskLevel
from server.sync.spec.collections import (
    AREA_ID,
    ID,
    Change,
    Effect,
    HookContext,
    Hooks,
    Ref,
    Rejected,
    declare,
    fits,
    name,
    one_of,
    whole,
)


async def special_report(ctx: HookContext, person: Any) -> None:
    """特报: a high-risk arrival is listed for supervisors at once, and raises an alert to
    the town's supervisors and health centre (live on their pages)."""
    await raise_alert(
        ctx.session,
        kind=AlertKind.ARRIVAL,
        area_id=person.area_id,
        at=ctx.now,
        person_id=person.id,
        source=person.category,
    )
    audit_log.record(
        ctx.session,
        at=ctx.now,
        user_id=ctx.user_id,
        action="special_report",
        entity="persons",
        entity_id=str(person.id),
        area_id=person.area_id,
        detail={"category": person.category, "mutation": str(ctx.mutation_id)},
    )


async def person_added(ctx: HookContext, person: Any) -> Effect | None:
    if needs_special_report(person.category):
        await special_report(ctx, person)
    return None


async def person_changed(
    ctx: HookContext, person: Any, written: Mapping[str, Any], before: Mapping[str, Any]
) -> Effect | None:
    # only on becoming one: a change of a special arrival's notes is no new arrival
    category = written.get("category")
    becomes = category is not None and needs_special_report(category)
    if becomes and not needs_special_report(before["category"]):
        await special_report(ctx, person)
    return None


async def validate_household(ctx: HookContext, change: Change) -> None:
    checks.check_phone_field(change, "phone")


# The measures table by name: its domain (quarantine) imports this one.
_MEASURES = table("measures", column("person_id", Uuid()), column("deleted", Boolean()))


async def _had_a_measure(ctx: HookContext, person_id: Any) -> bool:
    """A measure was recorded for the person: "none" is then its end (a release), not a
    measure skipped."""
    if not isinstance(person_id, uuid.UUID):
        return False
    found = await ctx.session.scalar(
        select(exists().where(_MEASURES.c.person_id == person_id, _MEASURES.c.deleted.is_(False)))
    )
    return bool(found)


async def validate_person(ctx: HookContext, change: Change) -> None:
    checks.check_id_field(change, "id_number", ctx.now)
    checks.check_phone_field(change, "phone")
    checks.check_past_field(change, "arrival_date", ctx.now)
    checks.check_past_field(change, "certificate_date", ctx.now)
    if checks.measure_missing(change, ctx.now) and not await _had_a_measure(ctx, change.id):
        raise checks.measure_required()
    contact = change.refs.get("contact_of")
    if contact is not None:
        household = change.values.get("household_id")
        if contact.household_id != household or contact.id == change.id:
            raise Rejected(
                "invalid",
                _("A close contact must be another person of the household."),
                "contact_of",
            )


HOUSEHOLDS = declare(
    "households",
    Household,
    "record",
    "area_id head_name address doorplate phone notes",
    lambda: _("households"),
    required=frozenset({"area_id", "head_name"}),
    immutable=frozenset({"area_id"}),
    own_area=True,
    dependents=(("persons", "household_id"),),
    hooks=Hooks(validate=validate_household),
    masks={"phone": mask_phone},
    fields={
        "area_id": AREA_ID,
        "head_name": name(Household.head_name),
        "address": fits(Household.address),
        "doorplate": fits(Household.doorplate),
        "phone": fits(Household.phone) | None,
        "notes": fits(Household.notes),
    },
)
PERSONS = declare(
    "persons",
    Person,
    "record",
    "area_id household_id name sex birth_year id_number phone relation category "
    "arrival_date origin certificate_date measure notes origin_province origin_city "
    "origin_district transport itinerary health_code quarantine_place contact_of measure_reason",
    lambda: _("persons"),
    required=frozenset({"household_id", "name"}),
    critical=frozenset({"household_id", "measure", "id_number"}),
    refs=(Ref("household_id", "households", area=True), Ref("contact_of", "persons")),
    dependents=(("measures", "person_id"),),
    hooks=Hooks(validate=validate_person, after_insert=person_added, after_update=person_changed),
    masks={"id_number": mask_id_number, "phone": mask_phone},
    fields={
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
        "origin_province": fits(Person.origin_province),
        "origin_city": fits(Person.origin_city),
        "origin_district": fits(Person.origin_district),
        "transport": fits(Person.transport),
        "itinerary": fits(Person.itinerary),
        "health_code": one_of(HealthCode) | None,
        "quarantine_place": fits(Person.quarantine_place),
        "contact_of": ID | None,
        "measure_reason": fits(Person.measure_reason),
    },
)


def risk_area_message(reason: str) -> str:
    """What a person reads for a reason of rules.risk_area_problem."""
    return {
        "province": _("Enter the province."),
        "city": _("A district needs its city."),
        "level": _("Choose medium or high risk."),
        "to_before_from": _("The end date cannot be before the start date."),
        "overlap": _("This place is already listed for some of these days: end that entry first."),
    }[reason]


async def validate_risk_area(ctx: HookContext, change: Change) -> None:
    v = change.values
    province, city, district = v["province"], v.get("city") or "", v.get("district") or ""
    same_place = select(RiskArea.effective_from, RiskArea.effective_to).where(
        RiskArea.province == province, RiskArea.city == city, RiskArea.district == district
    )
    if change.id is not None:
        same_place = same_place.where(RiskArea.id != change.id)
    others = [(f, t) for f, t in (await ctx.session.execute(same_place)).all()]
    problem = risk_area_problem(
        province, city, district, v["level"], v["effective_from"], v.get("effective_to"), others
    )
    if problem is not None:
        raise Rejected("invalid", risk_area_message(problem[1]), problem[0])


RISK_AREAS = declare(
    "risk_areas",
    RiskArea,
    "reference",
    "province city district level effective_from effective_to",
    lambda: _("risk areas"),
    read_scope="all",
    int_ids=True,
    required=frozenset({"province", "level", "effective_from"}),
    # the place is what the entry is; a change of place is a new entry
    immutable=frozenset({"province", "city", "district"}),
    hooks=Hooks(validate=validate_risk_area),
    fields={
        "province": fits(RiskArea.province),
        "city": fits(RiskArea.city),
        "district": fits(RiskArea.district),
        "level": one_of(RiskLevel),
        "effective_from": date,
        "effective_to": date | None,
    },
)
