"""Sign-in and sign-out pages, device tokens for the sync API, and the devices page."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, TypeVar

import msgspec
from litestar import Request, Response, delete, get, post
from litestar.datastructures import Cookie, FormMultiDict
from litestar.exceptions import HTTPException
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler

from server.accounts import service, throttle
from server.accounts.auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    authenticate,
    bearer_token,
    csrf_token_for,
    current_user,
    device_from_token,
    expired_session_cookie,
    page_principal,
    require_csrf,
    safe_next,
    session_cookie,
)
from server.accounts.guard import principal_for
from server.accounts.passwords import new_token
from server.accounts.schemas import DeviceCreate, DeviceIssued, DeviceList, DeviceOut, TokenRequest
from server.accounts.schemas import UserOut as UserOutSchema
from server.config import Settings
from server.db import transaction
from server.deps import DB, AppSettings
from server.errors import BadInput, DomainError, TooLarge, Unauthorized
from server.i18n import gettext as _

AnyRequest = Request[Any, Any, Any]
T = TypeVar("T")


class UnsupportedMediaType(DomainError):
    status_code = 415
    code = "unsupported_media_type"


def _bad_credentials() -> Unauthorized:
    return Unauthorized(_("Wrong phone number or password."), code="invalid_credentials")


async def _json_body(request: AnyRequest, settings: Settings, kind: type[T]) -> T:
    """Decode and validate a JSON body, with messages a client can act on."""
    content_type = request.content_type[0]
    try:
        raw = await request.body()
    except HTTPException as exc:
        if exc.status_code == 413:
            raise TooLarge(
                _(
                    "The request body is too large (the limit is %(limit)s bytes).",
                    limit=settings.max_body_bytes,
                ),
                code="body_too_large",
            ) from exc
        raise
    if not raw.strip():
        raw = b"{}"
    elif content_type != "application/json":
        raise UnsupportedMediaType(_("Send the body as JSON (Content-Type: application/json)."))
    try:
        return msgspec.json.decode(raw, type=kind)
    except msgspec.ValidationError as exc:
        raise BadInput(_("Invalid request: %(reason)s", reason=str(exc)), code="bad_input") from exc
    except msgspec.DecodeError as exc:
        raise BadInput(_("The body is not valid JSON."), code="bad_json") from exc


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
    db: DB,
    settings: AppSettings,
    next_path: Annotated[str | None, QueryParameter(name="next")] = None,
) -> Response[Any]:
    target = safe_next(next_path)
    if await current_user(request, db) is not None:
        return Redirect(target, status_code=303)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE)
    return _login_page(settings, cookie or new_token(), next_path=target, set_cookie=cookie is None)


def _field(form: FormMultiDict, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


@post("/login", include_in_schema=False)
async def login_submit(request: AnyRequest, db: DB, settings: AppSettings) -> Response[Any]:
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
        token = await throttle.sign_in(
            db, settings, request, phone, password, via="page", then=service.start_session
        )
    except throttle.SignInThrottled as exc:
        page = _login_page(
            settings, csrf_cookie, next_path=next_path, status=429, error=exc.message, phone=phone
        )
        page.headers.update(exc.headers)
        return page
    if token is None:
        return _login_page(
            settings,
            csrf_cookie,
            next_path=next_path,
            status=401,
            error=_bad_credentials().message,
            phone=phone,
        )
    return Redirect(next_path, status_code=303, cookies=[session_cookie(token, settings)])


@post("/logout", include_in_schema=False)
async def logout(request: AnyRequest, db: DB, settings: AppSettings) -> Response[Any]:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await require_csrf(request, settings)
        async with transaction(db) as session:
            await service.end_session(session, token)
    return Redirect("/login", status_code=303, cookies=[expired_session_cookie(settings)])


# --- device tokens (JSON) ----------------------------------------------------------------


@post("/api/auth/token", status_code=201)
async def issue_token(request: AnyRequest, db: DB, settings: AppSettings) -> DeviceIssued:
    """Sign in with phone and password and get a device token (for programs)."""
    body = await _json_body(request, settings, TokenRequest)
    issued = await throttle.sign_in(
        db,
        settings,
        request,
        body.phone,
        body.password,
        via="api",
        then=lambda session, user: service.issue_device(session, user, body.device_name),
    )
    if issued is None:
        raise _bad_credentials()
    return issued


@post("/api/devices", status_code=201)
async def create_device(request: AnyRequest, db: DB, settings: AppSettings) -> DeviceIssued:
    """A device token for the signed-in page session, or for ``{phone, password}``."""
    body = await _json_body(request, settings, DeviceCreate)
    if body.phone is not None or body.password is not None:
        issued = await throttle.sign_in(
            db,
            settings,
            request,
            body.phone or "",
            body.password or "",
            via="api",
            then=lambda session, user: service.issue_device(session, user, body.name),
        )
        if issued is None:
            raise _bad_credentials()
        return issued
    user, _principal = await authenticate(request, db)
    async with transaction(db) as session:
        return await service.issue_device(session, user, body.name)


@post("/api/auth/sign-out", status_code=200)
async def sign_out_device(request: AnyRequest, db: DB) -> DeviceOut:
    """The field app signs out: the calling device's own token is revoked (bearer only)."""
    token = bearer_token(request)
    if token is None:
        raise Unauthorized(_("Send the device token: Authorization: Bearer <token>."))
    async with transaction(db) as session:
        user, device = await device_from_token(session, token)
        return await service.revoke_device(session, await principal_for(session, user), device.id)


@get("/api/devices")
async def list_devices(request: AnyRequest, db: DB) -> DeviceList:
    """The caller's devices; an admin's list covers every user in the area subtree."""
    _user, principal = await authenticate(request, db)
    async with db() as session:
        return DeviceList(devices=await service.list_devices(session, principal))


@delete("/api/devices/{device_id:uuid}", status_code=200)
async def revoke_device(request: AnyRequest, db: DB, device_id: FromPath[uuid.UUID]) -> DeviceOut:
    """Revoke a device token: its next sync answers 401 device_revoked."""
    _user, principal = await authenticate(request, db)
    async with transaction(db) as session:
        return await service.revoke_device(session, principal, device_id)


@get("/api/me")
async def me(request: AnyRequest, db: DB) -> UserOutSchema:
    user, _principal = await authenticate(request, db)
    async with db() as session:
        return await service.user_out(session, user)


# --- devices page ------------------------------------------------------------------------


@get("/devices", include_in_schema=False)
async def devices_page(
    request: AnyRequest,
    db: DB,
    revoked: Annotated[str | None, QueryParameter(name="revoked")] = None,
) -> Template:
    user, principal = await page_principal(request, db)
    async with db() as session:
        devices = await service.list_devices(session, principal)
    return Template(
        template_name="devices.html",
        context={
            "user": user,
            "devices": devices,
            "show_owner": principal.role == "admin",
            "revoked": bool(revoked),
        },
    )


@get("/devices/{device_id:uuid}/revoke", include_in_schema=False)
async def revoke_confirm(request: AnyRequest, db: DB, device_id: FromPath[uuid.UUID]) -> Template:
    """The confirmation step: a page of its own, so it works without JavaScript."""
    user, principal = await page_principal(request, db)
    async with db() as session:
        device = await service.device_for(session, principal, device_id)
    return Template(
        template_name="devices.html",
        context={"user": user, "confirm": device, "devices": [], "show_owner": False},
    )


@post("/devices/{device_id:uuid}/revoke", include_in_schema=False)
async def revoke_submit(
    request: AnyRequest, db: DB, settings: AppSettings, device_id: FromPath[uuid.UUID]
) -> Response[Any]:
    _user, principal = await page_principal(request, db)
    await require_csrf(request, settings)
    async with transaction(db) as session:
        await service.revoke_device(session, principal, device_id)
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
