"""Households and persons as devices sync them, with what a person's write triggers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from server.alerts.service import raise_alert
from server.alerts.values import AlertKind
from server.audit import log as audit_log
from server.i18n import gettext as _
from server.people.models import Household, Person
from server.people.rules import mask_id_number, mask_phone, needs_special_report
from server.people.values import MeasureKind, PersonCategory
from server.sync.spec.collections import (
    AREA_ID,
    ID,
    Effect,
    HookContext,
    Hooks,
    Ref,
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
    "arrival_date origin certificate_date measure notes",
    lambda: _("persons"),
    required=frozenset({"household_id", "name"}),
    critical=frozenset({"household_id", "measure"}),
    refs=(Ref("household_id", "households", area=True),),
    dependents=(("measures", "person_id"),),
    hooks=Hooks(after_insert=person_added, after_update=person_changed),
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
    },
)
