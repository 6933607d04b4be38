"""The collections a device syncs: model, kind, wire columns, writable and critical fields,
and how each record's area is found (docs/sync-protocol.md, "Collections").

Order matters: the position in ``REGISTRY`` is the collection's number in snapshot cursors
and the default order of a first sync (reference data, then today's work first).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from server.areas.models import Area, Facility
from server.fever.models import FeverEvent, FeverReport
from server.people.models import Household, Person
from server.quarantine.models import Check, Measure, Policy, Test
from server.reports.models import DailyReport
from server.sync.models import Conflict
from server.sync.schemas import SCHEMAS, Schema
from server.visits.models import Campaign, Visit

Kind = Literal["reference", "record", "append", "server"]
#: How the rows a user may read are chosen.
ReadScope = Literal["subtree", "subtree_or_ancestors", "areas", "all", "proposer"]


@dataclass(frozen=True, slots=True)
class Ref:
    """A field naming another record, which must exist, be live and be in scope."""

    field: str
    collection: str
    #: the record's area is the referenced record's area (first non-null such ref wins)
    area: bool = False


@dataclass(frozen=True, slots=True)
class Collection:
    name: str
    model: Any
    kind: Kind
    cols: tuple[str, ...]  # wire columns after "id" and "rev"
    read_scope: ReadScope = "subtree"
    schema: Schema | None = None
    required: frozenset[str] = frozenset()  # must be given when the record is created
    critical: frozenset[str] = frozenset()  # held for review on a concurrent edit
    immutable: frozenset[str] = frozenset()  # fixed once the record exists
    read_only: frozenset[str] = frozenset()  # on the wire, written by the server only
    refs: tuple[Ref, ...] = ()
    #: the record names its area itself (area_id in data; must be a grid in scope)
    own_area: bool = False
    #: (collection, field): live records there that block a delete of this one
    dependents: tuple[tuple[str, str], ...] = ()
    int_ids: bool = False
    writable: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        names = frozenset(self.schema.__struct_fields__) if self.schema else frozenset()
        object.__setattr__(self, "writable", names)

    @property
    def synced(self) -> bool:
        """Has the SyncedRecord columns (tombstones, field versions)."""
        return self.kind in ("record", "append")

    @property
    def has_rev(self) -> bool:
        return hasattr(self.model, "rev")


def _c(name: str, model: Any, kind: Kind, cols: str, **kw: Any) -> Collection:
    schema = SCHEMAS.get(name) if kind in ("record", "append") else None
    return Collection(name, model, kind, tuple(cols.split()), schema=schema, **kw)


REGISTRY: tuple[Collection, ...] = (
    _c(
        "areas",
        Area,
        "reference",
        "parent_id level name code path lead_name lead_phone",
        read_scope="areas",
        int_ids=True,
    ),
    _c(
        "facilities",
        Facility,
        "reference",
        "area_id kind name phone",
        read_scope="subtree_or_ancestors",
        int_ids=True,
    ),
    _c(
        "policies",
        Policy,
        "reference",
        "kind version duration_days test_days checks_per_day effective_from note",
        read_scope="all",
        int_ids=True,
    ),
    _c(
        "campaigns",
        Campaign,
        "reference",
        "area_id name starts_on ends_on",
        read_scope="subtree_or_ancestors",
        int_ids=True,
    ),
    _c(
        "measures",
        Measure,
        "record",
        "area_id person_id kind policy_id start_date end_date status place",
        required=frozenset({"person_id", "kind", "start_date"}),
        critical=frozenset({"kind", "start_date", "end_date", "status"}),
        immutable=frozenset({"person_id"}),
        refs=(Ref("person_id", "persons", area=True), Ref("policy_id", "policies")),
    ),
    _c(
        "persons",
        Person,
        "record",
        "area_id household_id name sex birth_year id_number phone relation category "
        "arrival_date origin certificate_date measure notes",
        required=frozenset({"household_id", "name"}),
        critical=frozenset({"measure", "household_id"}),
        refs=(Ref("household_id", "households", area=True),),
        dependents=(("measures", "person_id"),),
    ),
    _c(
        "households",
        Household,
        "record",
        "area_id head_name address doorplate phone notes",
        required=frozenset({"area_id", "head_name"}),
        immutable=frozenset({"area_id"}),
        own_area=True,
        dependents=(("persons", "household_id"),),
    ),
    _c(
        "visits",
        Visit,
        "append",
        "area_id household_id visited_at outcome checklist notes",
        required=frozenset({"household_id", "visited_at"}),
        refs=(Ref("household_id", "households", area=True),),
    ),
    _c(
        "checks",
        Check,
        "append",
        "area_id measure_id person_id check_date slot temperature symptoms at_home needs "
        "checked_at",
        required=frozenset({"measure_id", "person_id", "check_date", "slot", "checked_at"}),
        refs=(Ref("person_id", "persons", area=True), Ref("measure_id", "measures")),
    ),
    _c(
        "tests",
        Test,
        "record",
        "area_id person_id measure_id fever_report_id reason due_date sampled_at result result_at",
        critical=frozenset({"result"}),
        immutable=frozenset({"person_id", "measure_id", "fever_report_id"}),
        refs=(
            Ref("person_id", "persons", area=True),
            Ref("fever_report_id", "fever_reports", area=True),
            Ref("measure_id", "measures"),
        ),
    ),
    _c(
        "daily_reports",
        DailyReport,
        "record",
        "area_id report_date is_zero households_visited new_returnees under_measure "
        "checks_done fever_found notes submitted_at",
        required=frozenset({"area_id", "report_date"}),
        immutable=frozenset({"area_id", "report_date"}),
        own_area=True,
    ),
    _c(
        "fever_reports",
        FeverReport,
        "record",
        "area_id facility_id patient_name patient_phone patient_id_number sex age address "
        "temperature symptoms seen_at_device seen_at received_at state result",
        required=frozenset({"facility_id", "patient_name", "seen_at_device"}),
        # state and result are derived from fever_events; a second, different result is
        # held for review like a device's concurrent edit of a critical field.
        critical=frozenset({"state", "result"}),
        immutable=frozenset({"facility_id"}),
        read_only=frozenset({"seen_at", "received_at", "state", "result"}),
        refs=(Ref("facility_id", "facilities", area=True),),
    ),
    _c(
        "fever_events",
        FeverEvent,
        "append",
        "area_id report_id kind at result note",
        required=frozenset({"report_id", "kind", "at"}),
        refs=(Ref("report_id", "fever_reports", area=True),),
    ),
    _c(
        "conflicts",
        Conflict,
        "server",
        "area_id collection record_id field critical status kept_value kept_hlc "
        "proposed_value proposed_hlc mutation_id created_at resolved_at resolution_value",
        read_scope="proposer",
    ),
)

BY_NAME: dict[str, Collection] = {c.name: c for c in REGISTRY}
INDEX: dict[str, int] = {c.name: i for i, c in enumerate(REGISTRY)}


def get(name: str) -> Collection:
    return BY_NAME[name]
