"""The household import pages: the template, upload and preview, confirm, progress.

Nothing is written until the admin confirms a preview without errors; the write then
runs in the background (server/imports/run.py) and the page polls its progress.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.plugins.htmx import HTMXRequest, HTMXTemplate
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler

from server.accounts.auth import require_csrf
from server.accounts.deps import CurrentIdentity
from server.accounts.guards import admin
from server.db import utcnow
from server.deps import DB, AppSettings, Session
from server.errors import BadInput, NotFound, TooLarge
from server.i18n import gettext as _
from server.imports import run
from server.imports.columns import COLUMNS, column_title, template_xlsx
from server.imports.sheet import SheetError
from server.registry import REGISTRY
from server.timeutil import local_today

AnyRequest = Request[Any, Any, Any]
#: an XLSX of 50,000 rows is about 3 MB; a county's whole register stays well under this
IMPORT_MAX_BYTES = 20 * 1024 * 1024
#: issues shown on the preview (the rest are counted)
SHOWN_ISSUES = 500
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@get("/admin/import", include_in_schema=False, guards=[admin])
async def import_page(identity: CurrentIdentity) -> Template:
    return Template(
        template_name="admin/import.html", context={"user": identity.user, "columns": COLUMNS}
    )


@get("/admin/import/template.xlsx", include_in_schema=False, guards=[admin])
async def import_template() -> Response[bytes]:
    return Response(
        content=template_xlsx(),
        media_type=XLSX,
        headers={"Content-Disposition": "attachment; filename*=UTF-8''household-import.xlsx"},
    )


@post(
    "/admin/import",
    include_in_schema=False,
    guards=[admin],
    request_max_body_size=IMPORT_MAX_BYTES + 64 * 1024,
    status_code=200,
)
async def import_upload(
    request: AnyRequest, session: Session, settings: AppSettings, identity: CurrentIdentity
) -> Template:
    form = await require_csrf(request, settings)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise BadInput(_("Choose a file to upload."), code="bad_input")
    content = await upload.read()
    if len(content) > IMPORT_MAX_BYTES:
        raise TooLarge(_("The file is larger than 20 MB."), code="body_too_large")
    if not content:
        raise BadInput(_("The file is empty."), code="bad_input")
    today = local_today(utcnow(), settings.timezone)
    try:
        plan, ignored = await run.check_file(
            session, identity.principal, content, upload.filename, today
        )
    except SheetError as error:
        raise BadInput(str(error), code="bad_file") from error
    job = run.new_job(identity.user.id, upload.filename, plan, ignored)
    return Template(template_name="admin/import.html", context=_preview(identity, job))


def _preview(identity: Any, job: run.Job) -> dict[str, Any]:
    issues = job.plan.issues
    return {
        "user": identity.user,
        "columns": COLUMNS,
        "job": job,
        "issues": issues[:SHOWN_ISSUES],
        "more_issues": max(0, len(issues) - SHOWN_ISSUES),
        "error_rows": len({i.row for i in issues}),
        "column_title": lambda key: column_title(key) if key else "",
    }


def _job(job_id: str, identity: Any) -> run.Job:
    job = run.JOBS.get(job_id)
    if job is None or job.user_id != identity.user.id:
        raise NotFound(_("This import is no longer here: upload the file again."))
    return job


@post("/admin/import/{job_id:str}/confirm", include_in_schema=False, guards=[admin])
async def import_confirm(
    request: HTMXRequest,
    settings: AppSettings,
    db: DB,
    identity: CurrentIdentity,
    job_id: FromPath[str],
) -> Response[Any]:
    await require_csrf(request, settings)
    job = _job(job_id, identity)
    if not job.plan.ok:
        raise BadInput(_("Correct the errors and upload the file again."), code="bad_input")
    run.start_job(job, db, REGISTRY)
    if request.htmx:
        return HTMXTemplate(template_name="admin/_import_status.html", context={"job": job})
    return Redirect(f"/admin/import/{job.id}", status_code=303)


@get("/admin/import/{job_id:str}", include_in_schema=False, guards=[admin])
async def import_status(
    request: HTMXRequest, identity: CurrentIdentity, job_id: FromPath[str]
) -> Template:
    job = _job(job_id, identity)
    if request.htmx:
        return HTMXTemplate(template_name="admin/_import_status.html", context={"job": job})
    return Template(template_name="admin/import.html", context=_preview(identity, job))


ROUTES: list[ControllerRouterHandler] = [
    import_page,
    import_template,
    import_upload,
    import_confirm,
    import_status,
]
