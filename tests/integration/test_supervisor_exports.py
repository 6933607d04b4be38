"""Exports: the ledger as XLSX and CSV and the day's summary as XLSX, opened with openpyxl
and checked cell by cell, Chinese text and a hostile formula cell included; audited."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from server.audit.models import AuditEntry
from server.db import transaction
from server.people.queries import LEDGER_HEADERS
from server.web.exports import safe_cell
from tests.factories import make_area_tree, make_household, make_person, make_user, sign_in

HOSTILE = "=cmd|' /C calc'!A0"
PHONE = "13800138000"


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (HOSTILE, "'" + HOSTILE),
        ("+86 138", "'+86 138"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("张三", "张三"),
        (None, ""),
        (1990, 1990),
        (date(2026, 1, 2), "2026-01-02"),
    ],
)
def test_safe_cell(value: Any, cell: Any) -> None:
    assert safe_cell(value) == cell


async def seeded(db: Any) -> dict[str, Any]:
    async with transaction(db) as s:
        tree = await make_area_tree(s)
        await make_user(s, "supervisor", tree["county"], phone=PHONE)
        h = await make_household(s, tree["grid"])
        h.head_name = "王大户"
        await make_person(
            s, h, name="王小明", category="returnee_abroad", id_number="110101199001011234"
        )
        await make_person(s, h, name=HOSTILE)
        await make_household(s, tree["grid2"])  # nobody entered yet: a row of its own
    return tree


async def exports(db: Any) -> int:
    async with db() as s:
        return int(
            await s.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "export"))
            or 0
        )


async def test_ledger_xlsx_cell_by_cell(client: Any, db: Any) -> None:
    tree = await seeded(db)
    await sign_in(client, PHONE)
    answer = await client.get(f"/export/ledger?area={tree['county'].id}&format=xlsx")
    assert answer.status_code == 200, answer.text
    assert "filename*=UTF-8''" in answer.headers["content-disposition"]
    book = load_workbook(io.BytesIO(answer.content))
    rows = list(book["台账"].iter_rows(values_only=True))
    assert rows[0] == LEDGER_HEADERS
    names = {r[LEDGER_HEADERS.index("姓名")] for r in rows[1:]}
    assert "王小明" in names
    assert "'" + HOSTILE in names  # text, never a formula
    cell_types = {c.value: c.data_type for row in book["台账"].iter_rows(min_row=2) for c in row}
    assert cell_types["'" + HOSTILE] == "s"
    xiaoming = next(r for r in rows if r[LEDGER_HEADERS.index("姓名")] == "王小明")
    assert xiaoming[LEDGER_HEADERS.index("户主")] == "王大户"
    assert xiaoming[LEDGER_HEADERS.index("身份证号")] == "110101199001011234"
    assert xiaoming[LEDGER_HEADERS.index("人员类别")] == "返乡人员（境外）"
    assert len(rows) == 1 + 3  # two persons, and the empty household
    assert await exports(db) == 1


async def test_ledger_csv_has_a_bom_and_the_same_rows(client: Any, db: Any) -> None:
    tree = await seeded(db)
    await sign_in(client, PHONE)
    answer = await client.get(f"/export/ledger?area={tree['county'].id}&format=csv")
    assert answer.status_code == 200
    assert answer.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert tuple(rows[0]) == LEDGER_HEADERS
    assert any(r[LEDGER_HEADERS.index("姓名")] == "'" + HOSTILE for r in rows[1:])
    assert len(rows) == 4
    assert (
        await client.get(f"/export/ledger?area={tree['county'].id}&format=pdf")
    ).status_code == 400


async def test_daily_summary_xlsx(client: Any, db: Any) -> None:
    tree = await seeded(db)
    await sign_in(client, PHONE)
    answer = await client.get(f"/export/daily?area={tree['county'].id}")
    assert answer.status_code == 200, answer.text
    sheet = load_workbook(io.BytesIO(answer.content))["日报"]
    rows = list(sheet.iter_rows(values_only=True))
    assert "日报" in rows[0][0]
    assert rows[1][0] == "区域"
    county_row = rows[2]
    assert county_row[0] == tree["county"].name
    assert county_row[1] == 2  # grids
    assert county_row[4] == 2  # neither has reported
    assert county_row[7] == 2  # households
    assert await exports(db) == 1


async def test_exports_stay_in_the_area(client: Any, db: Any) -> None:
    tree = await seeded(db)
    await sign_in(client, PHONE)
    assert (await client.get(f"/export/ledger?area={tree['city'].id}")).status_code == 404
    assert (await client.get("/export/daily?area=x")).status_code == 400


async def test_audit_page_shows_reads_and_exports_filtered(client: Any, db: Any) -> None:
    tree = await seeded(db)
    async with db() as s:
        from server.people.models import Person

        person = (await s.execute(select(Person).where(Person.name == "王小明"))).scalar_one()
    await sign_in(client, PHONE)
    assert (await client.get(f"/persons/{person.id}")).status_code == 200
    assert (await client.get(f"/export/daily?area={tree['county'].id}")).status_code == 200
    page = await client.get("/audit")
    assert page.status_code == 200, page.text
    assert 'data-action="read"' in page.text
    assert 'data-action="export"' in page.text
    one = await client.get(f"/audit?record={person.id}")
    assert one.text.count("<tr data-action=") == 1
    assert 'data-action="read"' in one.text
    by_day = await client.get("/audit?from=2000-01-01&to=2000-01-02")
    assert by_day.text.count("<tr data-action=") == 0
    assert (await client.get("/audit?user=abc")).status_code == 400
    assert (await client.get("/audit?from=yesterday")).status_code == 400
    assert (await client.get(f"/audit?area={tree['city'].id}")).status_code == 404


async def test_audit_page_is_for_reviewers(client: Any, db: Any) -> None:
    async with transaction(db) as s:
        tree = await make_area_tree(s)
        await make_user(s, "grid_worker", tree["grid"], phone=PHONE)
    await sign_in(client, PHONE)
    assert (await client.get("/audit")).status_code == 403
