"""The one place that decides what a user may read and change.

Rights follow the role and the user's place in the area tree: a user sees and changes
records whose area lies in the subtree of the user's area. Every route asks this module;
who may call a route at all is declared by its guard (server/accounts/guards.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from server.accounts.models import User
from server.areas.models import Area
from server.areas.paths import in_subtree_path as in_subtree_path

REFERENCE = frozenset({"areas", "facilities", "policies", "campaigns", "risk_areas"})
LEDGER = frozenset({"households", "persons", "measures", "visits", "checks", "daily_reports"})
FEVER = frozenset({"fever_reports", "fever_events"})
#: a supervisor sends them from a page; a grid worker's phone acknowledges them
REMINDERS = frozenset({"reminders"})
ALL_COLLECTIONS = REFERENCE | LEDGER | FEVER | REMINDERS | {"tests", "conflicts"}

READ: dict[str, frozenset[str]] = {
    "grid_worker": REFERENCE | LEDGER | REMINDERS | {"tests", "conflicts"},
    "sentinel": REFERENCE | FEVER | {"conflicts"},
    "township_health": REFERENCE | FEVER | {"tests", "conflicts"},
    "supervisor": ALL_COLLECTIONS,
    "admin": ALL_COLLECTIONS,
}
WRITE: dict[str, frozenset[str]] = {
    "grid_worker": LEDGER | REMINDERS | {"tests"},
    "sentinel": FEVER,
    "township_health": FEVER | {"tests"},
    "supervisor": LEDGER | FEVER | REMINDERS | {"tests"},
    "admin": LEDGER | FEVER | REMINDERS | {"tests"},
}
#: reference lists a role maintains on its pages (page writes only: devices read them);
#: a list is writable only where its collection declares the fields a page may write
EDIT_REFERENCE: dict[str, frozenset[str]] = {"admin": REFERENCE}
#: roles whose whole-record reads are written to the audit log
AUDITED_READERS = frozenset({"supervisor", "admin"})
#: roles that review conflicts and see the supervisor pages
REVIEWERS = frozenset({"supervisor", "admin"})
#: roles that manage users, devices and the area tree
ADMINS = frozenset({"admin"})
#: roles that work the fever inbox (acknowledge, sample, send, record results)
TOWNSHIP_STAFF = frozenset({"township_health"})


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    role: str
    area_id: int
    area_path: str
    facility_id: int | None = None
    scope_version: int = 1

    def covers(self, area_path: str) -> bool:
        """True when an area (by its materialised path) lies in this user's subtree."""
        return area_path.startswith(self.area_path)

    def can_read(self, collection: str) -> bool:
        return collection in READ.get(self.role, frozenset())

    def can_write(self, collection: str) -> bool:
        return collection in WRITE.get(self.role, frozenset())

    def can_edit_reference(self, collection: str) -> bool:
        return collection in EDIT_REFERENCE.get(self.role, frozenset())

    @property
    def is_reviewer(self) -> bool:
        return self.role in REVIEWERS


_AREA_PATH = select(Area.path).where(Area.id == bindparam("id"))


async def principal_for(session: AsyncSession, user: User) -> Principal:
    path = (await session.execute(_AREA_PATH, {"id": user.area_id})).scalar_one()
    return principal_at(user, path)


def principal_at(user: User, path: str) -> Principal:
    """The principal of a user whose area's path is already known (read with the user)."""
    return Principal(
        user_id=user.id,
        role=user.role,
        area_id=user.area_id,
        area_path=path,
        facility_id=user.facility_id,
        scope_version=user.scope_version,
    )


def subtree_area_ids_stmt(principal: Principal) -> Select[int]:
    """SELECT of the ids of every area in the principal's subtree (for IN clauses)."""
    return select(Area.id).where(in_subtree_path(Area.path, principal.area_path))


def in_subtree(
    area_column: ColumnElement[int] | InstrumentedAttribute[int], principal: Principal
) -> ColumnElement[bool]:
    """A row's ``area_id`` column lies in the principal's subtree: the one subtree filter
    every page, list and pull uses."""
    return area_column.in_(subtree_area_ids_stmt(principal))
