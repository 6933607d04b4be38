"""The I/O around an import: read the database's facts for the check, then write the
plan in ONE transaction through the page-write path (server/sync/writes.py), so imported
households and persons run their hooks, take change numbers and reach grid workers'
phones at their next sync like any other change.

Large files: reading the sheet and checking the rows run in a worker thread; the write
goes in chunks that yield to the event loop between them, so other requests are served
meanwhile (they still wait for the change counter's lock if they write: every writer
does, see server/sync/revs.py). A job's progress lives in memory (one server process).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import anyio.to_thread
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.accounts.guard import Principal, principal_for
from server.accounts.models import User
from server.areas.models import Area
from server.areas.values import AreaLevel
from server.audit import log as audit_log
from server.db import transaction, utcnow
from server.i18n import gettext as _
from server.imports.sheet import SheetError, read_sheet
from server.imports.validate import Existing, Facts, GridRef, Plan, category_codes, plan_import
from server.labels import label
from server.people.models import Household, Person
from server.sync.spec.collections import Registry
from server.sync.writes import PageWrite, write

#: records per write() call; each chunk yields to the loop before the next
CHUNK = 500
_IN_CHUNK = 900  # SQLite's bound-parameter limit is 999 on old builds

HOUSEHOLD_FIELDS = ("head_name", "address", "doorplate", "phone")
PERSON_FIELDS = (
    "household_id",
    "name",
    "sex",
    "birth_year",
    "id_number",
    "phone",
    "relation",
    "category",
    "arrival_date",
    "origin",
    "certificate_date",
    "notes",
)


class ImportRejected(Exception):
    """A planned write was refused by the sync checks; the transaction rolls back."""


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


async def load_facts(
    session: AsyncSession, principal: Principal, rows: list[tuple[int, dict[str, Any]]], today: date
) -> Facts:
    """What the check needs to know: the grids, and the records the file's keys name."""
    village = Area.__table__.alias("village")
    grid_rows = (
        await session.execute(
            select(Area.id, Area.code, Area.name, Area.path, village.c.name)
            .join(village, village.c.id == Area.parent_id, isouter=True)
            .where(Area.level == AreaLevel.GRID)
        )
    ).all()
    grids = [
        GridRef(gid, code, name, vname or "", path.startswith(principal.area_path))
        for gid, code, name, path, vname in grid_rows
    ]
    in_scope = [g.id for g in grids if g.in_scope]
    households: dict[tuple[int, str], Existing] = {}
    for ids in _chunks(in_scope, _IN_CHUNK):
        result = await session.execute(
            select(Household).where(
                Household.area_id.in_(ids), Household.deleted.is_(False), Household.doorplate != ""
            )
        )
        for h in result.scalars():
            values = {f: getattr(h, f) for f in HOUSEHOLD_FIELDS}
            households[(h.area_id, h.doorplate)] = Existing(
                str(h.id), h.rev, h.area_id, True, values
            )
    paths = {g.id: g.in_scope for g in grids}
    wanted = sorted({str(r.get("id_number") or "").strip().upper() for _, r in rows} - {""})
    persons: dict[str, Existing] = {}
    for numbers in _chunks(wanted, _IN_CHUNK):
        found = await session.execute(
            select(Person).where(Person.id_number.in_(numbers), Person.deleted.is_(False))
        )
        for p in found.scalars():
            values = {f: _jsonable(getattr(p, f)) for f in PERSON_FIELDS}
            scope = paths.get(p.area_id, False)
            persons[p.id_number or ""] = Existing(str(p.id), p.rev, p.area_id, scope, values)
    return Facts(grids=grids, households=households, persons=persons, today=today)


async def check_file(
    session: AsyncSession, principal: Principal, content: bytes, filename: str, today: date
) -> tuple[Plan, list[str]]:
    """Read and check a file: (the plan, headers no column takes). Raises SheetError."""
    sheet = await anyio.to_thread.run_sync(read_sheet, content, filename)
    facts = await load_facts(session, principal, sheet.rows, today)
    categories = category_codes(lambda code: label(code, "category"))
    rows: list[tuple[int, Mapping[str, Any]]] = list(sheet.rows)
    plan = await anyio.to_thread.run_sync(lambda: plan_import(rows, facts, categories))
    return plan, sheet.ignored


async def apply_plan(
    session: AsyncSession,
    registry: Registry,
    user: User,
    principal: Principal,
    plan: Plan,
    progress: Callable[[int], None] = lambda _done: None,
) -> None:
    """Write the plan inside the caller's transaction; raises ImportRejected (the caller
    rolls back) if any record is refused."""
    done = 0
    for chunk in _chunks(plan.writes, CHUNK):
        changes = [PageWrite(p.collection, p.record_id, p.data, base=p.base) for p in chunk]
        results = await write(session, registry, user, principal, changes)
        for planned, result in zip(chunk, results, strict=True):
            if result.status != "applied":
                raise ImportRejected(
                    f"{planned.collection} {planned.record_id}: {result.code} {result.message}"
                )
        done += len(chunk)
        progress(done)
        await asyncio.sleep(0)  # let other requests run between chunks
    audit_log.record(
        session,
        at=utcnow(),
        user_id=user.id,
        action="import",
        entity="persons",
        entity_id="",
        area_id=principal.area_id,
        detail={
            "rows": plan.rows,
            "new_households": plan.new_households,
            "new_persons": plan.new_persons,
            "writes": len(plan.writes),
        },
    )


# --- jobs: a file checked, then written in the background --------------------------------

State = Literal["checked", "writing", "done", "failed"]


@dataclass
class Job:
    id: str
    user_id: int
    filename: str
    plan: Plan
    ignored: list[str] = field(default_factory=list)
    state: State = "checked"
    done: int = 0
    message: str = ""
    seconds: float = 0.0
    task: asyncio.Task[None] | None = None

    @property
    def total(self) -> int:
        return len(self.plan.writes)

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * self.done / self.total)


JOBS: dict[str, Job] = {}
_MAX_JOBS = 20


def new_job(user_id: int, filename: str, plan: Plan, ignored: list[str]) -> Job:
    if len(JOBS) >= _MAX_JOBS:  # the oldest finished or unconfirmed ones go first
        for key in [k for k, j in JOBS.items() if j.state != "writing"][: len(JOBS) // 2 + 1]:
            del JOBS[key]
    job = Job(uuid.uuid4().hex, user_id, filename, plan, ignored)
    JOBS[job.id] = job
    return job


async def run_job(job: Job, db: async_sessionmaker[AsyncSession], registry: Registry) -> None:
    """Write a checked job's plan in one transaction, keeping its progress up to date."""
    job.state, started = "writing", time.monotonic()

    def progress(done: int) -> None:
        job.done = done

    try:
        async with transaction(db) as session:
            user = await session.get(User, job.user_id)
            if user is None or not user.active:
                raise ImportRejected("user gone")
            principal = await principal_for(session, user)
            await apply_plan(session, registry, user, principal, job.plan, progress)
        job.state = "done"
    except ImportRejected as error:
        job.state, job.done = "failed", 0
        job.message = _("Nothing was written: a record was refused (%(why)s).", why=str(error))
    except Exception as error:
        job.state, job.done = "failed", 0
        job.message = _("Nothing was written: %(why)s", why=type(error).__name__)
    finally:
        job.seconds = time.monotonic() - started


def start_job(job: Job, db: async_sessionmaker[AsyncSession], registry: Registry) -> None:
    if job.state != "checked":
        return  # a confirm sent twice starts one write
    job.state = "writing"
    job.task = asyncio.create_task(run_job(job, db, registry))


__all__ = [
    "JOBS",
    "ImportRejected",
    "Job",
    "SheetError",
    "apply_plan",
    "check_file",
    "load_facts",
    "new_job",
    "run_job",
    "start_job",
]
