"""The users page of an admin: the users of the admin's subtree, and a password reset
that shows a one-time password once. The user's own forced change is /account/password
(server/web/account.py)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Template
from litestar.types import ControllerRouterHandler

from server.accounts import admin as users
from server.accounts.auth import require_csrf
from server.accounts.deps import CurrentIdentity
from server.accounts.guards import admin
from server.accounts.values import Role
from server.db import utcnow
from server.deps import AppSettings, Session
from server.errors import BadInput
from server.i18n import gettext as _

AnyRequest = Request[Any, Any, Any]


@get("/admin/users", include_in_schema=False, guards=[admin])
async def users_page(
    session: Session,
    identity: CurrentIdentity,
    role: Annotated[str | None, QueryParameter(name="role")] = None,
    page: Annotated[int, QueryParameter(name="page", ge=1, le=100_000)] = 1,
) -> Template:
    if role and role not in set(Role):
        raise BadInput(_("Unknown role."), code="bad_input")
    rows, total = await users.list_users(session, identity.principal, role=role or None, page=page)
    return Template(
        template_name="admin/users.html",
        context={
            "user": identity.user,
            "rows": rows,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // users.PAGE_SIZE)),
            "role": role or "",
            "roles": list(Role),
        },
    )


@post("/admin/users/{user_id:int}/reset-password", include_in_schema=False, guards=[admin])
async def reset_password(
    request: AnyRequest,
    session: Session,
    settings: AppSettings,
    identity: CurrentIdentity,
    user_id: FromPath[int],
) -> Template:
    await require_csrf(request, settings)
    target, password = await users.reset_password(session, identity.principal, user_id, utcnow())
    return Template(
        template_name="admin/users.html",
        context={"user": identity.user, "reset": target, "password": password},
    )


ROUTES: list[ControllerRouterHandler] = [users_page, reset_password]
