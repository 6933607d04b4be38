"""Moving a user to another area: the one write that changes what a user may see.

A move bumps ``scope_version``: the user's devices then get ``reset: "scope"`` on their next
sync, drop records that left their scope, pull the new area's, and keep their outbox.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import User
from server.accounts.policy import ROLE_LEVELS
from server.accounts.service import normalise_phone
from server.areas.models import Area, Facility
from server.audit import log as audit_log
from server.config import Settings
from server.db import make_engine, make_sessionmaker, transaction

__all__ = ["ROLE_LEVELS", "move_user", "move_user_cli"]


async def move_user(
    session: AsyncSession, user: User, area: Area, *, actor_id: int | None = None
) -> User:
    if area.level not in ROLE_LEVELS.get(user.role, ()):
        raise ValueError(f"a {user.role} is bound to a {' or '.join(ROLE_LEVELS[user.role])}")
    if user.facility_id is not None:
        facility_path = (
            await session.execute(
                select(Area.path)
                .join(Facility, Facility.area_id == Area.id)
                .where(Facility.id == user.facility_id)
            )
        ).scalar_one()
        if not facility_path.startswith(area.path):
            raise ValueError("the user's facility is outside that area: assign a facility there")
    if user.area_id == area.id:
        return user
    old_area = user.area_id
    user.area_id = area.id
    user.scope_version += 1
    audit_log.record(
        session,
        user_id=actor_id,
        action="move",
        entity="user",
        entity_id=str(user.id),
        area_id=area.id,
        detail={"from_area": old_area, "to_area": area.id, "scope_version": user.scope_version},
    )
    await session.flush()
    return user


async def move_user_cli(settings: Settings, *, phone: str, area_code: str) -> str:
    """``python -m server move-user``: one move in one transaction, with its audit entry."""
    engine = make_engine(settings.database_url)
    try:
        async with transaction(make_sessionmaker(engine)) as session:
            user = (
                await session.execute(select(User).where(User.phone == normalise_phone(phone)))
            ).scalar_one_or_none()
            if user is None:
                raise ValueError(f"no user with phone {phone!r}")
            area = (
                await session.execute(select(Area).where(Area.code == area_code))
            ).scalar_one_or_none()
            if area is None:
                raise ValueError(f"no area with code {area_code!r}")
            await move_user(session, user, area)
            return f"moved {user.name} to {area.name}; their devices re-sync on next contact"
    finally:
        await engine.dispose()
