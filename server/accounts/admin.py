"""What an admin does to users: list them, reset a password. Each change is audited and
limited to the admin's area subtree."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.guard import Principal, in_subtree
from server.accounts.models import User
from server.accounts.passwords import hash_password_async, verify_password_async
from server.accounts.policy import MIN_PASSWORD, password_problem
from server.audit import log as audit_log
from server.errors import BadInput, NotFound
from server.i18n import gettext as _

PAGE_SIZE = 50
#: no 0/O, 1/l/I: read aloud over the phone
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def one_time_password(length: int = 10) -> str:
    """A password to read to the user once; letters and digits, nothing to confuse."""
    while True:
        value = "".join(secrets.choice(_ALPHABET) for _ in range(length))
        if any(c.isdigit() for c in value) and any(c.isalpha() for c in value):
            return value


async def list_users(
    session: AsyncSession, principal: Principal, *, role: str | None, page: int
) -> tuple[Sequence[User], int]:
    """The users in the admin's subtree (one page), and how many there are."""
    where = [in_subtree(User.area_id, principal)]
    if role:
        where.append(User.role == role)
    total = (
        await session.execute(select(func.count()).select_from(User).where(*where))
    ).scalar_one()
    rows = await session.execute(
        select(User)
        .where(*where)
        .order_by(User.name, User.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    return rows.scalars().all(), total


async def user_in_scope(session: AsyncSession, principal: Principal, user_id: int) -> User:
    user = (
        await session.execute(
            select(User).where(User.id == user_id, in_subtree(User.area_id, principal))
        )
    ).scalar_one_or_none()
    if user is None:
        raise NotFound(_("No such user in your area."), code="not_found")
    return user


async def reset_password(
    session: AsyncSession, principal: Principal, user_id: int, now: datetime
) -> tuple[User, str]:
    """A new one-time password for a user; they must change it at their next sign-in."""
    user = await user_in_scope(session, principal, user_id)
    password = one_time_password()
    user.password_hash = await hash_password_async(password)
    user.must_change_password = True
    audit_log.record(
        session, at=now, user_id=principal.user_id, action="password_reset", entity="users",
        entity_id=str(user.id), area_id=user.area_id,
    )  # fmt: skip
    return user, password


async def change_password(
    session: AsyncSession, user: User, current: str, new: str, repeat: str, now: datetime
) -> None:
    """The user's own change (forced after a reset); raises BadInput with the reason."""
    if not await verify_password_async(user.password_hash, current):
        raise BadInput(_("The current password is wrong."), code="bad_input")
    if password_problem(new, user.phone) is not None:
        raise BadInput(
            _(
                "Choose at least %(n)s characters with letters and digits, not your phone "
                "number nor a common password.",
                n=MIN_PASSWORD,
            ),
            code="bad_input",
        )
    if new != repeat:
        raise BadInput(_("The two new passwords differ."), code="bad_input")
    if new == current:
        raise BadInput(_("Choose a password other than the one-time one."), code="bad_input")
    user.password_hash = await hash_password_async(new)
    user.must_change_password = False
    audit_log.record(
        session, at=now, user_id=user.id, action="password_changed", entity="users",
        entity_id=str(user.id), area_id=user.area_id,
    )  # fmt: skip
