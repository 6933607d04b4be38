"""Grid daily reports (日报告); a zero report is a real report, not a missing one."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, SyncedRecord


class DailyReport(SyncedRecord, Base):
    __tablename__ = "daily_reports"
    __table_args__ = (UniqueConstraint("area_id", "report_date", name="uq_daily_reports_day"),)

    report_date: Mapped[date] = mapped_column(Date, index=True)
    is_zero: Mapped[bool] = mapped_column(Boolean, default=False)
    households_visited: Mapped[int] = mapped_column(Integer, default=0)
    new_returnees: Mapped[int] = mapped_column(Integer, default=0)
    under_measure: Mapped[int] = mapped_column(Integer, default=0)
    checks_done: Mapped[int] = mapped_column(Integer, default=0)
    fever_found: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[str] = mapped_column(String(500), default="")
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)
