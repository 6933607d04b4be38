"""Accounts: users, sign-in, page sessions and device tokens. Callers own the transaction."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts import lifetimes
from server.accounts.guard import Principal, in_subtree
from server.accounts.models import Device, User, WebSession
from server.accounts.passwords import (
    hash_password_async,
    hash_token,
    new_token,
    verify_password_async,
)
from server.accounts.policy import password_problem, role_level_problem
from server.accounts.schemas import DeviceIssued, DeviceOut, UserOut
from server.accounts.values import Role
from server.areas.models import Area, Facility
from server.audit import log as audit_log
from server.config import Settings
from server.db import make_engine, make_sessionmaker, transaction, utcnow
from server.errors import Forbidden, NotFound
from server.i18n import gettext as _
from server.masking import mask_phone

SESSION_DAYS = 14
#: roles whose work happens at a facility (a clinic or the township health centre)
FACILITY_ROLES = frozenset({"sentinel", "township_health"})
_PHONE = re.compile(r"\d{5,20}")
_PHONE_NOISE = re.compile(r"[\s\-()]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def normalise_phone(phone: str) -> str:
    """Phones are typed with spaces and dashes; a leading +86 is the same number."""
    phone = _PHONE_NOISE.sub("", phone.strip())
    if phone.startswith("+86"):
        phone = phone[3:]
    return phone


# --- users -------------------------------------------------------------------------------


async def create_user(
    session: AsyncSession,
    *,
    phone: str,
    name: str,
    role: str,
    area_id: int,
    facility_id: int | None,
    password: str,
    actor_id: int | None = None,
    skip_password_policy: bool = False,
) -> User:
    """Validate and add a user (flushed, not committed). Raises ValueError with the reason.

    ``skip_password_policy`` is for the demo seed only (its published password is weak on
    purpose); every real account meets :func:`policy.password_problem`.
    """
    phone = normalise_phone(phone)
    name = name.strip()
    if not _PHONE.fullmatch(phone):
        raise ValueError(f"phone must be 5 to 20 digits (e.g. 13800138000), got {phone!r}")
    if not name or len(name) > 40:
        raise ValueError("name must be 1 to 40 characters")
    if role not in frozenset(Role):
        raise ValueError(f"role must be one of {', '.join(Role)}, got {role!r}")
    problem = None if skip_password_policy else password_problem(password, phone)
    if problem:
        raise ValueError(problem)
    area = await session.get(Area, area_id)
    if area is None:
        raise ValueError(f"area {area_id} does not exist")
    problem = role_level_problem(role, area.level)
    if problem:
        raise ValueError(problem)
    if role in FACILITY_ROLES and facility_id is None:
        raise ValueError(f"a {role} user needs a facility (--facility)")
    if facility_id is not None:
        facility_path = (
            await session.execute(
                select(Area.path)
                .join(Facility, Facility.area_id == Area.id)
                .where(Facility.id == facility_id)
            )
        ).scalar_one_or_none()
        if facility_path is None:
            raise ValueError(f"facility {facility_id} does not exist")
        if not facility_path.startswith(area.path):
            raise ValueError(f"facility {facility_id} is not inside area {area.code} ({area.name})")
    taken = (await session.execute(select(User.id).where(User.phone == phone))).first()
    if taken is not None:
        raise ValueError(f"phone {phone} is already registered")
    user = User(
        phone=phone,
        name=name,
        role=role,
        area_id=area.id,
        facility_id=facility_id,
        password_hash=await hash_password_async(password),
        active=True,
    )
    session.add(user)
    await session.flush()
    audit_log.record(
        session,
        user_id=actor_id,
        action="create",
        entity="user",
        entity_id=str(user.id),
        area_id=area.id,
        detail={"role": role, "phone": mask_phone(phone)},
    )
    return user


async def create_user_cli(
    settings: Settings,
    *,
    phone: str,
    name: str,
    role: str,
    area_code: str,
    facility_id: int | None,
    password: str,
) -> str:
    """``python -m server create-user``: one user in one transaction, with its audit entry."""
    engine = make_engine(settings.database_url)
    try:
        async with transaction(make_sessionmaker(engine)) as session:
            area = (
                await session.execute(select(Area).where(Area.code == area_code))
            ).scalar_one_or_none()
            if area is None:
                raise ValueError(f"no area with code {area_code!r}")
            user = await create_user(
                session,
                phone=phone,
                name=name,
                role=role,
                area_id=area.id,
                facility_id=facility_id,
                password=password,
            )
            return f"created user {user.id}: {user.name} ({role}) {user.phone} in {area.name}"
    finally:
        await engine.dispose()


async def user_out(session: AsyncSession, user: User) -> UserOut:
    area_name = (
        await session.execute(select(Area.name).where(Area.id == user.area_id))
    ).scalar_one()
    return UserOut(
        id=user.id,
        name=user.name,
        role=user.role,
        area_id=user.area_id,
        area_name=area_name,
        facility_id=user.facility_id,
        scope_version=user.scope_version,
    )


# --- sign-in -----------------------------------------------------------------------------


async def check_credentials(
    session: AsyncSession, phone: str, password: str, *, via: str
) -> User | None:
    """The active user with this phone and password, else None; both outcomes are audited.

    An unknown phone still costs one password verification (against a dummy hash), and an
    inactive user is verified before being turned away, so the answer and its timing do
    not tell which phones exist. (The sign-in routes use the same three steps through
    ``throttle.sign_in``, which verifies outside any transaction.)
    """
    user = await find_user(session, phone)
    ok = await verify_password_async(user.password_hash if user else None, password)
    return record_sign_in(session, phone, user, ok, via=via)


async def find_user(session: AsyncSession, phone: str) -> User | None:
    phone = normalise_phone(phone)
    if not _PHONE.fullmatch(phone):  # anything else cannot be a phone (nor reach the database)
        return None
    return (await session.execute(select(User).where(User.phone == phone))).scalar_one_or_none()


def record_sign_in(
    session: AsyncSession, phone: str, user: User | None, ok: bool, *, via: str
) -> User | None:
    """Audit a verified attempt; the user when it succeeds (right password, active)."""
    phone = normalise_phone(phone)
    if user is not None and ok and user.active:
        audit_log.record(
            session,
            user_id=user.id,
            action="sign_in",
            entity="user",
            entity_id=str(user.id),
            area_id=user.area_id,
            detail={"via": via},
        )
        return user
    shown_phone = mask_phone(phone) if _PHONE.fullmatch(phone) else "(not a phone number)"
    reason = "unknown_phone" if user is None else ("inactive" if ok else "wrong_password")
    audit_log.record(
        session,
        user_id=user.id if user else None,
        action="sign_in_failed",
        entity="user",
        entity_id=str(user.id) if user else None,
        detail={"via": via, "phone": shown_phone, "reason": reason},
    )
    return None


async def start_session(session: AsyncSession, user: User, now: datetime | None = None) -> str:
    """A new page session; returns the cookie value (only its hash is stored)."""
    now = now or utcnow()
    # Sessions are never swept otherwise: a sign-in clears the user's expired ones.
    await session.execute(
        delete(WebSession).where(WebSession.user_id == user.id, WebSession.expires_at <= now)
    )
    token = new_token()
    session.add(
        WebSession(
            token_hash=hash_token(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(days=SESSION_DAYS),
        )
    )
    return token


async def session_user(session: AsyncSession, token: str) -> User | None:
    """The active user of an unexpired page session that has not been idle too long.

    Marks the session seen (at most once a minute); the caller's transaction commits it
    (``auth.identify`` reads in a transaction of its own).
    """
    now = utcnow()
    row = (
        await session.execute(
            select(User, WebSession)
            .join(WebSession, WebSession.user_id == User.id)
            .where(WebSession.token_hash == hash_token(token), WebSession.expires_at > now)
        )
    ).first()
    if row is None:
        return None
    user, web = row
    if lifetimes.idle_expired(web.last_seen_at, now, lifetimes.current().session_idle):
        return None
    if lifetimes.due_for_touch(web.last_seen_at, now):
        web.last_seen_at = now
    return user if user.active else None


async def end_session(session: AsyncSession, token: str) -> int | None:
    """Delete a page session; returns its user id (None when it did not exist)."""
    row = await session.get(WebSession, hash_token(token))
    if row is None:
        return None
    user_id = row.user_id
    await session.delete(row)
    audit_log.record(
        session, user_id=user_id, action="sign_out", entity="user", entity_id=str(user_id)
    )
    return user_id


# --- devices -----------------------------------------------------------------------------


def _device_name(name: str) -> str:
    name = " ".join(_CONTROL.sub(" ", name).split())[:80]
    return name or _("Unnamed device")


async def issue_device(session: AsyncSession, user: User, name: str) -> DeviceIssued:
    token = new_token()
    device = Device(id=uuid.uuid4(), user_id=user.id, name=_device_name(name))
    device.token_hash = hash_token(token)
    session.add(device)
    await session.flush()
    audit_log.record(
        session,
        user_id=user.id,
        action="create",
        entity="device",
        entity_id=str(device.id),
        area_id=user.area_id,
        detail={"name": device.name},
    )
    return DeviceIssued(device_id=str(device.id), token=token, user=await user_out(session, user))


def _device_out(device: Device, user_name: str) -> DeviceOut:
    return DeviceOut(
        id=str(device.id),
        name=device.name,
        user_id=device.user_id,
        user_name=user_name,
        created_at=device.created_at,
        revoked_at=device.revoked_at,
        last_seen_at=device.last_seen_at,
        last_sync_at=device.last_sync_at,
        app_version=device.app_version,
        pending_count=device.pending_count,
    )


async def list_devices(session: AsyncSession, principal: Principal) -> list[DeviceOut]:
    """The caller's own devices; an admin sees every device of users in the subtree."""
    stmt = select(Device, User.name).join(User, User.id == Device.user_id)
    if principal.role == "admin":
        stmt = stmt.where(in_subtree(User.area_id, principal))
    else:
        stmt = stmt.where(Device.user_id == principal.user_id)
    stmt = stmt.order_by(Device.revoked_at.is_not(None), Device.created_at.desc(), Device.id)
    rows = (await session.execute(stmt)).all()
    return [_device_out(device, user_name) for device, user_name in rows]


async def device_for(session: AsyncSession, principal: Principal, device_id: uuid.UUID) -> Device:
    """A device the caller may act on: their own, or (admin) one in the subtree."""
    row = (
        await session.execute(
            select(Device, Area.path)
            .join(User, User.id == Device.user_id)
            .join(Area, Area.id == User.area_id)
            .where(Device.id == device_id)
        )
    ).first()
    if row is None:
        raise NotFound(_("No such device."), code="not_found")
    device, owner_area_path = row
    if device.user_id == principal.user_id:
        return device
    if principal.role != "admin":
        raise Forbidden(_("You may only manage your own devices."), code="forbidden")
    if not principal.covers(owner_area_path):
        raise Forbidden(_("That device belongs to a user outside your area."), code="out_of_scope")
    return device


async def revoke_device(
    session: AsyncSession, principal: Principal, device_id: uuid.UUID
) -> DeviceOut:
    """Revoke a device token; revoking twice keeps the first time."""
    device = await device_for(session, principal, device_id)
    if device.revoked_at is None:
        device.revoked_at = utcnow()
        owner = await session.get(User, device.user_id)
        audit_log.record(
            session,
            user_id=principal.user_id,
            action="revoke",
            entity="device",
            entity_id=str(device.id),
            area_id=owner.area_id if owner else None,
            detail={"name": device.name, "owner": device.user_id},
        )
        await session.flush()
    owner_name = (
        await session.execute(select(User.name).where(User.id == device.user_id))
    ).scalar_one()
    return _device_out(device, owner_name)
