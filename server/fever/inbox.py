"""What the township health centre's inbox and a report's own page read: each report with
its clinic, village, both "seen at" times, the two-hour clock and its escalation.

The clocks are judged by server/fever/rules.py from plain times read here; nothing in this
module decides a rule.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.guard import Principal, in_subtree
from server.accounts.models import User
from server.areas.models import Area, Facility
from server.areas.values import AreaLevel
from server.config import Settings
from server.fever import rules
from server.fever.models import FeverEvent, FeverReport
from server.fever.values import FeverEventKind, FeverState

#: reports with a result stay in the inbox this long after it came
DONE_KEPT = timedelta(days=3)
#: most reports one inbox page shows (the open ones first)
INBOX_LIMIT = 200


def limits_of(settings: Settings) -> rules.Limits:
    """The escalation limits the settings give (WANGGE_FEVER_*)."""
    return rules.Limits(
        acknowledge=timedelta(minutes=settings.fever_ack_minutes),
        sample=timedelta(hours=settings.fever_sample_hours),
        result=timedelta(hours=settings.fever_result_hours),
    )


@dataclass(frozen=True, slots=True)
class EventRow:
    id: uuid.UUID
    kind: str
    at: datetime
    received_at: datetime
    by: int | None
    result: str | None
    sampler: str
    note: str
    #: the author's name (empty when the account is gone or the row came from the seed)
    by_name: str = ""


@dataclass(frozen=True, slots=True)
class InboxRow:
    """One report as the inbox shows it. ``phone`` is whole: the page masks it for readers
    who may not call."""

    id: uuid.UUID
    rev: int
    clinic: str
    village: str
    patient: str
    phone: str | None
    id_number: str | None
    sex: str | None
    age: int | None
    address: str
    temperature: float | None
    symptoms: list[str]
    seen_at_device: datetime
    seen_at: datetime
    received_at: datetime | None
    state: str
    result: str | None
    source: str
    person_id: uuid.UUID | None
    area_id: int
    deadline: datetime
    time_left: timedelta
    #: still "reported" after the two-hour clock ran out
    overdue: bool
    escalation: rules.Level
    events: list[EventRow] = field(default_factory=list)

    @property
    def corrected(self) -> bool:
        """The server's "seen at" differs from the device's claim (a wrong phone clock)."""
        return abs(self.seen_at - self.seen_at_device) >= timedelta(minutes=1)

    @property
    def urgent(self) -> bool:
        return self.overdue or self.escalation.escalated

    @property
    def results(self) -> list[EventRow]:
        """Every result event, in the order they came: a second one (from another phone or
        a later correction) is shown beside the first, never hidden behind it."""
        return [e for e in self.events if e.kind == FeverEventKind.RESULTED and e.result]

    @property
    def result_held(self) -> bool:
        """A result differs from the report's: the later one is held for a supervisor
        (the sync's review of a critical field) until decided."""
        return any(e.result != self.result for e in self.results)

    @property
    def time_left_minutes(self) -> int:
        return int(self.time_left.total_seconds() // 60)


def _steps(received: datetime | None, events: Iterable[EventRow]) -> rules.Steps:
    first: dict[str, datetime] = {}
    for e in events:
        moment = rules.step_time(e.at, e.received_at)
        if e.kind not in first or moment < first[e.kind]:
            first[e.kind] = moment
    return rules.Steps(
        received=received,
        acknowledged=first.get(FeverEventKind.ACKNOWLEDGED),
        sampled=first.get(FeverEventKind.SAMPLED),
        sent=first.get(FeverEventKind.SENT),
        resulted=first.get(FeverEventKind.RESULTED),
    )


async def _events(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[EventRow]]:
    found: dict[uuid.UUID, list[EventRow]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = await session.execute(
        select(FeverEvent, User.name)
        .outerjoin(User, User.id == FeverEvent.created_by)
        .where(FeverEvent.report_id.in_(ids), FeverEvent.deleted.is_(False))
        .order_by(FeverEvent.created_at, FeverEvent.rev)
    )
    for e, by_name in rows.all():
        found[e.report_id].append(
            EventRow(
                e.id,
                e.kind,
                e.at,
                e.created_at,
                e.created_by,
                e.result,
                e.sampler,
                e.note,
                by_name or "",
            )
        )
    return found


async def _places(
    session: AsyncSession, reports: Sequence[FeverReport]
) -> tuple[dict[int, str], dict[int, str]]:
    """Clinic names by facility id, village names by the reports' area ids."""
    fids = {r.facility_id for r in reports if r.facility_id is not None}
    clinics: dict[int, str] = {}
    if fids:
        rows = await session.execute(
            select(Facility.id, Facility.name).where(Facility.id.in_(fids))
        )
        clinics = {fid: name for fid, name in rows.all()}  # noqa: C416 - Row pairs
    area_ids = {r.area_id for r in reports}
    villages: dict[int, str] = {}
    if area_ids:
        parent = Area.__table__.alias("parent")
        places = await session.execute(
            select(Area.id, Area.level, Area.name, parent.c.name)
            .outerjoin(parent, parent.c.id == Area.parent_id)
            .where(Area.id.in_(area_ids))
        )
        for aid, level, name, parent_name in places.all():
            villages[aid] = parent_name if level == AreaLevel.GRID and parent_name else name
    return clinics, villages


def _row(
    r: FeverReport,
    events: list[EventRow],
    clinics: dict[int, str],
    villages: dict[int, str],
    now: datetime,
    limits: rules.Limits,
) -> InboxRow:
    return InboxRow(
        id=r.id,
        rev=r.rev,
        clinic=clinics.get(r.facility_id, "") if r.facility_id is not None else "",
        village=villages.get(r.area_id, ""),
        patient=r.patient_name,
        phone=r.patient_phone,
        id_number=r.patient_id_number,
        sex=r.sex,
        age=r.age,
        address=r.address,
        temperature=r.temperature,
        symptoms=list(r.symptoms or []),
        seen_at_device=r.seen_at_device,
        seen_at=r.seen_at,
        received_at=r.received_at,
        state=r.state,
        result=r.result,
        source=r.source,
        person_id=r.person_id,
        area_id=r.area_id,
        deadline=rules.deadline(r.seen_at),
        time_left=rules.time_left(r.seen_at, now),
        overdue=r.state == FeverState.REPORTED and now > rules.deadline(r.seen_at),
        escalation=rules.escalation(_steps(r.received_at, events), now, limits),
        events=events,
    )


def _order(rows: list[InboxRow]) -> list[InboxRow]:
    """Overdue and escalated first (the longest waiting first), then the newest."""
    urgent = sorted((r for r in rows if r.urgent), key=lambda r: r.seen_at)
    calm = sorted((r for r in rows if not r.urgent), key=lambda r: r.seen_at, reverse=True)
    return urgent + calm


async def inbox_rows(
    session: AsyncSession,
    principal: Principal,
    now: datetime,
    limits: rules.Limits,
    *,
    only_urgent: bool = False,
    limit: int = INBOX_LIMIT,
) -> list[InboxRow]:
    """The reports of the principal's subtree still open, and those resulted lately."""
    query = (
        select(FeverReport)
        .where(
            FeverReport.deleted.is_(False),
            in_subtree(FeverReport.area_id, principal),
            or_(
                FeverReport.state != FeverState.RESULTED,
                and_(FeverReport.updated_at >= now - DONE_KEPT, ~FeverReport.result.is_(None)),
            ),
        )
        # open reports of a bad day come before old finished ones when the limit bites
        .order_by(FeverReport.state == FeverState.RESULTED, FeverReport.seen_at.desc())
        .limit(limit)
    )
    reports = list((await session.execute(query)).scalars())
    events = await _events(session, [r.id for r in reports])
    clinics, villages = await _places(session, reports)
    rows = [_row(r, events[r.id], clinics, villages, now, limits) for r in reports]
    if only_urgent:
        rows = [r for r in rows if r.urgent]
    return _order(rows)


async def report_row(
    session: AsyncSession,
    principal: Principal,
    report_id: uuid.UUID,
    now: datetime,
    limits: rules.Limits,
) -> InboxRow | None:
    """One report of the principal's subtree (None when missing or out of scope)."""
    report = (
        await session.execute(
            select(FeverReport).where(
                FeverReport.id == report_id,
                FeverReport.deleted.is_(False),
                in_subtree(FeverReport.area_id, principal),
            )
        )
    ).scalar_one_or_none()
    if report is None:
        return None
    events = await _events(session, [report.id])
    clinics, villages = await _places(session, [report])
    return _row(report, events[report.id], clinics, villages, now, limits)


def shown_ids(rows: Iterable[Any]) -> list[str]:
    return [str(r.id) for r in rows]
