"""The users pages of an admin: the users of the admin's subtree; a password reset and a
new user each show a one-time password once (the user's own forced change is
/account/password, server/web/account.py); a sheet of new users is previewed, then written
whole or not at all; a user's page changes role and area, (de)activates, lists devices."""

from __future__ import annotations

import dataclasses
import io
import json
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import FormMultiDict, UploadFile
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts import admin as users
from server.accounts.auth import require_csrf
from server.accounts.deps import CurrentIdentity
from server.accounts.guards import admin
from server.accounts.values import Role
from server.areas.models import Area
from server.db import utcnow
from server.deps import AppSettings, Session
from server.errors import BadInput, TooLarge
from server.i18n import gettext as _
from server.imports.sheet import SheetError, iter_sheet_rows
from server.orgadmin import areas as org_areas
from server.orgadmin import users as org_users
from server.web.admin_areas import field

AnyRequest = Request[Any, Any, Any]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET_MAX_BYTES = 2 * 1024 * 1024


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


# --- creating users ----------------------------------------------------------------------


async def _new_context(session: AsyncSession, identity: Any) -> dict[str, Any]:
    nodes = await org_areas.subtree(session, identity.principal)
    return {
        "user": identity.user,
        "roles": list(Role),
        "places": [n for n in nodes if not n.retired],
        "facilities": [(f, a) for f, a in await org_areas.facilities(session, identity.principal)
                       if a.retired_at is None],
        "column_titles": "、".join(zh for _k, zh, *_r in SHEET_COLUMNS),
    }  # fmt: skip


def _new_user(form: FormMultiDict) -> org_users.NewUser:
    return org_users.NewUser(
        phone=field(form, "phone"), name=field(form, "name"), role=field(form, "role"),
        area_code=field(form, "area_code"), facility=field(form, "facility"),
    )  # fmt: skip


@get("/admin/users/new", include_in_schema=False, guards=[admin])
async def new_user_page(session: Session, identity: CurrentIdentity) -> Template:
    return Template("admin/user_new.html", context=await _new_context(session, identity))


@post("/admin/users/new", include_in_schema=False, guards=[admin], status_code=200)
async def create_user(
    request: AnyRequest, session: Session, settings: AppSettings, identity: CurrentIdentity
) -> Template:
    form = await require_csrf(request, settings)
    try:
        made, password = await org_users.create_one(
            session, identity.principal, _new_user(form), now=utcnow()
        )
    except BadInput as error:
        await session.rollback()
        context = await _new_context(session, identity)
        context |= {"error": error.message, "form": dict(form.items())}
        return Template("admin/user_new.html", context=context, status_code=400)
    return Template(
        "admin/user_created.html",
        context={"user": identity.user, "made": [(made, password)]},
    )


#: the sheet's columns: (field, Chinese header, English header, required)
SHEET_COLUMNS: tuple[tuple[str, str, str, bool], ...] = (
    ("phone", "手机号", "phone", True),
    ("name", "姓名", "name", True),
    ("role", "角色", "role", True),
    ("area_code", "区域编码", "area code", True),
    ("facility", "机构", "facility", False),
)
_HEADERS = {h.casefold(): key for key, zh, en, _r in SHEET_COLUMNS for h in (zh, en, key)}


@get("/admin/users/template.xlsx", include_in_schema=False, guards=[admin])
async def users_template() -> Response[bytes]:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "用户"
    sheet.append([zh + ("*" if required else "") for _k, zh, _e, required in SHEET_COLUMNS])
    sheet.append(["13800138000", "张三", "网格员", "G-001", ""])
    for index in range(1, len(SHEET_COLUMNS) + 1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = 16
        for row in range(2, 1000):  # phones are text: as numbers Excel would mangle them
            sheet.cell(row=row, column=index).number_format = "@"
    buffer = io.BytesIO()
    book.save(buffer)
    return Response(
        content=buffer.getvalue(),
        media_type=XLSX,
        headers={"Content-Disposition": "attachment; filename*=UTF-8''users.xlsx"},
    )


def _cell(value: object) -> str:
    """A cell as text; a phone Excel stored as a number (1.3912340040E10) as its digits."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_users_sheet(content: bytes, filename: str) -> list[tuple[int, org_users.NewUser]]:
    """The sheet's rows as new users (row numbers as the spreadsheet shows them)."""
    rows = iter_sheet_rows(content, filename)
    keys: list[str | None] | None = None
    out: list[tuple[int, org_users.NewUser]] = []
    for number, values in rows:
        cells = [_cell(v) for v in values]
        if not any(cells):
            continue
        if keys is None:
            keys = [_HEADERS.get(c.rstrip("*＊").strip().casefold()) for c in cells]
            missing = [zh for key, zh, _e, req in SHEET_COLUMNS if req and key not in keys]
            if missing:
                raise SheetError(
                    _("The first row must hold the column headers; missing: %(cols)s.",
                      cols="、".join(missing))
                )  # fmt: skip
            continue
        if len(out) >= org_users.MAX_SHEET_ROWS:
            raise SheetError(_("The file has more than %(n)s rows.", n=org_users.MAX_SHEET_ROWS))
        got = {k: cells[i] for i, k in enumerate(keys) if k is not None and i < len(cells)}
        out.append((number, org_users.NewUser(**{k: got.get(k, "") for k, *_r in SHEET_COLUMNS})))
    if keys is None:
        raise SheetError(_("The file is empty."))
    return out


def _rows_from_json(raw: str) -> list[tuple[int, org_users.NewUser]]:
    try:
        data = json.loads(raw)
        return [(int(n), org_users.NewUser(**{k: str(r.get(k, "")) for k, *_x in SHEET_COLUMNS}))
                for n, r in data]  # fmt: skip
    except (ValueError, TypeError, AttributeError) as error:
        raise BadInput(_("Upload the sheet again."), code="bad_input") from error


@post(
    "/admin/users/sheet",
    include_in_schema=False,
    guards=[admin],
    status_code=200,
    request_max_body_size=SHEET_MAX_BYTES + 64 * 1024,
)
async def users_sheet(
    request: AnyRequest, session: Session, settings: AppSettings, identity: CurrentIdentity
) -> Template:
    """The preview: every row checked, problems by row and column; nothing written."""
    form = await require_csrf(request, settings)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise BadInput(_("Choose a file to upload."), code="bad_input")
    content = await upload.read()
    if len(content) > SHEET_MAX_BYTES:
        raise TooLarge(_("The file is larger than 2 MB."), code="body_too_large")
    try:
        rows = read_users_sheet(content, upload.filename)
    except SheetError as error:
        raise BadInput(str(error), code="bad_file") from error
    plan = await org_users.plan_sheet(session, identity.principal, rows)
    await session.rollback()  # a preview writes nothing
    return Template(
        "admin/users_preview.html",
        context={
            "user": identity.user,
            "plan": plan,
            "rows": rows,
            "titles": {k: zh for k, zh, *_r in SHEET_COLUMNS},
            "payload": json.dumps([[n, dataclasses.asdict(r)] for n, r in rows],
                                  ensure_ascii=False),
        },
        status_code=200 if not plan.problems and plan.ok else 400,
    )  # fmt: skip


@post("/admin/users/sheet/confirm", include_in_schema=False, guards=[admin], status_code=200)
async def users_sheet_confirm(
    request: AnyRequest, session: Session, settings: AppSettings, identity: CurrentIdentity
) -> Template:
    form = await require_csrf(request, settings)
    rows = _rows_from_json(field(form, "rows"))
    made = await org_users.create_sheet(session, identity.principal, rows, now=utcnow())
    return Template("admin/user_created.html", context={"user": identity.user, "made": made})


# --- one user ----------------------------------------------------------------------------


async def _user_context(session: AsyncSession, identity: Any, user_id: int) -> dict[str, Any]:
    target = await users.user_in_scope(session, identity.principal, user_id)
    context = await _new_context(session, identity)
    area = await session.get(Area, target.area_id)
    context |= {
        "target": target,
        "target_area": area,
        "devices": await org_users.devices_of(session, identity.principal, user_id),
    }
    return context


@get("/admin/users/{user_id:int}", include_in_schema=False, guards=[admin])
async def user_page(
    session: Session, identity: CurrentIdentity, user_id: FromPath[int]
) -> Template:
    return Template("admin/user.html", context=await _user_context(session, identity, user_id))


@post("/admin/users/{user_id:int}/role", include_in_schema=False, guards=[admin])
async def change_role(
    request: AnyRequest,
    session: Session,
    settings: AppSettings,
    identity: CurrentIdentity,
    user_id: FromPath[int],
) -> Template | Redirect:
    form = await require_csrf(request, settings)
    try:
        await org_users.change_role_and_area(
            session, identity.principal, user_id, role=field(form, "role"),
            area_code=field(form, "area_code"), facility=field(form, "facility"), now=utcnow(),
        )  # fmt: skip
    except BadInput as error:
        await session.rollback()
        context = await _user_context(session, identity, user_id)
        context |= {"error": error.message, "form": dict(form.items())}
        return Template("admin/user.html", context=context, status_code=400)
    return Redirect(f"/admin/users/{user_id}?saved=1", status_code=303)


@post("/admin/users/{user_id:int}/active", include_in_schema=False, guards=[admin])
async def set_active(
    request: AnyRequest,
    session: Session,
    settings: AppSettings,
    identity: CurrentIdentity,
    user_id: FromPath[int],
) -> Template | Redirect:
    form = await require_csrf(request, settings)
    wanted = field(form, "active")
    if wanted not in ("0", "1"):
        raise BadInput(_("Say whether the user is to be active (active=1) or not (0)."),
                       code="bad_input")  # fmt: skip
    try:
        await org_areas.set_active_by_id(
            session, identity.principal, user_id, wanted == "1", now=utcnow()
        )
    except BadInput as error:
        await session.rollback()
        context = await _user_context(session, identity, user_id)
        context |= {"error": error.message}
        return Template("admin/user.html", context=context, status_code=400)
    return Redirect(f"/admin/users/{user_id}?saved=1", status_code=303)


ROUTES: list[ControllerRouterHandler] = [
    users_page,
    reset_password,
    new_user_page,
    create_user,
    users_template,
    users_sheet,
    users_sheet_confirm,
    user_page,
    change_role,
    set_active,
]
