"""Read queries about reminders, for the supervisor's pages."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from server.accounts.guard import in_subtree_path
from server.accounts.models import User
from server.areas.models import Area
from server.people.models import Person
from server.querying import PAGE_SIZE, Page, count_of, page_offset
from server.reminders.models import Reminder
from server.reminders.values import ReminderKind, ReminderState


@dataclass(frozen=True, slots=True)
class Mark:
    """What a list row shows of the last reminder about it."""

    sent_at: datetime
    read_at: datetime | None


async def report_marks(
    session: AsyncSession, day: date, grid_ids: Iterable[int]
) -> dict[int, Mark]:
    """The last reminder about each grid's missing report of `day`, by grid id."""
    ids = list(grid_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(Reminder.area_id, Reminder.sent_at, Reminder.read_at)
        .where(
            Reminder.kind == ReminderKind.MISSING_DAILY_REPORT,
            Reminder.subject_date == day,
            Reminder.area_id.in_(ids),
            Reminder.deleted.is_(False),
        )
        .order_by(Reminder.sent_at)
    )
    return {gid: Mark(sent, read) for gid, sent, read in rows.all()}


async def check_marks(
    session: AsyncSession, day: date, person_ids: Iterable[str]
) -> dict[tuple[str, str], Mark]:
    """The last reminder about each person's missed check slot of `day`, by (person, slot)."""
    ids = [uuid.UUID(p) for p in person_ids]
    if not ids:
        return {}
    rows = await session.execute(
        select(Reminder.person_id, Reminder.slot, Reminder.sent_at, Reminder.read_at)
        .where(
            Reminder.kind == ReminderKind.MISSED_CHECK,
            Reminder.subject_date == day,
            Reminder.person_id.in_(ids),
            Reminder.deleted.is_(False),
        )
        .order_by(Reminder.sent_at)
    )
    return {(str(pid), str(slot)): Mark(sent, read) for pid, slot, sent, read in rows.all()}


@dataclass(frozen=True, slots=True)
class ReminderRow:
    id: str
    grid: str
    village: str
    kind: str
    subject_date: date | None
    person: str
    slot: str | None
    message: str
    sender: str
    sent_at: datetime
    read_at: datetime | None
    reader: str

    @property
    def state(self) -> ReminderState:
        return ReminderState.UNREAD if self.read_at is None else ReminderState.READ


async def sent_reminders(
    session: AsyncSession, area_path: str, state: str | None, page: int
) -> Page[ReminderRow]:
    """Reminders to grids under `area_path` (optionally only "read" or "unread"), newest
    first: a count and one page."""
    grid, village = aliased(Area), aliased(Area)
    sender, reader = aliased(User), aliased(User)
    where = [Reminder.deleted.is_(False), in_subtree_path(grid.path, area_path)]
    if state == ReminderState.READ:
        where.append(Reminder.read_at.is_not(None))
    elif state == ReminderState.UNREAD:
        where.append(Reminder.read_at.is_(None))
    base = (
        select(Reminder.id, grid.name, village.name, Reminder.kind, Reminder.subject_date)
        .add_columns(Person.name, Reminder.slot, Reminder.message, sender.name)
        .add_columns(Reminder.sent_at, Reminder.read_at, reader.name)
        .join(grid, grid.id == Reminder.area_id)
        .outerjoin(village, village.id == grid.parent_id)
        .outerjoin(Person, Person.id == Reminder.person_id)
        .outerjoin(sender, sender.id == Reminder.sender_id)
        .outerjoin(reader, reader.id == Reminder.read_by)
        .where(*where)
    )
    total = await count_of(session, select(func.count()).select_from(base.subquery()))
    rows = await session.execute(
        base.order_by(Reminder.sent_at.desc(), Reminder.id)
        .offset(page_offset(page))
        .limit(PAGE_SIZE)
    )
    return Page(
        [
            ReminderRow(str(rid), g, v or "", k, d, p or "", s, m, sn or "", at, read, rn or "")
            for rid, g, v, k, d, p, s, m, sn, at, read, rn in rows.all()
        ],
        total,
        page,
    )
