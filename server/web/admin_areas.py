"""The area tree page of an admin and the facilities page: add, rename, set a grid's lead,
move (counted first, then confirmed), retire; list, add and edit facilities.

Every form works without JavaScript (a POST answered by a page or a redirect); a refused
form comes back with its message and a 400, nothing written.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.datastructures import FormMultiDict
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.auth import require_csrf
from server.accounts.deps import CurrentIdentity
from server.accounts.guard import Principal
from server.accounts.guards import admin
from server.areas import rules
from server.areas.values import AreaLevel, FacilityKind
from server.db import utcnow
from server.deps import AppSettings, Session
from server.errors import BadInput
from server.orgadmin import areas as org

AnyRequest = Request[Any, Any, Any]


def field(form: FormMultiDict, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def int_field(form: FormMultiDict, name: str, message: str) -> int:
    value = field(form, name).strip()
    if not value.isdigit() or len(value) > 9:
        raise BadInput(message, code="bad_input", detail={"field": name})
    return int(value)


async def _tree_context(session: AsyncSession, identity: Any) -> dict[str, Any]:
    nodes = await org.subtree(session, identity.principal)
    children: dict[int | None, list[org.TreeNode]] = {}
    for node in nodes[1:]:
        children.setdefault(node.parent_id, []).append(node)
    return {
        "user": identity.user,
        "root": nodes[0] if nodes else None,
        "children": children,
        "count": len(nodes),
    }


@get("/admin/areas", include_in_schema=False, guards=[admin])
async def tree_page(session: Session, identity: CurrentIdentity) -> Template:
    return Template("admin/areas.html", context=await _tree_context(session, identity))


async def _node_context(
    session: AsyncSession, principal: Principal, area_id: int, identity: Any
) -> dict[str, Any]:
    area = await org.area_in_scope(session, principal, area_id)
    return {
        "user": identity.user,
        "area": area,
        "is_root": area.id == principal.area_id,
        "child_level": rules.child_level(area.level),
        "targets": [] if area.id == principal.area_id else await org.move_targets(
            session, principal, area
        ),
        "grid": AreaLevel.GRID,
    }  # fmt: skip


@get("/admin/areas/{area_id:int}", include_in_schema=False, guards=[admin])
async def node_page(
    session: Session, identity: CurrentIdentity, area_id: FromPath[int]
) -> Template:
    context = await _node_context(session, identity.principal, area_id, identity)
    return Template("admin/area.html", context=context)


async def _refused(
    session: AsyncSession, identity: Any, area_id: int, error: BadInput, form: FormMultiDict
) -> Template:
    await session.rollback()  # nothing of a refused form is kept
    context = await _node_context(session, identity.principal, area_id, identity)
    context |= {"error": error.message, "error_field": (error.detail or {}).get("field"),
                "form": dict(form.items())}  # fmt: skip
    return Template("admin/area.html", context=context, status_code=400)


@post("/admin/areas/{area_id:int}/children", include_in_schema=False, guards=[admin])
async def add_child(
    request: AnyRequest,
    session: Session,
    settings: AppSettings,
    identity: CurrentIdentity,
    area_id: FromPath[int],
) -> Template | Redirect:
    form = await require_csrf(request, settings)
    try:
        child = await org.add_child(
            session, identity.principal, area_id, name=field(form, "name"),
            code=field(form, "code"), lead_name=field(form, "lead_name"),
            lead_phone=field(form, "lead_phone"), now=utcnow(),
        )  # fmt: skip
    except BadInput as error:
        return await _refused(session, identity, area_id, error, form)
    return Redirect(f"/admin/areas/{child.id}?added=1", status_code=303)


@post("/admin/areas/{area_id:int}", include_in_schema=False, guards=[admin])
async def edit_node(
    request: AnyRequest,
    session: Session,
    settings: AppSettings,
    identity: CurrentIdentity,
    area_id: FromPath[int],
) -> Template | Redirect:
    form = await require_csrf(request, settings)
    try:
        await org.edit_area(
            session, identity.principal, area_id, name=field(form, "name"),
            lead_name=field(form, "lead_name"), lead_phone=field(form, "lead_phone"),
            now=utcnow(),
        )  # fmt: skip
    except BadInput as error:
        return await _refused(session, identity, area_id, error, form)
    return Redirect(f"/admin/areas/{area_id}?saved=1", status_code=303)


@post("/admin/areas/{area_id:int}/move", include_in_schema=False, guards=[admin])
async def move_node(
    request: AnyRequest,
    session: Session,
    settings: AppSettings,
    identity: CurrentIdentity,
    area_id: FromPath[int],
) -> Template | Redirect:
    """Without ``confirm``: the counts of what the move takes along, and a confirm button.
    With it: the move, in this request's one transaction."""
    form = await require_csrf(request, settings)
    principal = identity.principal
    try:
        parent_id = int_field(form, "parent_id", org.refusal("missing_parent").message)
        if field(form, "confirm") != "1":
            area, parent = await org.check_move(session, principal, area_id, parent_id)
            return Template("admin/area_confirm.html", context={
                "user": identity.user, "area": area, "parent": parent, "action": "move",
                "impact": await org.impact(session, area),
            })  # fmt: skip
        await org.move_area(session, principal, area_id, parent_id, now=utcnow())
    except BadInput as error:
        return await _refused(session, identity, area_id, error, form)
    return Redirect(f"/admin/areas/{area_id}?moved=1", status_code=303)


@post("/admin/areas/{area_id:int}/retire", include_in_schema=False, guards=[admin])
async def retire_node(
    request: AnyRequest,
    session: Session,
    settings: AppSettings,
    identity: CurrentIdentity,
    area_id: FromPath[int],
) -> Template | Redirect:
    form = await require_csrf(request, settings)
    principal = identity.principal
    try:
        if field(form, "confirm") != "1":
            area = await org.area_in_scope(session, principal, area_id)
            if area.id == principal.area_id:
                raise org.refusal("root")
            return Template("admin/area_confirm.html", context={
                "user": identity.user, "area": area, "action": "retire",
                "impact": await org.impact(session, area),
            })  # fmt: skip
        await org.retire_area(
            session, principal, area_id,
            deactivate_users=field(form, "deactivate_users") == "1", now=utcnow(),
        )  # fmt: skip
    except BadInput as error:
        return await _refused(session, identity, area_id, error, form)
    return Redirect(f"/admin/areas/{area_id}?retired=1", status_code=303)


# --- facilities --------------------------------------------------------------------------


async def _facilities_context(session: AsyncSession, identity: Any) -> dict[str, Any]:
    nodes = await org.subtree(session, identity.principal)
    return {
        "user": identity.user,
        "rows": await org.facilities(session, identity.principal),
        "kinds": list(FacilityKind),
        "places": [n for n in nodes if n.level in (AreaLevel.TOWN, AreaLevel.VILLAGE)
                   and not n.retired],
    }  # fmt: skip


@get("/admin/facilities", include_in_schema=False, guards=[admin])
async def facilities_page(session: Session, identity: CurrentIdentity) -> Template:
    return Template("admin/facilities.html", context=await _facilities_context(session, identity))


async def _save_facility(
    request: AnyRequest,
    session: AsyncSession,
    settings: Any,
    identity: Any,
    facility_id: int | None,
) -> Template | Redirect:
    form = await require_csrf(request, settings)
    try:
        area_id = int_field(form, "area_id", org.refusal("missing_area").message)
        facility = await org.save_facility(
            session, identity.principal, facility_id, kind=field(form, "kind"),
            name=field(form, "name"), phone=field(form, "phone"), area_id=area_id, now=utcnow(),
        )  # fmt: skip
    except BadInput as error:
        await session.rollback()
        context = await _facilities_context(session, identity)
        context |= {"error": error.message, "form": dict(form.items()),
                    "editing": facility_id}  # fmt: skip
        return Template("admin/facilities.html", context=context, status_code=400)
    return Redirect(f"/admin/facilities?saved={facility.id}#f{facility.id}", status_code=303)


@post("/admin/facilities", include_in_schema=False, guards=[admin])
async def add_facility(
    request: AnyRequest, session: Session, settings: AppSettings, identity: CurrentIdentity
) -> Template | Redirect:
    return await _save_facility(request, session, settings, identity, None)


@post("/admin/facilities/{facility_id:int}", include_in_schema=False, guards=[admin])
async def edit_facility(
    request: AnyRequest,
    session: Session,
    settings: AppSettings,
    identity: CurrentIdentity,
    facility_id: FromPath[int],
) -> Template | Redirect:
    return await _save_facility(request, session, settings, identity, facility_id)


ROUTES: list[ControllerRouterHandler] = [
    tree_page,
    node_page,
    add_child,
    edit_node,
    move_node,
    retire_node,
    facilities_page,
    add_facility,
    edit_facility,
]
