"""Exports for supervisors: an area's household and person ledger (台账) as XLSX or CSV,
and a day's summary (日报) as XLSX. Large areas stream: the rows are read in partitions,
the CSV goes out as it is written, the XLSX is built by a write-only workbook in a
temporary file and sent in chunks. Every export is written to the audit log.

Formula injection: a text cell starting with = + - @ (or a tab / carriage return) would
be run by a spreadsheet; it is exported with a leading apostrophe, as text.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Response, get
from litestar.params import QueryParameter
from litestar.response import Stream
from litestar.types import ControllerRouterHandler
from openpyxl import Workbook
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.accounts.deps import CurrentIdentity
from server.accounts.guards import reviewer
from server.audit import log as audit_log
from server.db import page_session, utcnow
from server.deps import DB, AppSettings, Session
from server.errors import BadInput
from server.i18n import gettext as _
from server.labels import label
from server.people.queries import LEDGER_HEADERS, ledger_stmt
from server.timeutil import local_today
from server.web.areas import area_in_scope, drill_down, pick_day

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: ledger columns holding codes, shown by their labels (index: label group)
CODED = {LEDGER_HEADERS.index("人员类别"): "category", LEDGER_HEADERS.index("管控措施"): "measure"}
PARTITION = 500
CHUNK = 64 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value: Any) -> Any:
    """A value as a spreadsheet cell: text that a spreadsheet would read as a formula
    gets a leading apostrophe; dates as YYYY-MM-DD; None as empty."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def ledger_row(row: Iterable[Any]) -> list[Any]:
    return [
        safe_cell(label(v, CODED[i]) if i in CODED and v is not None else v)
        for i, v in enumerate(row)
    ]


def csv_lines(rows: Iterable[list[Any]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def attachment(name: str) -> dict[str, str]:
    # RFC 6266/5987: the Chinese file name for browsers, an ASCII one for the rest
    return {"Content-Disposition": f"attachment; filename=export; filename*=UTF-8''{quote(name)}"}


def saved(book: Workbook) -> Iterator[bytes]:
    """A workbook's file in chunks, through a temporary file (a write-only workbook keeps
    no rows in memory, and neither does this)."""
    with tempfile.TemporaryFile() as handle:
        book.save(handle)
        handle.seek(0)
        while chunk := handle.read(CHUNK):
            yield chunk


async def _ledger_rows(db: async_sessionmaker[AsyncSession], path: str) -> AsyncIterator[list[Any]]:
    # its own session: a streamed answer outlives the request's unit of work
    async with page_session(db) as session:
        result = await session.stream(ledger_stmt(path))
        async for part in result.partitions(PARTITION):
            for row in part:
                yield ledger_row(row)


@get("/export/ledger", include_in_schema=False, guards=[reviewer])
async def export_ledger(
    session: Session,
    db: DB,
    identity: CurrentIdentity,
    area: Annotated[int, QueryParameter()],
    fmt: Annotated[str, QueryParameter(name="format")] = "xlsx",
) -> Response[Any]:
    if fmt not in ("xlsx", "csv"):
        raise BadInput(_("The format must be xlsx or csv."), code="bad_format")
    the_area = await area_in_scope(session, identity.principal, area)
    audit_log.record(
        session,
        user_id=identity.user.id,
        action="export",
        entity="ledger",
        entity_id=str(the_area.id),
        area_id=the_area.id,
        detail={"format": fmt},
    )
    await session.commit()  # the export is on record before a byte leaves
    name = f"{the_area.name}台账.{fmt}"
    if fmt == "csv":

        async def lines() -> AsyncIterator[bytes]:
            # the BOM makes Excel read the file as UTF-8
            yield ("\ufeff" + csv_lines([list(LEDGER_HEADERS)])).encode()
            batch: list[list[Any]] = []
            async for row in _ledger_rows(db, the_area.path):
                batch.append(row)
                if len(batch) >= PARTITION:
                    yield csv_lines(batch).encode()
                    batch = []
            if batch:
                yield csv_lines(batch).encode()

        return Stream(lines(), media_type="text/csv; charset=utf-8", headers=attachment(name))
    book = Workbook(write_only=True)
    sheet = book.create_sheet("台账")
    sheet.append(list(LEDGER_HEADERS))
    async for row in _ledger_rows(db, the_area.path):
        sheet.append(row)
    return Stream(saved(book), media_type=XLSX, headers=attachment(name))


DAILY_HEADERS = (
    "区域", "网格数", "已上报", "零报告", "未报告", "入户率", "已走访户", "总户数",
    "管控人数", "待测/漏测", "发热报告", "及时", "高风险来返人员（近3天）",
)  # fmt: skip


@get("/export/daily", include_in_schema=False, guards=[reviewer])
async def export_daily(
    session: Session,
    settings: AppSettings,
    identity: CurrentIdentity,
    area: Annotated[int, QueryParameter()],
    day: Annotated[str | None, QueryParameter()] = None,
) -> Response[Any]:
    now = utcnow()
    picked = pick_day(day, local_today(now, settings.timezone))
    the_area = await area_in_scope(session, identity.principal, area)
    view = await drill_down(session, identity.principal, the_area, picked, settings.timezone, now)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("日报")
    sheet.append([safe_cell(f"{the_area.name} 日报 {picked.isoformat()}")])
    sheet.append(list(DAILY_HEADERS))
    for row in [view.own, *view.children]:
        sheet.append(
            [
                safe_cell(row.area.name),
                row.reports.grids,
                row.reports.reported,
                row.reports.zero,
                row.reports.missing,
                row.coverage.percent if view.has_campaign else "",
                row.coverage.visited,
                row.coverage.total,
                row.under_measure,
                row.checks.not_done,
                row.fever.total,
                row.fever.on_time,
                row.arrivals,
            ]
        )
    audit_log.record(
        session,
        user_id=identity.user.id,
        action="export",
        entity="daily_summary",
        entity_id=str(the_area.id),
        area_id=the_area.id,
        detail={"day": picked.isoformat()},
    )
    name = f"{the_area.name}日报{picked.isoformat()}.xlsx"
    return Stream(saved(book), media_type=XLSX, headers=attachment(name))


ROUTES: list[ControllerRouterHandler] = [export_ledger, export_daily]
