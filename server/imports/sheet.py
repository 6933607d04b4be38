"""Reading an uploaded sheet (XLSX or CSV) into rows of raw cell values. No database.

Runs in a worker thread for large files (openpyxl is pure Python and slow): the caller
wraps it in ``anyio.to_thread.run_sync``.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from server.i18n import gettext as _
from server.imports.columns import COLUMNS, column_for

#: a register of a whole county is about 100,000 people; more is a mistake
MAX_ROWS = 200_000


class SheetError(ValueError):
    """The file as a whole cannot be read (not a sheet, no header, a required column
    missing); ``str(error)`` is the message for the admin."""


@dataclass(slots=True)
class Sheet:
    #: (row number as the spreadsheet shows it, {column key: raw value})
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    #: headers the sheet has that no column takes (reported, not fatal)
    ignored: list[str] = field(default_factory=list)


def read_sheet(content: bytes, filename: str) -> Sheet:
    """Read an .xlsx or .csv file's first sheet; the header is its first non-empty row."""
    name = filename.lower()
    if name.endswith(".csv"):
        return _from_rows(_csv_rows(content))
    if name.endswith((".xlsx", ".xlsm")) or content[:4] == b"PK\x03\x04":
        return _from_rows(_xlsx_rows(content))
    raise SheetError(_("Upload an Excel file (.xlsx) or a CSV file."))


def _csv_rows(content: bytes) -> Iterator[tuple[int, list[Any]]]:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel on Chinese Windows saves GB18030
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SheetError(_("The CSV file is neither UTF-8 nor GB18030 text."))
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        yield number, list(row)


def _xlsx_rows(content: bytes) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise SheetError(_("This file is not a readable Excel workbook.")) from error
    try:
        sheet = book.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(row)
    finally:
        book.close()


def _blank(values: Iterable[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _from_rows(rows: Iterator[tuple[int, list[Any]]]) -> Sheet:
    header: list[str | None] | None = None
    sheet = Sheet()
    for number, values in rows:
        if _blank(values):
            continue
        if header is None:
            header = _header(values, sheet)
            continue
        if len(sheet.rows) >= MAX_ROWS:
            raise SheetError(_("The file has more than %(n)s rows.", n=MAX_ROWS))
        record = {
            key: values[i] for i, key in enumerate(header) if key is not None and i < len(values)
        }
        sheet.rows.append((number, record))
    if header is None:
        raise SheetError(_("The file is empty."))
    return sheet


def _header(values: list[Any], sheet: Sheet) -> list[str | None]:
    keys: list[str | None] = []
    for value in values:
        column = column_for(value)
        if column is None and value is not None and str(value).strip():
            sheet.ignored.append(str(value).strip())
        keys.append(column.key if column is not None and column.key not in keys else None)
    missing = [c.zh for c in COLUMNS if c.required and c.key not in keys]
    if missing:
        raise SheetError(
            _(
                "The first row must hold the column headers; missing: %(cols)s.",
                cols="、".join(missing),
            )
        )
    if "grid_code" not in keys and "grid" not in keys:
        raise SheetError(_("Give a 网格编码 column, or the 村 and 网格 columns."))
    return keys


def iter_sheet_rows(content: bytes, filename: str) -> Iterator[tuple[int, list[Any]]]:
    """Any sheet's rows as raw cell values, numbered as the spreadsheet shows them (for
    sheets with other columns than the household register's, such as a list of users)."""
    name = filename.lower()
    if name.endswith(".csv"):
        return _csv_rows(content)
    if name.endswith((".xlsx", ".xlsm")) or content[:4] == b"PK\x03\x04":
        return _xlsx_rows(content)
    raise SheetError(_("Upload an Excel file (.xlsx) or a CSV file."))
