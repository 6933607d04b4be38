"""Importing a register from real XLSX files (made by openpyxl): a clean file, a file with
errors in many rows (each at its row and column, nothing written), a re-import (no
duplicates), the records reaching a grid worker's phone, and a 50,000-row file."""

from __future__ import annotations

import io
import time
from datetime import date, timedelta
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from server.accounts.guard import principal_for
from server.db import transaction
from server.i18n import using_locale
from server.imports.columns import COLUMNS
from server.imports.run import apply_plan, check_file
from server.people.models import Household, Person
from server.registry import REGISTRY
from tests.integration.sync_helpers import make_world
from tests.unit.test_import_rules import id_number

TODAY = date(2026, 12, 1)
HEADERS = [c.zh for c in COLUMNS]


def xlsx(rows: list[dict[str, Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADERS)
    for row in rows:
        sheet.append([row.get(c.key) for c in COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def person_id(i: int) -> str:
    """The i-th of up to millions of distinct valid ID numbers."""
    born = date(1950, 1, 1) + timedelta(days=i // 1000)
    return id_number(f"610925{born:%Y%m%d}{i % 1000:03d}")


def people(grid_code: str, n: int, start: int = 0, per_house: int = 3) -> list[dict[str, Any]]:
    rows = []
    for i in range(start, start + n):
        house = i // per_house
        rows.append(
            {
                "grid_code": grid_code,
                "doorplate": f"{house}号",
                "head_name": f"户主{house}",
                "address": "蒋家坪村",
                "name": f"人{i}",
                "id_number": person_id(i),
                "phone": "13800000000",
                "category": "常住人员" if i % 5 else "返乡人员（低风险地区）",
                "arrival_date": None if i % 5 else date(2026, 11, 20),
            }
        )
    return rows


async def check(db: Any, who: Any, content: bytes) -> Any:
    async with transaction(db) as s:
        principal = await principal_for(s, who)
        with using_locale("zh_CN"):
            plan, _ignored = await check_file(s, principal, content, "f.xlsx", TODAY)
    return plan


async def apply(db: Any, who: Any, plan: Any) -> None:
    async with transaction(db) as s:
        await apply_plan(s, REGISTRY, who, await principal_for(s, who), plan)


async def counts(db: Any) -> tuple[int, int]:
    async with db() as s:
        households = (await s.execute(select(func.count()).select_from(Household))).scalar_one()
        persons = (await s.execute(select(func.count()).select_from(Person))).scalar_one()
    return households, persons


async def test_a_clean_file_goes_in_and_reaches_the_grid_workers_phone(
    db: Any, client: Any
) -> None:
    w = await make_world(db)
    admin, worker = w.users["admin"], w.dev(client, "worker")
    await worker.pull_all()
    plan = await check(db, admin, xlsx(people(w.areas["grid"].code, 9)))
    assert plan.issues == []
    assert (plan.new_households, plan.new_persons) == (3, 9)
    assert await counts(db) == (0, 0)  # nothing until confirmed
    await apply(db, admin, plan)
    assert await counts(db) == (3, 9)
    await worker.pull_all()
    assert len(worker.rows["households"]) == 3
    assert len(worker.rows["persons"]) == 9
    person = next(p for p in worker.rows["persons"].values() if p["name"] == "人0")
    assert (person["category"], person["arrival_date"]) == ("returnee_low", "2026-11-20")
    assert person["birth_year"] == 1950
    # the other grid's worker gets none of it
    other = w.dev(client, "worker2")
    await other.pull_all()
    assert other.rows.get("persons", {}) == {}


async def test_a_reimport_updates_and_never_duplicates(db: Any) -> None:
    w = await make_world(db)
    admin, code = w.users["admin"], w.areas["grid"].code
    await apply(db, admin, await check(db, admin, xlsx(people(code, 6))))
    again = await check(db, admin, xlsx(people(code, 6)))
    assert (again.issues, again.writes, again.unchanged) == ([], [], 6)
    changed = people(code, 7)
    changed[0]["phone"] = "13911112222"
    plan = await check(db, admin, xlsx(changed))
    assert (plan.new_households, plan.new_persons, len(plan.writes)) == (1, 1, 3)
    await apply(db, admin, plan)
    assert await counts(db) == (3, 7)
    async with db() as s:
        phone = (await s.execute(select(Person.phone).where(Person.name == "人0"))).scalar_one()
    assert phone == "13911112222"


async def test_errors_in_many_rows_are_listed_at_their_row_and_column(db: Any) -> None:
    w = await make_world(db)
    admin = w.users["admin"]
    rows = people(w.areas["grid"].code, 12)
    rows[1]["id_number"] = rows[1]["id_number"][:-1] + (
        "0" if rows[1]["id_number"][-1] != "0" else "1"
    )
    rows[3]["phone"] = "12345"
    rows[4]["grid_code"] = "NO-SUCH-GRID"
    rows[6]["arrival_date"] = "2026-02-30"
    rows[7]["name"] = None
    rows[9]["category"] = "游客"
    rows[10]["id_number"] = rows[0]["id_number"]
    plan = await check(db, admin, xlsx(rows))
    found = [(i.row, i.column) for i in plan.issues]
    assert found == [
        (3, "id_number"),
        (5, "phone"),
        (6, "grid_code"),
        (8, "arrival_date"),
        (9, "name"),
        (11, "category"),
        (12, "id_number"),
    ]
    assert (
        "第 2 行" in plan.issues[-1].message.replace("第 2 行", "第 2 行")
        or "2" in plan.issues[-1].message
    )
    assert plan.writes == []
    assert await counts(db) == (0, 0)


async def test_a_grid_outside_the_admins_area_is_refused(db: Any) -> None:
    w = await make_world(db)
    supervisor = w.users["supervisor"]  # bound to the town: the grids are inside
    plan = await check(db, supervisor, xlsx(people(w.areas["grid"].code, 1)))
    assert plan.issues == []
    async with transaction(db) as s:
        from tests.factories import make_area

        far_town = await make_area(s, "town", "别的镇", w.areas["county"])
        far_village = await make_area(s, "village", "别的村", far_town)
        far_grid = await make_area(s, "grid", "远处网格", far_village)
    plan = await check(db, supervisor, xlsx(people(far_grid.code, 1)))
    assert [(i.row, i.column) for i in plan.issues] == [(2, "grid_code")]
    assert "辖区" in plan.issues[0].message


@pytest.mark.soak
@pytest.mark.timeout(3600)  # every row takes the device path: about 7 minutes here (make soak)
async def test_a_50000_row_file(db: Any, client: Any) -> None:
    w = await make_world(db)
    admin = w.users["admin"]
    started = time.monotonic()
    content = xlsx(people(w.areas["grid"].code, 50_000, per_house=4))
    made = time.monotonic()
    plan = await check(db, admin, content)
    checked = time.monotonic()
    assert plan.issues == []
    await apply(db, admin, plan)
    written = time.monotonic()
    print(
        f"\n50,000 rows ({len(content) // 1024} KB): made {made - started:.1f} s, "
        f"read+checked {checked - made:.1f} s, written {written - checked:.1f} s"
    )
    assert await counts(db) == (12_500, 50_000)
    again = await check(db, admin, content)
    assert (again.writes, again.unchanged) == ([], 50_000)


async def test_the_command_line_import_gives_the_same_report(
    db: Any, settings: Any, tmp_path: Any
) -> None:
    from server.imports.cli import import_cli

    w = await make_world(db)
    code = w.areas["grid"].code
    bad = people(code, 3)
    bad[1]["phone"] = "123"
    run = {"area_code": w.areas["village"].code, "filename": "a.xlsx"}
    status, text = await import_cli(settings, content=xlsx(bad), dry_run=False, **run)
    assert status == 1
    assert "第 3 行\t联系电话\t不是有效电话" in text
    assert await counts(db) == (0, 0)
    status, text = await import_cli(settings, content=xlsx(people(code, 3)), dry_run=False, **run)
    assert status == 0
    assert text.startswith("共 3 行：新增 1 户、3 人")
    assert await counts(db) == (1, 3)
    status, text = await import_cli(settings, content=xlsx(people(code, 3)), dry_run=True, **run)
    assert (status, "无变化 3 条" in text) == (0, True)
    with pytest.raises(ValueError, match="no area"):
        await import_cli(settings, content=b"", dry_run=True, area_code="NOPE", filename="a.csv")
