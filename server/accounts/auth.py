"""Who is calling: device tokens (sync API), page session cookies, and CSRF for page forms.

JSON APIs call :func:`authenticate`; pages call :func:`require_page_user` (or
:func:`page_principal`), which raises :class:`LoginRequired`, answered with a 303 to
``/login?next=...`` for pages and a 401 for JSON. Page forms carry ``{{ csrf_field() }}``
and their POST handlers call :func:`require_csrf`.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any
from urllib.parse import quote, urlsplit

from litestar import Request, Response
from litestar.datastructures import Cookie, FormMultiDict
from litestar.response import Redirect
from litestar.types import ExceptionHandlersMap
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.accounts import lifetimes, service
from server.accounts.guard import Principal, principal_for
from server.accounts.models import Device, User
from server.accounts.passwords import hash_token
from server.config import Settings
from server.db import utcnow
from server.errors import Forbidden, Unauthorized
from server.i18n import gettext as _
from server.web.errors import wants_json

SESSION_COOKIE = "wg_session"
#: double-submit cookie of the sign-in form (there is no session yet to bind a token to)
LOGIN_CSRF_COOKIE = "wg_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SESSION_MAX_AGE = service.SESSION_DAYS * 24 * 3600

AnyRequest = Request[Any, Any, Any]


# --- device tokens -----------------------------------------------------------------------


def bearer_token(request: AnyRequest) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, else None."""
    header = request.headers.get("authorization", "")
    scheme, _sep, token = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = token.strip()
    return token or None


async def device_from_token(session: AsyncSession, token: str) -> tuple[User, Device]:
    """The user and device of a bearer token. Reads only: no commit, no update.

    Raises Unauthorized with code ``unauthorized`` (unknown token, inactive user) or
    ``device_revoked`` (the device was revoked: the app must sign in again).
    """
    row = (
        await session.execute(
            select(User, Device)
            .join(Device, Device.user_id == User.id)
            .where(Device.token_hash == hash_token(token))
        )
    ).first()
    if row is None:
        raise Unauthorized(_("Unknown device token. Please sign in again."), code="unauthorized")
    user, device = row
    if device.revoked_at is not None:
        raise Unauthorized(
            _("This device was signed out. Please sign in again."), code="device_revoked"
        )
    last_used = lifetimes.device_last_used(
        device.created_at, device.last_seen_at, device.last_sync_at
    )
    if lifetimes.idle_expired(last_used, utcnow(), lifetimes.current().device_idle):
        raise Unauthorized(
            _("This device was not used for a long time and was signed out. Please sign in again."),
            code="device_expired",
        )
    if not user.active:
        raise Unauthorized(_("This account is disabled."), code="unauthorized")
    return user, device


# --- page sessions -----------------------------------------------------------------------


def session_cookie(token: str, settings: Settings) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value=token,
        max_age=SESSION_MAX_AGE,
        path="/",
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
    )


def expired_session_cookie(settings: Settings) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value="",
        max_age=0,
        path="/",
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
    )


async def _cookie_user(session: AsyncSession, request: AnyRequest) -> User | None:
    token = request.cookies.get(SESSION_COOKIE)
    return await service.session_user(session, token) if token else None


async def current_user(request: AnyRequest, db: async_sessionmaker[AsyncSession]) -> User | None:
    """The signed-in user of a page request, or None."""
    if not request.cookies.get(SESSION_COOKIE):
        return None
    async with db() as session:
        return await _cookie_user(session, request)


class LoginRequired(Unauthorized):
    """Raised by page helpers; pages answer with a redirect to the sign-in form."""

    code = "login_required"

    def __init__(self, next_path: str) -> None:
        super().__init__(_("Please sign in."), code="login_required")
        self.next_path = next_path


def safe_next(value: str | None, default: str = "/") -> str:
    """A local path to go back to, never another site (``//host`` or ``http://...``)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return default
    parts = urlsplit(value)
    if (
        parts.scheme
        or parts.netloc
        or any(c == "\\" or ord(c) < 32 or ord(c) == 127 for c in value)
    ):
        return default
    return value


def _here(request: AnyRequest) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


async def require_page_user(request: AnyRequest, db: async_sessionmaker[AsyncSession]) -> User:
    """The signed-in user, or LoginRequired (303 to ``/login?next=<this page>``)."""
    user = await current_user(request, db)
    if user is None:
        raise LoginRequired(_here(request))
    return user


async def page_principal(
    request: AnyRequest, db: async_sessionmaker[AsyncSession]
) -> tuple[User, Principal]:
    user = await require_page_user(request, db)
    async with db() as session:
        return user, await principal_for(session, user)


def login_url(next_path: str) -> str:
    next_path = safe_next(next_path)
    return "/login" if next_path == "/" else f"/login?next={quote(next_path, safe='/')}"


def login_required_handler(request: AnyRequest, exc: LoginRequired) -> Response[Any]:
    if wants_json(request):
        return Response(exc.to_json(), status_code=exc.status_code)
    if request.headers.get("hx-request") == "true":
        # htmx would swap a followed redirect into the fragment; it obeys HX-Redirect instead
        # and the page to come back to is the one showing, not the fragment's URL
        current = urlsplit(request.headers.get("hx-current-url", ""))
        back = current.path + (f"?{current.query}" if current.query else "")
        url = login_url(back or exc.next_path)
        return Response(b"", status_code=401, headers={"HX-Redirect": url})
    return Redirect(login_url(exc.next_path), status_code=303)


#: merged into the app's exception handlers by create_app
EXCEPTION_HANDLERS: ExceptionHandlersMap = {LoginRequired: login_required_handler}


# --- JSON API authentication -------------------------------------------------------------


async def authenticate(
    request: AnyRequest, db: async_sessionmaker[AsyncSession]
) -> tuple[User, Principal]:
    """A bearer device token, else the page session cookie; raises Unauthorized."""
    token = bearer_token(request)
    async with db() as session:
        if token is not None:
            user, device = await device_from_token(session, token)
            now = utcnow()
            if lifetimes.due_for_touch(device.last_seen_at, now, lifetimes.DEVICE_TOUCH_EVERY):
                device.last_seen_at = now  # an API call is a use too (a sync sets it anyway)
                await session.commit()
        else:
            found = await _cookie_user(session, request)
            if found is None:
                raise Unauthorized(_("Please sign in."), code="unauthorized")
            user = found
        return user, await principal_for(session, user)


# --- CSRF --------------------------------------------------------------------------------


def csrf_token_for(secret: str, basis: str, purpose: str = "session") -> str:
    """The form token bound to a cookie value; another site cannot read it to forge one."""
    message = f"{purpose}|{basis}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:40]


def page_csrf_token(request: AnyRequest, secret: str) -> str:
    """The token for forms on a signed-in page ("" when there is no session)."""
    token = request.cookies.get(SESSION_COOKIE)
    return csrf_token_for(secret, token) if token else ""


async def require_csrf(
    request: AnyRequest, settings: Settings, *, purpose: str = "session"
) -> FormMultiDict:
    """Check the form's CSRF token (or the X-CSRF-Token header); returns the parsed form.

    ``purpose="login"`` checks the sign-in form's double-submit cookie instead of the
    session. Raises Forbidden(code="csrf_failed").
    """
    form = await request.form()
    sent = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE if purpose == "login" else SESSION_COOKIE)
    if not cookie or not isinstance(sent, str):
        raise Forbidden(_csrf_message(), code="csrf_failed")
    expected = csrf_token_for(settings.secret_key, cookie, purpose)
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Forbidden(_csrf_message(), code="csrf_failed")
    return form


def _csrf_message() -> str:
    return _(
        "This form has expired or did not come from this site. "
        "Go back, reload the page and try again."
    )
