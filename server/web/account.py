"""A user's own password change; after an admin's reset, every page leads here first."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import QueryParameter
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler

from server.accounts import admin as users
from server.accounts.auth import require_csrf, safe_next
from server.accounts.deps import CurrentIdentity
from server.accounts.guards import signed_in
from server.db import utcnow
from server.deps import AppSettings, Session
from server.errors import BadInput

AnyRequest = Request[Any, Any, Any]


def _page(identity: Any, next_path: str, error: str = "", status: int = 200) -> Template:
    return Template(
        template_name="account_password.html",
        context={"user": identity.user, "next": next_path, "error": error},
        status_code=status,
    )


@get("/account/password", include_in_schema=False, guards=[signed_in])
async def password_form(
    identity: CurrentIdentity,
    next_path: Annotated[str | None, QueryParameter(name="next")] = None,
) -> Template:
    return _page(identity, safe_next(next_path))


@post("/account/password", include_in_schema=False, guards=[signed_in])
async def password_submit(
    request: AnyRequest, session: Session, settings: AppSettings, identity: CurrentIdentity
) -> Response[Any]:
    form = await require_csrf(request, settings)

    def field(name: str) -> str:
        value = form.get(name)
        return value if isinstance(value, str) else ""

    next_path = safe_next(field("next"))
    try:
        await users.change_password(
            session, identity.user, field("current"), field("new"), field("repeat"), utcnow()
        )
    except BadInput as error:
        return _page(identity, next_path, error.message, 400)
    return Redirect(next_path, status_code=303)


ROUTES: list[ControllerRouterHandler] = [password_form, password_submit]
