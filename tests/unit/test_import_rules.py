"""The import's pure parts: the ID number check, cell parsing, and the row check that plans
the writes (tables of rows against plain facts, no database)."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from server.i18n import using_locale
from server.imports.columns import COLUMNS, column_for, template_xlsx
from server.imports.sheet import SheetError, read_sheet
from server.imports.validate import (
    Existing,
    Facts,
    GridRef,
    category_codes,
    normal_phone,
    parse_date,
    plan_import,
    text,
)
from server.labels import label
from server.people.rules import check_id_number

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(seventeen: str) -> str:
    """A valid ID number from its first 17 digits (tests make as many as they need)."""
    total = sum(int(d) * w for d, w in zip(seventeen, _WEIGHTS, strict=True))
    return seventeen + "10X98765432"[total % 11]


@pytest.mark.parametrize(
    ("text_in", "expected"),
    [
        ("11010519491231002X", (True, None, 1949, "female")),
        ("11010519491231002x", (True, None, 1949, "female")),
        (" 11010519491231002X ", (True, None, 1949, "female")),
        ("110105194912310021", (False, "check_digit", None, None)),
        ("11010519491231002", (False, "length", None, None)),
        ("1101051949123100211", (False, "length", None, None)),
        ("", (False, "length", None, None)),
        ("11010519491331002X", (False, "birth_date", None, None)),
        ("110105187912310020", (False, "birth_date", None, None)),
        ("11010519491231A02X", (False, "format", None, None)),
        ("11010519491231002Y", (False, "format", None, None)),
        ("１１010519491231002X", (False, "format", None, None)),
    ],
)
def test_check_id_number(text_in: str, expected: tuple[Any, ...]) -> None:
    found = check_id_number(text_in, TODAY)
    assert (found.ok, found.reason, found.birth_year, found.sex) == expected


def test_generated_numbers_pass_and_one_changed_digit_fails() -> None:
    number = id_number("61092519900101123")
    assert check_id_number(number, TODAY).ok
    assert check_id_number(number[:5] + "9" + number[6:], TODAY).reason == "check_digit"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800000000", "13800000000"),
        ("138 0000 0000", "13800000000"),
        ("+8613800000000", "13800000000"),
        ("0915-1234567", "09151234567"),
        ("12800000000", None),
        ("1380000000", None),
        ("abc", None),
    ],
)
def test_normal_phone(raw: str, expected: str | None) -> None:
    assert normal_phone(raw) == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2026-11-20", date(2026, 11, 20)),
        ("2026/11/20", date(2026, 11, 20)),
        ("20261120", date(2026, 11, 20)),
        ("2026年11月20日", date(2026, 11, 20)),
        (date(2026, 1, 2), date(2026, 1, 2)),
        (None, None),
        ("", None),
    ],
)
def test_parse_date(cell: Any, expected: date | None) -> None:
    assert parse_date(cell) == expected


@pytest.mark.parametrize("cell", ["2026-13-01", "yesterday", "11/20/2026"])
def test_parse_date_refuses(cell: str) -> None:
    with pytest.raises(ValueError, match=cell[:4]):
        parse_date(cell)


@pytest.mark.parametrize(
    ("cell", "expected"), [(13800000000.0, "13800000000"), (3, "3"), (None, ""), (" a ", "a")]
)
def test_text(cell: Any, expected: str) -> None:
    assert text(cell) == expected


def test_headers_match_chinese_english_and_starred() -> None:
    assert column_for("门牌号*") is not None
    assert column_for(" ID number ") is not None
    assert column_for("身份证号码?") is None


def test_template_has_every_header_and_reads_back() -> None:
    book = load_workbook(io.BytesIO(template_xlsx()))
    headers = [c.value for c in book.worksheets[0][1]]
    assert headers == [c.zh + ("*" if c.required else "") for c in COLUMNS]
    sheet = read_sheet(template_xlsx(), "template.xlsx")
    assert [number for number, _cells in sheet.rows] == [2]


def test_read_sheet_refuses_what_is_not_a_register() -> None:
    with pytest.raises(SheetError):
        read_sheet(b"hello", "x.txt")
    with pytest.raises(SheetError):
        read_sheet(b"PK\x03\x04garbage", "x.xlsx")
    with pytest.raises(SheetError, match="门牌号"):
        read_sheet("姓名,身份证号\n张三,1\n".encode(), "x.csv")
    book = Workbook()
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(SheetError):
        read_sheet(buffer.getvalue(), "empty.xlsx")


def test_read_sheet_reads_gb18030_csv() -> None:
    content = "网格编码,门牌号,户主姓名,姓名,身份证号\nG1,1号,张三,张三,X\n".encode("gb18030")
    sheet = read_sheet(content, "a.csv")
    assert sheet.rows == [
        (
            2,
            {
                "grid_code": "G1",
                "doorplate": "1号",
                "head_name": "张三",
                "name": "张三",
                "id_number": "X",
            },
        )
    ]


# --- planning ----------------------------------------------------------------------------

GRIDS = [
    GridRef(10, "G1", "一组网格", "蒋家坪村", True),
    GridRef(11, "G2", "二组网格", "蒋家坪村", True),
    GridRef(12, "G3", "一组网格", "外村", False),
]
ID1, ID2, ID3 = (id_number(f"6109251990010112{i}") for i in (1, 2, 3))
TODAY = date(2026, 12, 1)


def categories() -> dict[str, str]:
    return category_codes(lambda code: label(code, "category"))


def row(**cells: Any) -> dict[str, Any]:
    base = {
        "grid_code": "G1",
        "doorplate": "1号",
        "head_name": "张三",
        "name": "张三",
        "id_number": ID1,
    }
    base.update(cells)
    return {k: v for k, v in base.items() if v is not None}


def plan(rows: list[dict[str, Any]], households: Any = None, persons: Any = None) -> Any:
    facts = Facts(GRIDS, households or {}, persons or {}, TODAY)
    ids = iter(f"id-{i}" for i in range(1000))
    with using_locale("zh_CN"):
        return plan_import(list(enumerate(rows, start=2)), facts, categories(), lambda: next(ids))


def test_a_clean_file_plans_households_then_persons() -> None:
    p = plan(
        [
            row(),
            row(
                name="李四",
                id_number=ID2,
                category="返乡人员（低风险地区）",
                arrival_date="2026-11-20",
            ),
            row(
                doorplate="2号",
                head_name="王五",
                name="王五",
                id_number=ID3,
                grid_code=None,
                village="蒋家坪村",
                grid="二组网格",
            ),
        ]
    )
    assert p.issues == []
    assert p.ok
    assert [(w.collection, w.record_id) for w in p.writes] == [
        ("households", "id-0"),
        ("households", "id-2"),
        ("persons", "id-1"),
        ("persons", "id-3"),
        ("persons", "id-4"),
    ][:0] or [w.collection for w in p.writes] == ["households"] * 2 + ["persons"] * 3
    li = p.persons[1].data
    assert (li["category"], li["arrival_date"], li["sex"], li["birth_year"]) == (
        "returnee_low",
        "2026-11-20",
        "female",
        1990,
    )
    assert p.persons[0].data["household_id"] == p.persons[1].data["household_id"]
    assert p.households[1].data["area_id"] == 11


@pytest.mark.parametrize(
    ("cells", "column", "message"),
    [
        ({"doorplate": ""}, "doorplate", "必填"),
        ({"name": None}, "name", "必填"),
        ({"id_number": "110105194912310021"}, "id_number", "最后一位"),
        ({"id_number": "1101"}, "id_number", "18"),
        ({"phone": "12345"}, "phone", "电话"),
        ({"arrival_date": "2026-02-30"}, "arrival_date", "日期"),
        ({"certificate_date": "2027-01-01"}, "certificate_date", "晚于今天"),
        ({"category": "游客"}, "category", "类别"),
        ({"grid_code": "NOPE"}, "grid_code", "编码"),
        ({"grid_code": "G3"}, "grid_code", "辖区"),
        ({"grid_code": None, "village": "蒋家坪村", "grid": "三组网格"}, "grid", "网格"),
        ({"grid_code": None}, "grid_code", "网格"),
        ({"head_name": "张" * 41}, "head_name", "41" if False else "40"),
    ],
)
def test_each_fault_is_reported_at_its_row_and_column(
    cells: dict[str, Any], column: str, message: str
) -> None:
    p = plan([row(name="甲", id_number=ID2, doorplate="9号", head_name="甲"), row(**cells)])
    assert [(i.row, i.column) for i in p.issues] == [(3, column)], p.issues
    assert message in p.issues[0].message
    assert p.writes == []
    assert not p.ok


def test_duplicates_within_the_file() -> None:
    p = plan([row(), row(name="李四"), row(head_name="赵六", name="x", id_number=ID2)])
    assert [(i.row, i.column) for i in p.issues] == [(3, "id_number"), (4, "head_name")]
    assert "第 2 行" in p.issues[0].message or "2" in p.issues[0].message


def test_existing_records_are_updated_and_an_unchanged_file_writes_nothing() -> None:
    households = {
        (10, "1号"): Existing(
            "h1",
            5,
            10,
            True,
            {"head_name": "张三", "address": "", "doorplate": "1号", "phone": None},
        )
    }
    persons = {
        ID1: Existing(
            "p1",
            6,
            10,
            True,
            {
                "household_id": "h1",
                "name": "张三",
                "id_number": ID1,
                "category": "resident",
                "sex": "male",
                "birth_year": 1990,
                "relation": "",
                "origin": "",
                "notes": "",
            },
        )
    }
    same = plan([row()], households, persons)
    assert same.writes == []
    assert (same.ok, same.unchanged) == (True, 1)
    moved = plan([row(phone="13800000000", address="新地址")], households, persons)
    assert [(w.record_id, w.base, w.data) for w in moved.writes] == [
        ("h1", 5, {"address": "新地址"}),
        ("p1", 6, {"phone": "13800000000"}),
    ]
    assert (moved.new_households, moved.new_persons) == (0, 0)


def test_an_id_number_held_elsewhere_is_an_error() -> None:
    outside = {ID1: Existing("p1", 6, 12, False, {"household_id": "hx"})}
    assert "辖区" in plan([row()], persons=outside).issues[0].message
    other = {ID1: Existing("p1", 6, 10, True, {"household_id": "hx"})}
    assert "其他户" in plan([row()], persons=other).issues[0].message
