"""Sign-in and sign-out pages, device tokens for the sync API, and the devices page."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

from litestar import Request, Response, delete, get, post
from litestar.datastructures import Cookie, FormMultiDict
from litestar.params import FromPath, QueryParameter
from litestar.plugins.htmx import HTMXRequest, HTMXTemplate
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler

from server import i18n
from server.accounts import service, throttle
from server.accounts.auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    csrf_token_for,
    expired_session_cookie,
    require_csrf,
    safe_next,
    session_cookie,
)
from server.accounts.deps import CurrentIdentity, CurrentUser, MaybeIdentity
from server.accounts.guards import cookie_writes_need_csrf, signed_in
from server.accounts.models import User
from server.accounts.passwords import new_token
from server.accounts.schemas import DeviceCreate, DeviceIssued, DeviceList, DeviceOut, TokenRequest
from server.accounts.schemas import UserOut as UserOutSchema
from server.config import Settings
from server.deps import DB, AppSettings, Session
from server.errors import DomainError, Unauthorized
from server.i18n import gettext as _
from server.json_body import decode_json, read_body

AnyRequest = Request[Any, Any, Any]
T = TypeVar("T")


class UnsupportedMediaType(DomainError):
    status_code = 415
    code = "unsupported_media_type"


def _bad_credentials() -> Unauthorized:
    return Unauthorized(_("Wrong phone number or password."), code="invalid_credentials")


def _deactivated() -> str:
    return _("This account has been deactivated. Ask your administrator to reactivate it.")


async def _json_body(request: AnyRequest, settings: Settings, kind: type[T]) -> T:
    """The body as ``kind`` (server/json_body.py); an empty body is ``{}``, any other
    must say it is JSON."""
    raw = await read_body(request, settings.max_body_bytes)
    if not raw.strip():
        raw = b"{}"
    elif request.content_type[0] != "application/json":
        raise UnsupportedMediaType(_("Send the body as JSON (Content-Type: application/json)."))
    return decode_json(raw, kind)


def _remember_locale(request: AnyRequest, user: User) -> None:
    """A language chosen before signing in is the user's language from now on: sync and
    API messages follow it (pages follow the cookie)."""
    chosen = i18n.normalise(request.cookies.get(i18n.LOCALE_COOKIE))
    if chosen is not None:
        user.locale = chosen


# --- sign-in pages -----------------------------------------------------------------------


def _login_page(
    settings: Settings,
    csrf_cookie: str,
    *,
    next_path: str,
    status: int = 200,
    error: str | None = None,
    phone: str = "",
    set_cookie: bool = False,
) -> Template:
    cookies = []
    if set_cookie:
        cookies.append(
            Cookie(
                key=LOGIN_CSRF_COOKIE,
                value=csrf_cookie,
                path="/",
                httponly=True,
                secure=settings.secure_cookies,
                samesite="lax",
            )
        )
    return Template(
        template_name="login.html",
        context={
            "csrf": csrf_token_for(settings.secret_key, csrf_cookie, "login"),
            "next": next_path,
            "error": error,
            "phone": phone,
            "user": None,
        },
        status_code=status,
        cookies=cookies,
    )


@get("/login", include_in_schema=False)
async def login_form(
    request: AnyRequest,
    settings: AppSettings,
    maybe_identity: MaybeIdentity,
    next_path: Annotated[str | None, QueryParameter(name="next")] = None,
) -> Response[Any]:
    target = safe_next(next_path)
    if maybe_identity is not None:
        return Redirect(target, status_code=303)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE)
    return _login_page(settings, cookie or new_token(), next_path=target, set_cookie=cookie is None)


def _field(form: FormMultiDict, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


@post("/login", include_in_schema=False)
async def login_submit(
    request: AnyRequest, session: Session, db: DB, settings: AppSettings
) -> Response[Any]:
    form = await require_csrf(request, settings, purpose="login")
    csrf_cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    next_path = safe_next(_field(form, "next"))
    phone = _field(form, "phone")
    password = form.get("password")
    password = password if isinstance(password, str) else ""
    error = None
    if not phone:
        error = _("Enter your phone number (field “phone”).")
    elif not password:
        error = _("Enter your password (field “password”).")
    if error:
        return _login_page(
            settings, csrf_cookie, next_path=next_path, status=400, error=error, phone=phone
        )
    try:
        user, inactive = await throttle.sign_in_outcome(
            session, settings, request, phone, password, via="page"
        )
    except throttle.SignInThrottled as exc:
        page = _login_page(
            settings, csrf_cookie, next_path=next_path, status=429, error=exc.message, phone=phone
        )
        page.headers.update(exc.headers)
        return page
    if user is None:
        return _login_page(
            settings,
            csrf_cookie,
            next_path=next_path,
            status=401,
            error=_deactivated() if inactive else _bad_credentials().message,
            phone=phone,
        )
    _remember_locale(request, user)
    token = await service.start_session(session, user)
    if user.must_change_password:  # a one-time password from an admin's reset
        next_path = "/account/password?next=" + quote(next_path, safe="")
    return Redirect(next_path, status_code=303, cookies=[session_cookie(token, settings)])


@post("/logout", include_in_schema=False)
async def logout(request: AnyRequest, session: Session, settings: AppSettings) -> Response[Any]:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await require_csrf(request, settings)
        await service.end_session(session, token)
    return Redirect("/login", status_code=303, cookies=[expired_session_cookie(settings)])


# --- device tokens (JSON) ----------------------------------------------------------------


@post("/api/auth/token", status_code=201)
async def issue_token(
    request: AnyRequest, session: Session, db: DB, settings: AppSettings
) -> DeviceIssued:
    """Sign in with phone and password and get a device token (for programs)."""
    body = await _json_body(request, settings, TokenRequest)
    user, inactive = await throttle.sign_in_outcome(
        session, settings, request, body.phone, body.password, via="api"
    )
    if user is None:
        raise Unauthorized(_deactivated()) if inactive else _bad_credentials()
    return await service.issue_device(
        session, user, body.device_name, request.headers.get("user-agent", "")
    )


@post("/api/devices", status_code=201, guards=[cookie_writes_need_csrf])
async def create_device(
    request: AnyRequest,
    session: Session,
    db: DB,
    settings: AppSettings,
    maybe_identity: MaybeIdentity,
) -> DeviceIssued:
    """A device token for ``{phone, password}``, or for the signed-in caller."""
    body = await _json_body(request, settings, DeviceCreate)
    if body.phone is not None or body.password is not None:
        user = await throttle.sign_in(
            session, settings, request, body.phone or "", body.password or "", via="api"
        )
        if user is None:
            raise _bad_credentials()
        return await service.issue_device(
            session, user, body.name, request.headers.get("user-agent", "")
        )
    if maybe_identity is None:
        raise Unauthorized(_("Please sign in."), code="unauthorized")
    return await service.issue_device(
        session, maybe_identity.user, body.name, request.headers.get("user-agent", "")
    )


@post("/api/auth/sign-out", status_code=200)
async def sign_out_device(session: Session, identity: CurrentIdentity) -> DeviceOut:
    """The field app signs out: the calling device's own token is revoked (bearer only)."""
    if identity.device is None:
        raise Unauthorized(_("Send the device token: Authorization: Bearer <token>."))
    return await service.revoke_device(session, identity.principal, identity.device.id)


@get("/api/devices", guards=[signed_in])
async def list_devices(session: Session, identity: CurrentIdentity) -> DeviceList:
    """The caller's devices; an admin's list covers every user in the area subtree."""
    return DeviceList(devices=await service.list_devices(session, identity.principal))


@delete(
    "/api/devices/{device_id:uuid}", status_code=200, guards=[signed_in, cookie_writes_need_csrf]
)
async def revoke_device(
    session: Session, identity: CurrentIdentity, device_id: FromPath[uuid.UUID]
) -> DeviceOut:
    """Revoke a device token: its next sync answers 401 device_revoked."""
    return await service.revoke_device(session, identity.principal, device_id)


@get("/api/me", guards=[signed_in])
async def me(session: Session, user: CurrentUser) -> UserOutSchema:
    return await service.user_out(session, user)


# --- devices page ------------------------------------------------------------------------


@get("/devices", include_in_schema=False, guards=[signed_in])
async def devices_page(
    session: Session,
    identity: CurrentIdentity,
    revoked: Annotated[str | None, QueryParameter(name="revoked")] = None,
) -> Template:
    principal = identity.principal
    return Template(
        template_name="devices.html",
        context={
            "user": identity.user,
            "devices": await service.list_devices(session, principal),
            "show_owner": principal.role == "admin",
            "revoked": bool(revoked),
        },
    )


@get("/devices/{device_id:uuid}/revoke", include_in_schema=False, guards=[signed_in])
async def revoke_confirm(
    session: Session, identity: CurrentIdentity, device_id: FromPath[uuid.UUID]
) -> Template:
    """The confirmation step: a page of its own, so it works without JavaScript."""
    device = await service.device_for(session, identity.principal, device_id)
    return Template(
        template_name="devices.html",
        context={"user": identity.user, "confirm": device, "devices": [], "show_owner": False},
    )


@post("/devices/{device_id:uuid}/revoke", include_in_schema=False, guards=[signed_in])
async def revoke_submit(
    request: HTMXRequest,
    session: Session,
    settings: AppSettings,
    identity: CurrentIdentity,
    device_id: FromPath[uuid.UUID],
) -> Response[Any]:
    await require_csrf(request, settings)
    principal = identity.principal
    device = await service.revoke_device(session, principal, device_id)
    if request.htmx:  # the list's own row, swapped in place
        context = {"d": device, "show_owner": principal.role == "admin"}
        return HTMXTemplate(template_name="_partials/device_row.html", context=context)
    return Redirect("/devices?revoked=1", status_code=303)


ROUTES: list[ControllerRouterHandler] = [
    login_form,
    login_submit,
    logout,
    issue_token,
    sign_out_device,
    create_device,
    list_devices,
    revoke_device,
    me,
    devices_page,
    revoke_confirm,
    revoke_submit,
]
