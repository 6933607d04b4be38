"""The import sheet's columns: one row per person, with the household they live in.

Headers are Chinese, as village registers are kept; the English names are accepted too.
A trailing "*" marks a required column in the template and is ignored when reading.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from server.i18n import gettext as _
from server.i18n import using_locale


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    zh: str
    en: str
    required: bool = False
    #: what the template's second line shows as an example
    example: str = ""


COLUMNS: tuple[Column, ...] = (
    Column("grid_code", "网格编码", "grid code", example="G-001"),
    Column("village", "村", "village", example="蒋家坪村"),
    Column("grid", "网格", "grid", example="一组网格"),
    Column("doorplate", "门牌号", "doorplate", required=True, example="蒋家坪村3号"),
    Column("head_name", "户主姓名", "head of household", required=True, example="张三"),
    Column("address", "住址", "address", example="老县镇蒋家坪村一组"),
    Column("household_phone", "户联系电话", "household phone", example="13800000000"),
    Column("name", "姓名", "name", required=True, example="张三"),
    Column("id_number", "身份证号", "ID number", required=True, example="11010519491231002X"),
    Column("phone", "联系电话", "phone", example="13800000000"),
    Column("relation", "与户主关系", "relation", example="户主"),
    Column("category", "人员类别", "category", example="常住人员"),
    Column("arrival_date", "返乡日期", "arrival date", example="2026-11-20"),
    Column("origin", "来源地", "came from", example="西安市"),
    Column("certificate_date", "核酸证明日期", "certificate date", example="2026-11-19"),
    Column("notes", "备注", "notes"),
)
BY_KEY = {c.key: c for c in COLUMNS}
_BY_HEADER = {h.casefold(): c for c in COLUMNS for h in (c.zh, c.en, c.key)}


def column_for(header: object) -> Column | None:
    """The column a header names ("门牌号*", "Doorplate", "doorplate"), or None."""
    if header is None:
        return None
    text = str(header).strip().rstrip("*＊").strip().casefold()
    return _BY_HEADER.get(text)


def column_title(key: str) -> str:
    """How a report names a column: its Chinese header (the sheet's own words)."""
    return BY_KEY[key].zh


def template_xlsx() -> bytes:
    """The blank template: the headers (required ones starred), an example row, and a
    second sheet explaining the columns."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "人员"
    sheet.append([c.zh + ("*" if c.required else "") for c in COLUMNS])
    sheet.append([c.example for c in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, column in enumerate(COLUMNS, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(10, 2 * len(column.zh) + 4)
        # ID numbers and phones are text: as numbers Excel would round them
        for row in range(2, 2000):
            if column.key in {"id_number", "phone", "household_phone", "doorplate"}:
                sheet.cell(row=row, column=index).number_format = "@"
    notes = book.create_sheet("说明")
    for line in template_notes():
        notes.append([line])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def category_labels() -> list[str]:
    """The categories as the sheet writes them (Chinese labels)."""
    from server.labels import label
    from server.people.values import PersonCategory

    with using_locale("zh_CN"):
        return [label(c, "category") for c in PersonCategory]


def template_notes() -> list[str]:
    return [
        _("One row per person. Rows with the same grid and doorplate are one household."),
        _("Columns marked * are required. Give the grid code, or the village and grid names."),
        _("Category, one of: %(categories)s.", categories=", ".join(category_labels())),
        _("Dates as 2026-11-20. Importing the same file again updates, never duplicates."),
        _("Delete the example row before importing."),
    ]
