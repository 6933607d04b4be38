"""Route guards: each route declares who may call it (``guards=[reviewer]``).

Guards run before the handler and its dependencies; they read the caller once
(:func:`server.accounts.auth.identify`) and the handler's ``identity`` / ``user`` /
``principal`` dependencies reuse it. A caller who is not signed in gets ``401
unauthorized`` (JSON) or a redirect to the sign-in page; a signed-in caller without the
right gets ``403 forbidden``. What a user may do with a given record is decided
further in (server/accounts/guard.py: the role's collections and the area subtree).
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from server.accounts.auth import (
    bearer_token,
    cookie_write_is_safe,
    require_identity,
)
from server.accounts.guard import ADMINS, REVIEWERS, TOWNSHIP_STAFF
from server.deps import app_settings
from server.errors import Forbidden, Unauthorized
from server.i18n import gettext as _

AnyConnection = ASGIConnection[Any, Any, Any, Any]


async def signed_in(connection: AnyConnection, _handler: BaseRouteHandler) -> None:
    """Any active user, by device token or page session."""
    await require_identity(connection)


async def device(connection: AnyConnection, _handler: BaseRouteHandler) -> None:
    """A device token (the sync API): a page session is not enough."""
    if bearer_token(connection) is None:
        raise Unauthorized(
            _("Send the device token: Authorization: Bearer <token>."), code="unauthorized"
        )
    await require_identity(connection)


async def _has_role(connection: AnyConnection, roles: frozenset[str]) -> bool:
    # Read the caller before any message is built: an API call speaks their language.
    return (await require_identity(connection)).principal.role in roles


async def reviewer(connection: AnyConnection, _handler: BaseRouteHandler) -> None:
    """Supervisors and admins: conflict review and the supervisor pages."""
    if not await _has_role(connection, REVIEWERS):
        raise Forbidden(_("Only supervisors and admins may do this."), code="forbidden")


async def admin(connection: AnyConnection, _handler: BaseRouteHandler) -> None:
    """Administrators: users, devices and the area tree."""
    if not await _has_role(connection, ADMINS):
        raise Forbidden(_("Only administrators may do this."), code="forbidden")


async def township_staff(connection: AnyConnection, _handler: BaseRouteHandler) -> None:
    """The township health centre: the fever inbox, samples and results."""
    if not await _has_role(connection, TOWNSHIP_STAFF):
        raise Forbidden(_("Only the township health centre may do this."), code="forbidden")


async def cookie_writes_need_csrf(connection: AnyConnection, _handler: BaseRouteHandler) -> None:
    """An API write acting on the page session cookie must prove it comes from our pages
    (see :func:`server.accounts.auth.cookie_write_is_safe`)."""
    if connection.scope.get("method", "GET") in ("GET", "HEAD", "OPTIONS"):
        return
    if not cookie_write_is_safe(connection, app_settings(connection).secret_key):
        raise Forbidden(
            _(
                "Send this request as JSON (Content-Type: application/json) "
                "or with the X-CSRF-Token header."
            ),
            code="forbidden",
        )
