"""Read queries about fever reports, for pages: counts by state, the reports still waiting
for the next step, and the two-hour clock."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.guard import Principal, in_subtree, in_subtree_path
from server.areas.models import Area
from server.areas.queries import Groups
from server.fever.models import FeverReport
from server.fever.rules import REPORT_DEADLINE, report_timeliness
from server.fever.values import FeverState
from server.people.rules import mask_phone
from server.querying import LIST_LIMIT, PAGE_SIZE, Page, count_of, counts_by, page_offset

#: window for "late" fever reports
LATE_WINDOW = timedelta(days=7)


def _scope(principal: Principal, facility_id: int | None) -> ColumnElement[bool]:
    """One facility's reports (a sentinel's), else every report of the subtree."""
    if facility_id is not None:
        return and_(FeverReport.deleted.is_(False), FeverReport.facility_id == facility_id)
    return and_(FeverReport.deleted.is_(False), in_subtree(FeverReport.area_id, principal))


async def fever_by_state(
    session: AsyncSession,
    principal: Principal,
    *,
    facility_id: int | None = None,
    since: datetime | None = None,
) -> dict[str, int]:
    """Reports in each state, every state present (0 when none), in the states' order."""
    where = [_scope(principal, facility_id)]
    if since is not None:
        where.append(FeverReport.seen_at >= since)
    counts = await counts_by(
        session,
        select(FeverReport.state, func.count(FeverReport.id))
        .where(*where)
        .group_by(FeverReport.state),
    )
    return {state: counts.get(state, 0) for state in FeverState}


@dataclass(frozen=True, slots=True)
class FeverRow:
    """A report as a list shows it: the patient's phone masked."""

    patient: str
    phone: str
    seen_at: datetime
    state: str


@dataclass(frozen=True, slots=True)
class Waiting:
    count: int
    oldest: list[FeverRow]


async def fever_waiting(
    session: AsyncSession,
    principal: Principal,
    *,
    states: tuple[str, ...],
    older_than: datetime | None = None,
    facility_id: int | None = None,
) -> Waiting:
    """Reports still in `states` (optionally seen before `older_than`), oldest first."""
    where = [_scope(principal, facility_id), FeverReport.state.in_(states)]
    if older_than is not None:
        where.append(FeverReport.seen_at < older_than)
    count = await count_of(session, select(func.count(FeverReport.id)).where(*where))
    rows = await session.execute(
        select(FeverReport.patient_name, FeverReport.patient_phone, FeverReport.seen_at)
        .add_columns(FeverReport.state)
        .where(*where)
        .order_by(FeverReport.seen_at)
        .limit(LIST_LIMIT)
    )
    oldest = [
        FeverRow(patient=name, phone=mask_phone(phone), seen_at=seen, state=state)
        for name, phone, seen, state in rows.all()
    ]
    return Waiting(count=count, oldest=oldest)


def unacknowledged_cutoff(now: datetime) -> datetime:
    """Reports seen before this and still "reported" are past the two-hour clock."""
    return now - REPORT_DEADLINE


async def late_fever_reports(session: AsyncSession, principal: Principal, now: datetime) -> int:
    """Reports of the last 7 days that reached the server after the deadline, or never did.

    The deadline needs date arithmetic SQLite and PostgreSQL spell differently, so the
    window's (few) rows are read and fever.rules.report_timeliness judges each.
    """
    rows = await session.execute(
        select(FeverReport.seen_at, FeverReport.received_at).where(
            _scope(principal, None), FeverReport.seen_at >= now - LATE_WINDOW
        )
    )
    return sum(
        report_timeliness(seen, received, now) in {"late", "overdue"}
        for seen, received in rows.all()
    )


@dataclass(frozen=True, slots=True)
class GroupFever:
    by_state: dict[str, int]
    on_time: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_state.values())


async def fever_by_group(
    session: AsyncSession, groups: Groups, since: datetime, until: datetime, now: datetime
) -> dict[int, GroupFever]:
    """Reports of patients seen in [since, until) by state and how many came in time, per
    group. One day's reports are few: the rows are read and the rule judges each."""
    g, home = groups.group, groups.home
    rows = await session.execute(
        select(g.id, FeverReport.state, FeverReport.seen_at, FeverReport.received_at)
        .join(home, groups.under)
        .join(FeverReport, FeverReport.area_id == home.id)
        .where(
            groups.where,
            FeverReport.deleted.is_(False),
            FeverReport.seen_at >= since,
            FeverReport.seen_at < until,
        )
    )
    states: dict[int, dict[str, int]] = {}
    on_time: dict[int, int] = {}
    for gid, state, seen, received in rows.all():
        counts = states.setdefault(gid, dict.fromkeys(FeverState, 0))
        counts[state] = counts.get(state, 0) + 1
        if report_timeliness(seen, received, now) == "on_time":
            on_time[gid] = on_time.get(gid, 0) + 1
    return {gid: GroupFever(by_state=s, on_time=on_time.get(gid, 0)) for gid, s in states.items()}


@dataclass(frozen=True, slots=True)
class FeverListRow:
    id: str
    patient: str
    phone: str
    area: str
    seen_at: datetime
    received_at: datetime | None
    state: str
    timeliness: str


FEVER_SORTS = ("seen", "state", "area")


async def fever_reports_between(
    session: AsyncSession,
    area_path: str,
    *,
    since: datetime,
    until: datetime,
    state: str | None,
    now: datetime,
    sort: str,
    page: int,
) -> Page[FeverListRow]:
    """Reports of patients seen in [since, until) under `area_path`, optionally in one
    state; each judged on time or late by fever.rules.report_timeliness."""
    where = [
        FeverReport.deleted.is_(False),
        FeverReport.seen_at >= since,
        FeverReport.seen_at < until,
        in_subtree_path(Area.path, area_path),
    ]
    if state is not None:
        where.append(FeverReport.state == state)
    base = (
        select(FeverReport.id, FeverReport.patient_name, FeverReport.patient_phone, Area.name)
        .add_columns(FeverReport.seen_at, FeverReport.received_at, FeverReport.state)
        .join(Area, Area.id == FeverReport.area_id)
        .where(*where)
    )
    total = await count_of(session, select(func.count()).select_from(base.subquery()))
    order = {"seen": FeverReport.seen_at, "state": FeverReport.state, "area": Area.code}[sort]
    rows = await session.execute(
        base.order_by(order, FeverReport.id).offset(page_offset(page)).limit(PAGE_SIZE)
    )
    return Page(
        [
            FeverListRow(
                str(rid),
                name,
                mask_phone(phone),
                area,
                seen,
                received,
                st,
                report_timeliness(seen, received, now),
            )
            for rid, name, phone, area, seen, received, st in rows.all()
        ],
        total,
        page,
    )


async def fever_seen_between(
    session: AsyncSession, area_path: str, since: datetime, until: datetime
) -> list[tuple[datetime, datetime | None]]:
    """(seen at, received at) of the reports under `area_path` whose patient was seen in
    [since, until): one statement, for the per-day chart (rules.timeliness_by_day)."""
    rows = await session.execute(
        select(FeverReport.seen_at, FeverReport.received_at)
        .join(Area, Area.id == FeverReport.area_id)
        .where(
            FeverReport.deleted.is_(False),
            FeverReport.seen_at >= since,
            FeverReport.seen_at < until,
            in_subtree_path(Area.path, area_path),
        )
    )
    return [(seen, received) for seen, received in rows.all()]


@dataclass(frozen=True, slots=True)
class PersonFever:
    """A fever lead from one of the person's checks, or a sentinel's report naming the
    person's ID number, as the person's page lists it."""

    id: uuid.UUID
    source: str
    seen_at: datetime
    temperature: float | None
    symptoms: list[str]
    state: str
    result: str | None


async def fever_of_person(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, id_number: str | None
) -> list[PersonFever]:
    """The reports about a person in the caller's subtree, newest first: the leads linked to
    the person, and reports whose patient ID number is the person's."""
    about = [FeverReport.person_id == person_id]
    if id_number:
        about.append(FeverReport.patient_id_number == id_number)
    rows = await session.execute(
        select(FeverReport)
        .where(_scope(principal, None), or_(*about))
        .order_by(FeverReport.seen_at.desc())
        .limit(LIST_LIMIT)
    )
    return [
        PersonFever(
            r.id, r.source, r.seen_at, r.temperature, list(r.symptoms or []), r.state, r.result
        )
        for r in rows.scalars()
    ]
