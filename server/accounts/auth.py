"""Who is calling: device tokens (sync API), page session cookies, and CSRF for page forms.

:func:`identify` reads the bearer token, else the session cookie, once per request (the
answer is kept in the request's scope), with the request's one session
(server/deps.py). Guards (server/accounts/guards.py) and the ``identity`` / ``user`` /
``principal`` dependencies ask it. A request that must be signed in and is not gets
``401 unauthorized`` when it wants JSON, else :class:`LoginRequired`: a 303 to
``/login?next=...``. Page forms carry ``{{ csrf_field() }}`` and their POST handlers call
:func:`require_csrf`.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, FormMultiDict
from litestar.response import Redirect
from litestar.types import ExceptionHandlersMap
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from server import i18n
from server.accounts import lifetimes, service
from server.accounts.guard import Principal, principal_at, principal_for
from server.accounts.models import Device, User
from server.accounts.passwords import hash_token
from server.areas.models import Area
from server.config import Settings
from server.db import begin_read, utcnow
from server.deps import request_session
from server.errors import Forbidden, Unauthorized, Unavailable
from server.http_errors import wants_json
from server.i18n import gettext as _

SESSION_COOKIE = "wg_session"
#: double-submit cookie of the sign-in form (there is no session yet to bind a token to)
LOGIN_CSRF_COOKIE = "wg_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SESSION_MAX_AGE = service.SESSION_DAYS * 24 * 3600

AnyRequest = Request[Any, Any, Any]
AnyConnection = ASGIConnection[Any, Any, Any, Any]
#: ``scope["state"]`` key of the request's identity once read
_IDENTITY = "wangge.identity"
_ANONYMOUS = "anonymous"


# --- device tokens -----------------------------------------------------------------------


def bearer_token(connection: AnyConnection) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, else None."""
    header = connection.headers.get("authorization", "")
    scheme, _sep, token = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = token.strip()
    return token or None


#: the user, the device and the user's area path of a token, in one statement
_BY_TOKEN = (
    select(User, Device, Area.path)
    .join(Device, Device.user_id == User.id)
    .join(Area, Area.id == User.area_id)
    .where(Device.token_hash == bindparam("hash"))
)


async def device_from_token(session: AsyncSession, token: str) -> tuple[User, Device]:
    """The user and device of a bearer token. Reads only: no commit, no update.

    Raises Unauthorized with code ``unauthorized`` (unknown token, inactive user) or
    ``device_revoked`` (the device was revoked: the app must sign in again).
    """
    user, device, _path = await _token_row(session, token)
    return user, device


async def _token_row(session: AsyncSession, token: str) -> tuple[User, Device, str]:
    row = (await session.execute(_BY_TOKEN, {"hash": hash_token(token)})).first()
    if row is None:
        raise Unauthorized(_("Unknown device token. Please sign in again."), code="unauthorized")
    user, device, path = row
    if device.revoked_at is not None:
        raise device_revoked()
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
    return user, device, path


def device_revoked() -> Unauthorized:
    return Unauthorized(
        _("This device was signed out. Please sign in again."), code="device_revoked"
    )


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


def _here(connection: AnyConnection) -> str:
    query = connection.url.query
    return connection.url.path + (f"?{query}" if query else "")


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


# --- who is calling, once per request ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Identity:
    """The caller of a request: the user, their rights, and the device of a bearer token
    (None when the caller came with a page session cookie)."""

    user: User
    principal: Principal
    device: Device | None = None


async def token_identity(session: AsyncSession, token: str, *, touch: bool = True) -> Identity:
    """The identity of a bearer token; raises Unauthorized (see device_from_token).
    ``touch``: mark the device used when due (else the caller does, see ``identify``)."""
    user, device, path = await _token_row(session, token)
    if touch and _touch_due(device):
        device.last_seen_at = utcnow()  # an API call is a use too (committed with the read)
    return Identity(user, principal_at(user, path), device)


def _touch_due(device: Device) -> bool:
    return lifetimes.due_for_touch(device.last_seen_at, utcnow(), lifetimes.DEVICE_TOUCH_EVERY)


async def _touch(session: AsyncSession, device: Device) -> None:
    """Mark a device used, in a short write transaction of its own."""
    async with session.begin():
        await session.execute(
            update(Device).where(Device.id == device.id).values(last_seen_at=utcnow())
        )


async def _read_identity(session: AsyncSession, connection: AnyConnection) -> Identity | None:
    token = bearer_token(connection)
    if token is not None:
        return await token_identity(session, token)
    cookie = connection.cookies.get(SESSION_COOKIE)
    user = await service.session_user(session, cookie) if cookie else None
    return None if user is None else Identity(user, await principal_for(session, user))


async def identify(connection: AnyConnection) -> Identity | None:
    """Who is calling: the bearer token's device, else the page session, else None.

    Read once per request with the request's session, in a read transaction of its own
    (ended at once: a SQLite write lock is not held while the body is read). A bad or
    revoked token raises Unauthorized rather than falling back to the cookie. API calls
    then speak the user's language.
    """
    state = connection.scope["state"]
    found: Identity | str | None = state.get(_IDENTITY)
    if found is not None:
        return found if isinstance(found, Identity) else None
    if bearer_token(connection) is None and not connection.cookies.get(SESSION_COOKIE):
        state[_IDENTITY] = _ANONYMOUS
        return None
    session = request_session(connection)
    for attempt in (1, 2):
        try:
            identity = await _identify(session, connection)
            break
        except SQLAlchemyError as exc:
            if attempt == 1 and _dead_connection(exc) and not session.in_transaction():
                # a pooled connection that died with a PostgreSQL restart (handed out
                # unpinged, server/db.py); the pool was recycled: once more, on a new one
                continue
            raise Unavailable(_("The database is unreachable; try again later.")) from exc
    state[_IDENTITY] = _ANONYMOUS if identity is None else identity
    if identity is not None and wants_json(connection):
        i18n.set_locale(identity.user.locale)
    return identity


async def _identify(session: AsyncSession, connection: AnyConnection) -> Identity | None:
    if session.in_transaction():
        return await _read_identity(session, connection)
    if (token := bearer_token(connection)) is not None:
        # A token is read in a read transaction (SQLite: no write lock, so a sync never
        # waits behind writers to learn who is calling); the hourly "used" mark is a
        # short write of its own.
        async with session.begin():
            await begin_read(session)
            identity = await token_identity(session, token, touch=False)
        if identity.device is not None and _touch_due(identity.device):
            await _touch(session, identity.device)
        return identity
    async with session.begin():
        return await _read_identity(session, connection)


def _dead_connection(exc: SQLAlchemyError) -> bool:
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


async def require_identity(connection: AnyConnection) -> Identity:
    """The caller, or ``401 unauthorized`` (JSON) / LoginRequired (pages)."""
    identity = await identify(connection)
    if identity is not None:
        return identity
    if wants_json(connection):
        raise Unauthorized(_("Please sign in."), code="unauthorized")
    raise LoginRequired(_here(connection))


# --- CSRF --------------------------------------------------------------------------------


def csrf_token_for(secret: str, basis: str, purpose: str = "session") -> str:
    """The form token bound to a cookie value; another site cannot read it to forge one."""
    message = f"{purpose}|{basis}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:40]


def page_csrf_token(connection: AnyConnection, secret: str) -> str:
    """The token for forms on a signed-in page ("" when there is no session)."""
    token = connection.cookies.get(SESSION_COOKIE)
    return csrf_token_for(secret, token) if token else ""


def cookie_write_is_safe(connection: AnyConnection, secret: str) -> bool:
    """Whether an API write may act on the page session cookie it carries.

    A bearer token, or no cookie at all, is no CSRF risk. With the cookie, the request
    must carry the page's token in the X-CSRF-Token header, or be sent as
    ``application/json``: another site can make a browser post a form (urlencoded,
    multipart, text/plain) with the cookie, but neither a custom header nor a JSON
    content type without a CORS preflight, which this server never grants.
    """
    if bearer_token(connection) is not None or not connection.cookies.get(SESSION_COOKIE):
        return True
    sent = connection.headers.get(CSRF_HEADER, "")
    if sent and hmac.compare_digest(sent.encode(), page_csrf_token(connection, secret).encode()):
        return True
    content_type = connection.headers.get("content-type", "")
    return content_type.split(";", 1)[0].strip().lower() == "application/json"


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
