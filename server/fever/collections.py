"""Fever reports and their events as devices sync them: the report's times are put on the
server's clock, and each event moves its report on (server/fever/rules.py)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from server.alerts import live
from server.alerts.service import raise_alert
from server.alerts.values import AlertKind
from server.areas.models import Area
from server.fever import rules
from server.fever.models import FeverEvent, FeverReport
from server.fever.values import FeverEventKind, FeverSource, FeverState
from server.i18n import gettext as _
from server.people import checks
from server.people.rules import mask_id_number, mask_phone
from server.quarantine.values import TestResult
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
    name,
    one_of,
    whole,
)

#: A device clock off by more than this has its fever "seen at" times corrected.
FEVER_CORRECTION_THRESHOLD_MS = 2 * 60 * 1000


def seen_at(ctx: HookContext, seen_at_device: datetime) -> datetime:
    """The device's "seen at" on the server's clock, never past the receipt plus the
    allowed clock lead (rules.seen_at_on_server); the device's claim stays in
    ``seen_at_device``."""
    return rules.seen_at_on_server(
        seen_at_device,
        ctx.clock_offset_ms,
        ctx.now,
        ctx.max_lead_ms,
        FEVER_CORRECTION_THRESHOLD_MS,
    )


async def announce(ctx: HookContext, area_id: int) -> None:
    """Open inboxes refresh once this write commits, on every server process."""
    path = await ctx.session.scalar(select(Area.path).where(Area.id == area_id))
    if path is not None:
        await live.announce(ctx.session, path)


async def report_received(ctx: HookContext, report: Any, data: Mapping[str, Any]) -> Effect:
    """The two-hour clock runs on the server's view of when the patient was seen."""
    report.seen_at = seen_at(ctx, data["seen_at_device"])
    report.received_at = ctx.now
    report.state = FeverState.REPORTED
    report.result = None
    if not report.source:
        report.source = FeverSource.SENTINEL
    await announce(ctx, report.area_id)
    return Effect(server_set=True)


async def report_changed(
    ctx: HookContext, report: Any, written: Mapping[str, Any], _before: Mapping[str, Any]
) -> Effect | None:
    await announce(ctx, report.area_id)
    if "seen_at_device" not in written:
        return None
    report.seen_at = seen_at(ctx, written["seen_at_device"])
    return Effect(server_set=True)


async def validate_report(ctx: HookContext, change: Change) -> None:
    checks.check_id_field(change, "patient_id_number", ctx.now)
    checks.check_phone_field(change, "patient_phone")


async def validate_event(_ctx: HookContext, change: Change) -> None:
    values = change.values
    if values.get("result") is not None and values.get("kind") != FeverEventKind.RESULTED:
        raise Rejected("invalid", _("Only a result event carries a result."), "result")


async def advance_report(ctx: HookContext, event: Any) -> Effect | None:
    """A fever event moves its report on: state from all its events (they arrive in any
    order); a result fills an empty result, and a different second result waits for a
    supervisor."""
    report = await ctx.load("fever_reports", event.report_id)
    kinds = (
        await ctx.session.execute(
            select(FeverEvent.kind).where(
                FeverEvent.report_id == report.id, FeverEvent.deleted.is_(False)
            )
        )
    ).scalars()
    values: dict[str, Any] = {}
    state = rules.state_from_events(kinds)
    if state != report.state:
        values["state"] = state
    effect: Effect | None = None
    if event.result is not None:
        if report.result is None:
            values["result"] = event.result
        elif report.result != event.result:
            conflict = await ctx.hold("fever_reports", report, "result", event.result)
            effect = Effect(held=("result",), conflicts=(conflict,))
    if values:
        await ctx.write("fever_reports", report, values)
    if event.result == TestResult.POSITIVE:
        await raise_alert(
            ctx.session,
            kind=AlertKind.POSITIVE,
            area_id=report.area_id,
            at=ctx.now,
            person_id=report.person_id,
            report_id=report.id,
            source="fever_events",
        )
    await announce(ctx, report.area_id)
    return effect


FEVER_REPORTS = declare(
    "fever_reports",
    FeverReport,
    "record",
    "area_id facility_id patient_name patient_phone patient_id_number sex age address "
    "temperature symptoms seen_at_device seen_at received_at state result source person_id "
    "birth_year village onset_date note",
    lambda: _("fever reports"),
    required=frozenset({"facility_id", "patient_name", "seen_at_device"}),
    # state and result are derived from fever_events; a second, different result is
    # held for review like a device's concurrent edit of a critical field.
    critical=frozenset({"state", "result"}),
    immutable=frozenset({"facility_id"}),
    read_only=frozenset({"seen_at", "received_at", "state", "result", "source", "person_id"}),
    refs=(Ref("facility_id", "facilities", area=True),),
    hooks=Hooks(
        validate=validate_report, before_insert=report_received, after_update=report_changed
    ),
    review_schemas={"result": one_of(TestResult) | None},
    masks={"patient_phone": mask_phone, "patient_id_number": mask_id_number},
    fields={
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
        "birth_year": whole(1880, 2100) | None,
        "village": fits(FeverReport.village),
        "onset_date": date | None,
        "note": fits(FeverReport.note),
    },
)
FEVER_EVENTS = declare(
    "fever_events",
    FeverEvent,
    "append",
    "area_id report_id kind at result note sampler",
    lambda: _("fever report events"),
    required=frozenset({"report_id", "kind", "at"}),
    refs=(Ref("report_id", "fever_reports", area=True),),
    hooks=Hooks(validate=validate_event, after_insert=advance_report),
    fields={
        "report_id": ID,
        "kind": one_of(FeverEventKind),
        "at": MOMENT,
        # a lab answers negative or positive; "pending" is the absence of an answer
        "result": one_of(r for r in TestResult if r is not TestResult.PENDING) | None,
        "note": fits(FeverEvent.note),
        "sampler": fits(FeverEvent.sampler),
    },
)
