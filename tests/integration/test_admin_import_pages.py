"""The import pages: template download, upload then preview (nothing written), confirm
then progress until done; errors listed by row and column; only admins; CSRF."""

from __future__ import annotations

import asyncio
import io
import time
from typing import Any

from openpyxl import load_workbook

from server.imports import run
from tests.factories import csrf_from, sign_in
from tests.integration.sync_helpers import make_world
from tests.integration.test_imports import counts, people, xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def upload(client: Any, content: bytes, name: str = "村.xlsx") -> Any:
    page = await client.get("/admin/import")
    return await client.post(
        "/admin/import",
        data={"csrf_token": csrf_from(page.text)},
        files={"file": (name, content, XLSX)},
    )


async def until_finished(client: Any, job_id: str) -> Any:
    """Poll the progress fragment as the page does, until the background write ends."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = await client.get(f"/admin/import/{job_id}", headers={"HX-Request": "true"})
        if "every 1s" not in status.text:
            return status
        await asyncio.sleep(0.05)
    raise AssertionError("the import did not finish")


async def test_template_upload_preview_confirm_and_progress(client: Any, db: Any) -> None:
    w = await make_world(db)
    await sign_in(client, w.users["admin"].phone)
    template = await client.get("/admin/import/template.xlsx")
    assert template.status_code == 200
    headers = [c.value for c in load_workbook(io.BytesIO(template.content)).worksheets[0][1]]
    assert "身份证号*" in headers

    preview = await upload(client, xlsx(people(w.areas["grid"].code, 9)))
    assert preview.status_code == 200, preview.text
    assert 'data-stat="new-persons">9<' in preview.text
    assert "确认导入" in preview.text
    assert await counts(db) == (0, 0)

    job_id = preview.text.split("/admin/import/")[1].split("/confirm")[0]
    forged = await client.post(f"/admin/import/{job_id}/confirm", data={})
    assert forged.status_code == 403
    confirm = await client.post(
        f"/admin/import/{job_id}/confirm",
        data={"csrf_token": csrf_from(preview.text)},
        headers={"HX-Request": "true"},
    )
    assert confirm.status_code == 200
    assert 'hx-trigger="every 1s"' in confirm.text or 'data-import="done"' in confirm.text
    status = await until_finished(client, job_id)
    assert 'data-import="done"' in status.text
    assert "新增 3 户、9 人" in status.text
    assert await counts(db) == (3, 9)
    again = await client.post(
        f"/admin/import/{job_id}/confirm",
        data={"csrf_token": csrf_from(preview.text)},
        headers={"HX-Request": "true"},
    )
    assert again.status_code == 200
    assert await counts(db) == (3, 9)  # a second confirm writes nothing more


async def test_errors_are_listed_by_row_and_column_and_cannot_be_confirmed(
    client: Any, db: Any
) -> None:
    w = await make_world(db)
    await sign_in(client, w.users["admin"].phone)
    rows = people(w.areas["grid"].code, 5)
    rows[2]["phone"] = "123"
    rows[4]["id_number"] = "110105194912310021"
    preview = await upload(client, xlsx(rows))
    assert preview.status_code == 200
    assert 'data-row="4" data-column="phone"' in preview.text
    assert 'data-row="6" data-column="id_number"' in preview.text
    assert "最后一位校验码不符" in preview.text
    assert "确认导入" not in preview.text
    job_id = next(j.id for j in run.JOBS.values() if j.plan.issues and j.filename == "村.xlsx")
    refused = await client.post(
        f"/admin/import/{job_id}/confirm", data={"csrf_token": csrf_from(preview.text)}
    )
    assert refused.status_code == 400
    assert await counts(db) == (0, 0)


async def test_bad_uploads_answer_4xx_with_a_message(client: Any, db: Any) -> None:
    w = await make_world(db)
    await sign_in(client, w.users["admin"].phone)
    not_a_sheet = await upload(client, b"hello", "a.txt")
    assert not_a_sheet.status_code == 400
    assert "Excel" in not_a_sheet.text
    broken = await upload(client, b"PK\x03\x04broken", "a.xlsx")
    assert broken.status_code == 400
    page = await client.get("/admin/import")
    no_file = await client.post("/admin/import", data={"csrf_token": csrf_from(page.text)})
    assert no_file.status_code == 400
    missing = await client.get("/admin/import/nope")
    assert missing.status_code == 404


async def test_only_admins_may_import(client: Any, db: Any) -> None:
    w = await make_world(db)
    await sign_in(client, w.users["supervisor"].phone)
    assert (await client.get("/admin/import")).status_code == 403
    assert (await client.get("/admin/import/template.xlsx")).status_code == 403
