"""Read queries for the administrator's pages: areas, users and devices of the subtree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.guard import Principal, in_subtree, in_subtree_path
from server.accounts.models import Device, User
from server.areas.models import Area
from server.areas.queries import Groups
from server.areas.values import AreaLevel
from server.querying import count_of, counts_by


@dataclass(frozen=True, slots=True)
class AdminCounts:
    areas_by_level: dict[str, int]
    users_by_role: dict[str, int]
    active_devices: int


async def admin_counts(session: AsyncSession, principal: Principal) -> AdminCounts:
    """Areas by level, active users by role and devices not revoked, in the subtree."""
    areas = await counts_by(
        session,
        select(Area.level, func.count(Area.id))
        .where(in_subtree_path(Area.path, principal.area_path))
        .group_by(Area.level),
    )
    users = await counts_by(
        session,
        select(User.role, func.count(User.id))
        .where(User.active.is_(True), in_subtree(User.area_id, principal))
        .group_by(User.role),
    )
    devices = await count_of(
        session,
        select(func.count(Device.id))
        .join(User, User.id == Device.user_id)
        .where(Device.revoked_at.is_(None), in_subtree(User.area_id, principal)),
    )
    return AdminCounts(areas_by_level=areas, users_by_role=users, active_devices=devices)


async def last_sync_by_group(session: AsyncSession, groups: Groups) -> dict[int, datetime]:
    """The latest sync of any device (not revoked) of a user placed in each group."""
    g, home = groups.group, groups.home
    rows = await session.execute(
        select(g.id, func.max(Device.last_sync_at))
        .join(home, groups.under)
        .join(User, User.area_id == home.id)
        .join(Device, Device.user_id == User.id)
        .where(groups.where, Device.revoked_at.is_(None), Device.last_sync_at.is_not(None))
        .group_by(g.id)
    )
    return {gid: at for gid, at in rows.all() if at is not None}


@dataclass(frozen=True, slots=True)
class DeviceActivity:
    """A field device as the activity page shows it."""

    user: str
    area: str
    area_level: str
    device: str
    last_sync_at: datetime | None
    pending_count: int | None
    app_version: str | None
    clock_offset_ms: int | None


async def device_activity(session: AsyncSession, area_path: str) -> list[DeviceActivity]:
    """Every device (not revoked) of the users under `area_path`, the longest silent first."""
    rows = await session.execute(
        select(User.name, Area.name, Area.level, Device.name, Device.last_sync_at)
        .add_columns(Device.pending_count, Device.app_version, Device.clock_offset_ms)
        .join(User, User.id == Device.user_id)
        .join(Area, Area.id == User.area_id)
        .where(Device.revoked_at.is_(None), in_subtree_path(Area.path, area_path))
        .order_by(Device.last_sync_at.is_not(None), Device.last_sync_at, Area.code)
    )
    return [DeviceActivity(*row) for row in rows.all()]


@dataclass(frozen=True, slots=True)
class GridSilence:
    grid_id: int
    grid: str
    lead: str
    phone: str
    last_sync_at: datetime | None


async def grid_last_sync(session: AsyncSession, area_path: str) -> list[GridSilence]:
    """Each grid under `area_path` with the latest sync of its users' devices (None when
    none ever synced), the longest silent first."""
    last = (
        select(func.max(Device.last_sync_at))
        .join(User, User.id == Device.user_id)
        .where(User.area_id == Area.id, Device.revoked_at.is_(None))
        .scalar_subquery()
    )
    rows = await session.execute(
        select(Area.id, Area.name, Area.lead_name, Area.lead_phone, last.label("last"))
        .where(Area.level == AreaLevel.GRID, in_subtree_path(Area.path, area_path))
        .order_by(last.is_not(None), last, Area.code)
    )
    return [
        GridSilence(gid, name, lead or "", phone or "", at) for gid, name, lead, phone, at in rows
    ]
