"""What an admin does to the area tree: add a child, rename, set a grid's lead, move a
subtree, retire one; and the facilities in it. Each change is audited and limited to the
admin's subtree; the caller's session is the request's one transaction.

Areas are reference data: devices never write them, so these writes take their change
numbers from the counter directly (server/sync/revs.py) and every device whose scope holds
the area pulls the new row at its next sync. A move or a retirement also changes what some
users may see: their ``scope_version`` goes up (as a user move does, server/accounts/
moves.py), so their devices get ``reset: "scope"`` and pull exactly their new scope
(docs/sync-protocol.md, "Scope").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.guard import Principal, in_subtree_path
from server.accounts.models import Device, User, WebSession
from server.areas import rules
from server.areas.models import Area, Facility
from server.areas.values import AreaLevel, FacilityKind
from server.audit import log as audit_log
from server.errors import BadInput, NotFound
from server.i18n import gettext as _
from server.labels import label
from server.people.models import Household, Person
from server.people.rules import check_phone
from server.sync.revs import RevAllocator

MAX_LEAD = 40


@dataclass(frozen=True, slots=True)
class TreeNode:
    id: int
    parent_id: int | None
    level: str
    name: str
    code: str
    path: str
    lead_name: str | None
    lead_phone: str | None
    retired: bool
    depth: int


async def subtree(session: AsyncSession, principal: Principal) -> list[TreeNode]:
    """The admin's subtree in tree order (a parent before its children, siblings by code)."""
    rows = (
        await session.execute(select(Area).where(in_subtree_path(Area.path, principal.area_path)))
    ).scalars()
    by_parent: dict[int | None, list[Area]] = {}
    root: Area | None = None
    for area in rows:
        if area.id == principal.area_id:
            root = area
        else:
            by_parent.setdefault(area.parent_id, []).append(area)
    out: list[TreeNode] = []

    def walk(area: Area, depth: int) -> None:
        out.append(
            TreeNode(area.id, area.parent_id, area.level, area.name, area.code, area.path,
                     area.lead_name, area.lead_phone, area.retired_at is not None, depth)
        )  # fmt: skip
        for child in sorted(by_parent.get(area.id, []), key=lambda a: a.code):
            walk(child, depth + 1)

    if root is not None:
        walk(root, 0)
    return out


async def area_in_scope(session: AsyncSession, principal: Principal, area_id: int) -> Area:
    area = await session.get(Area, area_id)
    if area is None or not principal.covers(area.path):
        raise NotFound(_("No such area in your subtree."), code="not_found")
    return area


async def _stamp(session: AsyncSession, areas: list[Area]) -> None:
    """New change numbers for areas rewritten here: devices pull them by rev."""
    alloc = RevAllocator(session)
    for area in areas:
        area.rev = await alloc.next()
    await alloc.flush()


def _check_name(name: str) -> str:
    problem = rules.name_problem(name)
    if problem == "required":
        raise BadInput(_("Enter the area's name."), code="bad_input", detail={"field": "name"})
    if problem:
        raise BadInput(
            _("The name is longer than %(n)s characters.", n=rules.MAX_NAME),
            code="bad_input",
            detail={"field": "name"},
        )
    return name.strip()


def _check_lead(lead_name: str, lead_phone: str) -> tuple[str | None, str | None]:
    lead_name, lead_phone = lead_name.strip(), lead_phone.strip()
    if len(lead_name) > MAX_LEAD:
        raise BadInput(
            _("The lead's name is longer than %(n)s characters.", n=MAX_LEAD),
            code="bad_input",
            detail={"field": "lead_name"},
        )
    if lead_phone and not check_phone(lead_phone).ok:
        raise BadInput(
            _("The lead's phone is not a phone number (a mobile such as 13800138000 or a "
              "landline such as 0915-1234567)."),
            code="bad_input",
            detail={"field": "lead_phone"},
        )  # fmt: skip
    if lead_phone and not lead_name:
        raise BadInput(
            _("Give the lead's name with the phone."),
            code="bad_input",
            detail={"field": "lead_name"},
        )
    return lead_name or None, lead_phone or None


async def add_child(
    session: AsyncSession,
    principal: Principal,
    parent_id: int,
    *,
    name: str,
    code: str,
    lead_name: str = "",
    lead_phone: str = "",
    now: datetime,
) -> Area:
    parent = await area_in_scope(session, principal, parent_id)
    level = rules.child_level(parent.level)
    if level is None:
        raise BadInput(_("A grid has no child areas."), code="bad_input")
    if parent.retired_at is not None:
        raise BadInput(_("This area is retired: add nothing under it."), code="bad_input")
    name = _check_name(name)
    code = code.strip()
    if rules.code_problem(code):
        raise BadInput(
            _("The code is 1 to 32 letters, digits, “-”, “_” or “.”."),
            code="bad_input",
            detail={"field": "code"},
        )
    taken = (await session.execute(select(Area.id).where(Area.code == code))).first()
    if taken is not None:
        raise BadInput(
            _("The code %(code)s is taken by another area.", code=code),
            code="bad_input",
            detail={"field": "code"},
        )
    lead = _check_lead(lead_name, lead_phone) if level == AreaLevel.GRID else (None, None)
    area = Area(parent_id=parent.id, level=level, name=name, code=code, path=parent.path,
                lead_name=lead[0], lead_phone=lead[1])  # fmt: skip
    session.add(area)
    await session.flush()
    area.path = f"{parent.path}{area.id}/"
    await _stamp(session, [area])
    audit_log.record(
        session, at=now, user_id=principal.user_id, action="create", entity="area",
        entity_id=str(area.id), area_id=area.id,
        detail={"parent": parent.id, "level": level, "code": code, "name": name},
    )  # fmt: skip
    return area


async def edit_area(
    session: AsyncSession,
    principal: Principal,
    area_id: int,
    *,
    name: str,
    lead_name: str = "",
    lead_phone: str = "",
    now: datetime,
) -> Area:
    """Rename an area; for a grid, set its lead's name and phone too."""
    area = await area_in_scope(session, principal, area_id)
    name = _check_name(name)
    lead = (
        _check_lead(lead_name, lead_phone)
        if area.level == AreaLevel.GRID
        else (area.lead_name, area.lead_phone)
    )
    before = {"name": area.name, "lead_name": area.lead_name, "lead_phone": area.lead_phone}
    after = {"name": name, "lead_name": lead[0], "lead_phone": lead[1]}
    if before == after:
        return area
    area.name, area.lead_name, area.lead_phone = name, lead[0], lead[1]
    await _stamp(session, [area])
    changed = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if "lead_phone" in changed:  # the audit log is a list: no whole phones in it
        changed["lead_phone"] = ["…" + (before["lead_phone"] or "")[-4:],
                                 "…" + (after["lead_phone"] or "")[-4:]]  # fmt: skip
    audit_log.record(
        session, at=now, user_id=principal.user_id, action="update", entity="area",
        entity_id=str(area.id), area_id=area.id, detail=changed,
    )  # fmt: skip
    return area


# --- moving and retiring: counted before, applied in one transaction ---------------------


@dataclass(frozen=True, slots=True)
class Impact:
    """What a move or a retirement touches, counted by query before the admin confirms."""

    areas: int
    users: int
    active_users: int
    devices: int
    households: int
    persons: int


async def impact(session: AsyncSession, area: Area) -> Impact:
    under = select(Area.id).where(in_subtree_path(Area.path, area.path))
    areas = (await session.execute(select(func.count()).where(Area.id.in_(under)))).scalar_one()
    users, active = (
        await session.execute(
            select(func.count(User.id), func.count(User.id).filter(User.active.is_(True))).where(
                User.area_id.in_(under)
            )
        )
    ).one()
    devices = (
        await session.execute(
            select(func.count(Device.id))
            .join(User, User.id == Device.user_id)
            .where(User.area_id.in_(under), Device.revoked_at.is_(None))
        )
    ).scalar_one()
    households = (
        await session.execute(
            select(func.count(Household.id)).where(
                Household.area_id.in_(under), Household.deleted.is_(False)
            )
        )
    ).scalar_one()
    persons = (
        await session.execute(
            select(func.count(Person.id)).where(
                Person.area_id.in_(under), Person.deleted.is_(False)
            )
        )
    ).scalar_one()
    return Impact(int(areas), int(users), int(active or 0), int(devices), int(households),
                  int(persons))  # fmt: skip


async def move_targets(session: AsyncSession, principal: Principal, area: Area) -> list[Area]:
    """The areas a node may move under: the level above it, in the subtree, not its own
    parent, not retired."""
    parent_level = rules.PARENT_LEVEL.get(area.level)
    if parent_level is None:
        return []
    rows = await session.execute(
        select(Area)
        .where(
            in_subtree_path(Area.path, principal.area_path),
            Area.level == parent_level,
            Area.retired_at.is_(None),
            or_(Area.parent_id.is_(None), Area.id != area.parent_id),
        )
        .order_by(Area.path)
    )
    return [a for a in rows.scalars() if not a.path.startswith(area.path)]


def refusal(problem: str) -> BadInput:
    """The refusal of a move or retirement (``rules.move_problem``'s codes and the form's)."""
    messages = {
        "missing_parent": _("Choose the new parent."),
        "missing_area": _("Choose the area."),
        "root": _("Your own area cannot be moved or retired here."),
        "outside": _("The new parent is outside your subtree."),
        "self": _("An area cannot move under itself or under one of its own areas."),
        "level": _("The new parent must be one level above the area."),
        "same": _("The area is already there."),
    }
    return BadInput(messages[problem], code="bad_input", detail={"field": "parent_id"})


async def check_move(
    session: AsyncSession, principal: Principal, area_id: int, parent_id: int
) -> tuple[Area, Area]:
    area = await area_in_scope(session, principal, area_id)
    parent = await session.get(Area, parent_id)
    if parent is None:
        raise BadInput(_("Choose the new parent."), code="bad_input", detail={"field": "parent_id"})
    problem = rules.move_problem(area.path, area.level, parent.path, parent.level,
                                 principal.area_path)  # fmt: skip
    if problem:
        raise refusal(problem)
    if parent.retired_at is not None:
        raise BadInput(_("The new parent is retired."), code="bad_input")
    return area, parent


async def _bump_scopes(session: AsyncSession, area_ids: list[int], subtree_path: str) -> int:
    """Raise the scope version of every user placed in the subtree or on the given areas:
    their devices reset and pull their new scope. Returns how many users."""
    result = await session.execute(
        update(User)
        .where(
            or_(
                User.area_id.in_(select(Area.id).where(in_subtree_path(Area.path, subtree_path))),
                User.area_id.in_(area_ids),
            )
        )
        .values(scope_version=User.scope_version + 1)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def move_area(
    session: AsyncSession, principal: Principal, area_id: int, parent_id: int, *, now: datetime
) -> Impact:
    """Move a node (and its subtree) under a new parent; every path below it is rewritten.

    Users whose scope changes (those in the subtree, and those on the old and the new
    parent's chains below the two chains' common ancestor) get a new scope version; the
    rewritten areas get new change numbers."""
    area, parent = await check_move(session, principal, area_id, parent_id)
    counted = await impact(session, area)
    old_parent_path = area.path.rsplit("/", 2)[0] + "/"
    old_prefix, new_prefix = area.path, f"{parent.path}{area.id}/"
    common = rules.common_prefix(old_parent_path, parent.path)
    touched = rules.ancestors_between(area.path, common) + rules.ancestors_between(
        new_prefix, common
    )
    # scope versions first, while the subtree still has its old paths
    users = await _bump_scopes(session, touched, old_prefix)
    moved = list(
        (
            await session.execute(select(Area).where(in_subtree_path(Area.path, old_prefix)))
        ).scalars()
    )
    old_parent = area.parent_id
    for node in moved:
        node.path = rules.moved_path(node.path, old_prefix, new_prefix)
    area.parent_id = parent.id
    await _stamp(session, moved)
    audit_log.record(
        session, at=now, user_id=principal.user_id, action="move", entity="area",
        entity_id=str(area.id), area_id=area.id,
        detail={"from_parent": old_parent, "to_parent": parent.id, "areas": len(moved),
                "users": counted.users, "devices": counted.devices,
                "households": counted.households, "persons": counted.persons,
                "scope_changed_users": users},
    )  # fmt: skip
    return counted


async def retire_area(
    session: AsyncSession,
    principal: Principal,
    area_id: int,
    *,
    deactivate_users: bool,
    now: datetime,
) -> Impact:
    """Retire a node and its subtree: nobody new is bound to it, its records stay. Active
    users in it are refused unless the admin chose to deactivate them (their devices are
    revoked and their page sessions end)."""
    area = await area_in_scope(session, principal, area_id)
    if area.id == principal.area_id:
        raise refusal("root")
    if area.retired_at is not None:
        raise BadInput(_("This area is retired already."), code="bad_input")
    counted = await impact(session, area)
    if counted.active_users and not deactivate_users:
        raise BadInput(
            _("%(n)s active users are placed in this area: move them first, or tick "
              "“deactivate them”.", n=counted.active_users),
            code="has_users",
        )  # fmt: skip
    under = select(Area.id).where(in_subtree_path(Area.path, area.path))
    if counted.active_users:
        ids = list(
            (
                await session.execute(
                    select(User.id).where(User.area_id.in_(under), User.active.is_(True))
                )
            ).scalars()
        )
        for user_id in ids:
            await set_active_by_id(session, principal, user_id, False, now=now)
    nodes = list(
        (
            await session.execute(select(Area).where(Area.id.in_(under), Area.retired_at.is_(None)))
        ).scalars()
    )
    for node in nodes:
        node.retired_at = now
    await _stamp(session, nodes)
    audit_log.record(
        session, at=now, user_id=principal.user_id, action="retire", entity="area",
        entity_id=str(area.id), area_id=area.id,
        detail={"areas": len(nodes), "deactivated_users": counted.active_users,
                "households": counted.households, "persons": counted.persons},
    )  # fmt: skip
    return counted


async def set_active_by_id(
    session: AsyncSession, principal: Principal, user_id: int, active: bool, *, now: datetime
) -> User:
    """Deactivate (devices revoked, page sessions ended) or reactivate a user; audited."""
    user = (
        await session.execute(
            select(User)
            .join(Area, Area.id == User.area_id)
            .where(User.id == user_id, in_subtree_path(Area.path, principal.area_path))
        )
    ).scalar_one_or_none()
    if user is None:
        raise NotFound(_("No such user in your area."), code="not_found")
    if user.id == principal.user_id and not active:
        raise BadInput(_("You cannot deactivate yourself."), code="bad_input")
    if user.active == active:
        return user
    if active:
        area = await session.get(Area, user.area_id)
        if area is not None and area.retired_at is not None:
            raise BadInput(
                _("The user's area is retired: move the user to another area first."),
                code="bad_input",
            )
    user.active = active
    revoked = 0
    if not active:
        result = await session.execute(
            update(Device)
            .where(Device.user_id == user.id, Device.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        revoked = int(getattr(result, "rowcount", 0) or 0)
        await session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    audit_log.record(
        session, at=now, user_id=principal.user_id,
        action="deactivate" if not active else "reactivate", entity="user",
        entity_id=str(user.id), area_id=user.area_id, detail={"devices_revoked": revoked},
    )  # fmt: skip
    return user


# --- facilities --------------------------------------------------------------------------


async def facilities(session: AsyncSession, principal: Principal) -> list[tuple[Facility, Area]]:
    rows = await session.execute(
        select(Facility, Area)
        .join(Area, Area.id == Facility.area_id)
        .where(in_subtree_path(Area.path, principal.area_path))
        .order_by(Area.path, Facility.kind, Facility.name)
    )
    return [(f, a) for f, a in rows.all()]


#: where each kind of facility sits
FACILITY_LEVELS: dict[str, tuple[str, ...]] = {
    FacilityKind.VILLAGE_CLINIC: (AreaLevel.VILLAGE,),
    FacilityKind.PRIVATE_CLINIC: (AreaLevel.VILLAGE, AreaLevel.TOWN),
    FacilityKind.PHARMACY: (AreaLevel.VILLAGE, AreaLevel.TOWN),
    FacilityKind.TOWNSHIP_HEALTH_CENTRE: (AreaLevel.TOWN,),
}


async def save_facility(
    session: AsyncSession,
    principal: Principal,
    facility_id: int | None,
    *,
    kind: str,
    name: str,
    phone: str,
    area_id: int,
    now: datetime,
) -> Facility:
    """Add (``facility_id`` None) or edit a facility; audited."""
    if kind not in set(FacilityKind):
        raise BadInput(_("Choose the kind of facility."), code="bad_input",
                       detail={"field": "kind"})  # fmt: skip
    name = name.strip()
    if not name or len(name) > 80:
        raise BadInput(_("Enter the facility's name (at most 80 characters)."),
                       code="bad_input", detail={"field": "name"})  # fmt: skip
    phone = phone.strip()
    if phone and not check_phone(phone).ok:
        raise BadInput(
            _("The phone is not a phone number (a mobile such as 13800138000 or a "
              "landline such as 0915-1234567)."),
            code="bad_input", detail={"field": "phone"},
        )  # fmt: skip
    area = await area_in_scope(session, principal, area_id)
    if area.level not in FACILITY_LEVELS[kind]:
        raise BadInput(
            _("A %(kind)s sits in a %(levels)s.", kind=label(kind, "facility_kind"),
              levels=" / ".join(label(lv, "area_level") for lv in FACILITY_LEVELS[kind])),
            code="bad_input", detail={"field": "area_id"},
        )  # fmt: skip
    if area.retired_at is not None:
        raise BadInput(_("This area is retired: add nothing under it."), code="bad_input")
    if facility_id is None:
        facility = Facility(area_id=area.id, kind=kind, name=name, phone=phone or None)
        session.add(facility)
        await session.flush()
        action, detail = "create", {"kind": kind, "name": name, "area": area.id}
    else:
        found = await session.get(Facility, facility_id)
        home = await session.get(Area, found.area_id) if found else None
        if found is None or home is None or not principal.covers(home.path):
            raise NotFound(_("No such facility in your subtree."), code="not_found")
        facility = found
        before = {"kind": facility.kind, "name": facility.name, "area": facility.area_id,
                  "phone": facility.phone}  # fmt: skip
        if facility.area_id != area.id:
            # devices of the old area would keep the row: a facility stays where it is
            raise BadInput(
                _("A facility stays in its area: add it anew in the other area."),
                code="bad_input",
                detail={"field": "area_id"},
            )
        facility.kind, facility.name, facility.area_id = kind, name, area.id
        facility.phone = phone or None
        after = {"kind": kind, "name": name, "area": area.id, "phone": facility.phone}
        action = "update"
        detail = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
        if "phone" in detail:
            detail["phone"] = ["…" + str(before["phone"] or "")[-4:], "…" + phone[-4:]]
    alloc = RevAllocator(session)
    facility.rev = await alloc.next()
    await alloc.flush()
    audit_log.record(
        session, at=now, user_id=principal.user_id, action=action, entity="facility",
        entity_id=str(facility.id), area_id=area.id, detail=detail,
    )  # fmt: skip
    return facility
