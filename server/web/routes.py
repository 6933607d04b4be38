"""Server-rendered pages: the home page (each role's is built in server/web/homes.py) and
the language switch."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Response, get
from litestar.datastructures import Cookie
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler

from server import i18n
from server.accounts.auth import safe_next
from server.accounts.deps import CurrentIdentity, MaybeIdentity
from server.accounts.guards import signed_in
from server.db import utcnow
from server.deps import AppSettings, Session
from server.errors import NotFound
from server.i18n import gettext as _
from server.web import homes

LANG_MAX_AGE = 365 * 24 * 3600


@get("/", include_in_schema=False, guards=[signed_in])
async def home_page(
    session: Session, settings: AppSettings, identity: CurrentIdentity
) -> Response[Any]:
    user, principal = identity.user, identity.principal
    if user.must_change_password:
        return Redirect("/account/password", status_code=303)
    context = await homes.home_page_context(session, principal, user, settings, utcnow())
    return Template(template_name="home.html", context=context)


@get("/lang/{code:str}", include_in_schema=False)
async def switch_language(
    session: Session,
    maybe_identity: MaybeIdentity,
    code: FromPath[str],
    next_path: Annotated[str | None, QueryParameter(name="next")] = None,
) -> Response[Any]:
    """Set the language cookie and go back where the user was (a local path only); a
    signed-in user's sync and API messages follow the choice too."""
    locale = i18n.normalise(code)
    if locale is None:
        raise NotFound(_("Unknown language."), code="unknown_language")
    if maybe_identity is not None and maybe_identity.user.locale != locale:
        maybe_identity.user.locale = locale  # the request's session writes it back
    # Readable by the field app's scripts, so not HttpOnly; it holds nothing secret.
    cookie = Cookie(key=i18n.LOCALE_COOKIE, value=locale, max_age=LANG_MAX_AGE, samesite="lax")
    return Redirect(safe_next(next_path), status_code=303, cookies=[cookie])


ROUTES: list[ControllerRouterHandler] = [home_page, switch_language]
