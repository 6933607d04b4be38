"""What an admin does to users beyond a password reset (server/accounts/admin.py): create
one or a sheet of them with one-time passwords, change role and area (the existing move,
server/accounts/moves.py), list and revoke a user's devices. Each change is audited and
limited to the admin's subtree; messages are for the admin, in the page's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts import service
from server.accounts.admin import one_time_password, user_in_scope
from server.accounts.guard import Principal, in_subtree_path
from server.accounts.models import Device, User
from server.accounts.moves import move_user
from server.accounts.policy import ROLE_LEVELS
from server.accounts.service import FACILITY_ROLES, normalise_phone
from server.accounts.values import Role
from server.areas.models import Area, Facility
from server.audit import log as audit_log
from server.errors import BadInput
from server.i18n import gettext as _
from server.i18n import using_locale
from server.labels import label
from server.people.rules import check_phone

#: a sheet of users: at most this many rows (a county has a few thousand staff)
MAX_SHEET_ROWS = 5000


@dataclass(frozen=True, slots=True)
class NewUser:
    phone: str
    name: str
    role: str
    area_code: str
    facility: str = ""


@dataclass(slots=True)
class Problem:
    """One refusal: the sheet row (0 for a form) and the field it is about."""

    row: int
    column: str
    message: str


@dataclass(slots=True)
class Checked:
    """A user that passed every check, ready to be written."""

    phone: str
    name: str
    role: str
    area_id: int
    area_name: str
    facility_id: int | None


@dataclass(slots=True)
class SheetPlan:
    ok: list[tuple[int, Checked]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


async def _area_by_code(session: AsyncSession, principal: Principal, code: str) -> Area | None:
    area = (await session.execute(select(Area).where(Area.code == code))).scalar_one_or_none()
    return area if area is not None and principal.covers(area.path) else None


async def _facility(session: AsyncSession, area: Area, wanted: str) -> Facility | None:
    """A facility in the area's subtree, by id or by its exact name."""
    stmt = (
        select(Facility)
        .join(Area, Area.id == Facility.area_id)
        .where(in_subtree_path(Area.path, area.path))
    )
    if wanted.isdigit():
        stmt = stmt.where(Facility.id == int(wanted))
    else:
        stmt = stmt.where(Facility.name == wanted)
    return (await session.execute(stmt.order_by(Facility.id))).scalars().first()


async def check_new_user(
    session: AsyncSession, principal: Principal, row: int, new: NewUser, phones: set[str]
) -> Checked | list[Problem]:
    """Every check of a new user, each failure named by its field; ``phones`` holds the
    phones taken earlier in the same sheet (and gets this one)."""
    problems: list[Problem] = []

    def refuse(column: str, message: str) -> None:
        problems.append(Problem(row, column, message))

    phone = normalise_phone(new.phone)
    if not phone:
        refuse("phone", _("Enter the mobile phone number the user signs in with."))
    elif check_phone(phone).kind != "mobile":
        refuse("phone", _("%(value)s is not a mobile number (11 digits, such as 13800138000).",
                          value=phone))  # fmt: skip
    elif phone in phones:
        refuse("phone", _("The phone %(value)s appears twice in the sheet.", value=phone))
    elif (await session.execute(select(User.id).where(User.phone == phone))).first():
        refuse("phone", _("The phone %(value)s is already registered.", value=phone))
    name = new.name.strip()
    if not name or len(name) > 40:
        refuse("name", _("Enter the user's name (at most 40 characters)."))
    role = _role(new.role)
    if role is None:
        refuse("role", _("Choose a role: %(roles)s.",
                         roles="、".join(label(r, "role") for r in Role)))  # fmt: skip
    area = await _area_by_code(session, principal, new.area_code.strip())
    if area is None:
        refuse("area", _("No area with code %(value)s in your subtree.", value=new.area_code))
    elif area.retired_at is not None:
        refuse("area", _("The area %(value)s is retired.", value=area.name))
    elif role is not None and area.level not in ROLE_LEVELS[role]:
        refuse("area", _("A %(role)s is placed in a %(levels)s, not a %(level)s.",
                         role=label(role, "role"),
                         levels=" / ".join(label(lv, "area_level") for lv in ROLE_LEVELS[role]),
                         level=label(area.level, "area_level")))  # fmt: skip
    facility_id: int | None = None
    if role in FACILITY_ROLES and area is not None:
        wanted = new.facility.strip()
        if not wanted:
            refuse("facility", _("A %(role)s needs the facility they work at.",
                                 role=label(role, "role")))  # fmt: skip
        else:
            found = await _facility(session, area, wanted)
            if found is None:
                refuse("facility", _("No facility %(value)s in that area.", value=wanted))
            else:
                facility_id = found.id
    if problems:
        return problems
    assert area is not None
    assert role is not None
    phones.add(phone)
    return Checked(phone, name, role, area.id, area.name, facility_id)


def _role(value: str) -> str | None:
    """A role by its code or its label in either language ("网格员", "Grid worker")."""
    text = value.strip().casefold()
    if text in set(Role):
        return text
    for locale in ("zh_CN", "en"):
        with using_locale(locale):
            for role in Role:
                if text == label(role, "role").casefold():
                    return str(role)
    return None


async def _write(
    session: AsyncSession, principal: Principal, checked: Checked, *, via: str, now: datetime
) -> tuple[User, str]:
    password = one_time_password(12)
    try:
        user = await service.create_user(
            session, phone=checked.phone, name=checked.name, role=checked.role,
            area_id=checked.area_id, facility_id=checked.facility_id, password=password,
            actor_id=principal.user_id,
        )  # fmt: skip
    except ValueError as error:  # checked above; a concurrent creation can still win
        raise BadInput(str(error), code="bad_input") from error
    user.must_change_password = True
    audit_log.record(
        session, at=now, user_id=principal.user_id, action="password_issued", entity="users",
        entity_id=str(user.id), area_id=user.area_id, detail={"via": via},
    )  # fmt: skip
    return user, password


async def create_one(
    session: AsyncSession, principal: Principal, new: NewUser, *, now: datetime
) -> tuple[User, str]:
    """Create a user with a one-time password (shown once; changed at first sign-in)."""
    checked = await check_new_user(session, principal, 0, new, set())
    if isinstance(checked, list):
        first = checked[0]
        raise BadInput(
            " ".join(p.message for p in checked),
            code="bad_input",
            detail={"field": first.column, "problems": [p.column for p in checked]},
        )
    return await _write(session, principal, checked, via="form", now=now)


async def plan_sheet(
    session: AsyncSession, principal: Principal, rows: Sequence[tuple[int, NewUser]]
) -> SheetPlan:
    plan = SheetPlan()
    phones: set[str] = set()
    for number, new in rows:
        checked = await check_new_user(session, principal, number, new, phones)
        if isinstance(checked, list):
            plan.problems.extend(checked)
        else:
            plan.ok.append((number, checked))
    return plan


async def create_sheet(
    session: AsyncSession,
    principal: Principal,
    rows: Sequence[tuple[int, NewUser]],
    *,
    now: datetime,
) -> list[tuple[User, str]]:
    """All the sheet's users or none: any problem refuses the whole sheet."""
    plan = await plan_sheet(session, principal, rows)
    if plan.problems:
        raise BadInput(
            _("Nothing was written: %(n)s problems in the sheet.", n=len(plan.problems)),
            code="bad_input",
        )
    if not plan.ok:
        raise BadInput(_("The sheet has no users."), code="bad_input")
    made = [await _write(session, principal, c, via="sheet", now=now) for _n, c in plan.ok]
    audit_log.record(
        session, at=now, user_id=principal.user_id, action="create_many", entity="users",
        area_id=principal.area_id, detail={"users": len(made)},
    )  # fmt: skip
    return made


async def change_role_and_area(
    session: AsyncSession,
    principal: Principal,
    user_id: int,
    *,
    role: str,
    area_code: str,
    facility: str,
    now: datetime,
) -> User:
    """A new role and/or area (and facility): the user's devices reset to the new scope."""
    user = await user_in_scope(session, principal, user_id)
    if user.id == principal.user_id:
        raise BadInput(_("You cannot change your own role or area."), code="bad_input")
    checked = await check_new_user(
        session, principal, 0,
        NewUser(phone="", name=user.name, role=role, area_code=area_code, facility=facility),
        set(),
    )  # fmt: skip
    problems = [p for p in checked if p.column != "phone"] if isinstance(checked, list) else []
    if problems:
        raise BadInput(" ".join(p.message for p in problems), code="bad_input",
                       detail={"field": problems[0].column})  # fmt: skip
    area = await _area_by_code(session, principal, area_code.strip())
    new_role = _role(role)
    assert area is not None
    assert new_role is not None
    facility_id = None
    if new_role in FACILITY_ROLES:
        found = await _facility(session, area, facility.strip())
        facility_id = found.id if found else None
    before: dict[str, Any] = {"role": user.role, "area": user.area_id,
                              "facility": user.facility_id}  # fmt: skip
    # role and facility first: the move checks the area against them
    user.role, user.facility_id = new_role, facility_id
    try:
        await move_user(session, user, area, actor_id=principal.user_id)
    except ValueError as error:
        raise BadInput(str(error), code="bad_input") from error
    after = {"role": user.role, "area": user.area_id, "facility": user.facility_id}
    if before["area"] == user.area_id and before != after:
        user.scope_version += 1  # a new role reads other collections: the devices reset
    if before != after:
        audit_log.record(
            session, at=now, user_id=principal.user_id, action="change_role", entity="user",
            entity_id=str(user.id), area_id=user.area_id,
            detail={k: [before[k], after[k]] for k in before if before[k] != after[k]},
        )  # fmt: skip
    return user


async def devices_of(session: AsyncSession, principal: Principal, user_id: int) -> list[Device]:
    user = await user_in_scope(session, principal, user_id)
    rows = await session.execute(
        select(Device)
        .where(Device.user_id == user.id)
        .order_by(Device.revoked_at.is_not(None), Device.created_at.desc())
    )
    return list(rows.scalars())
