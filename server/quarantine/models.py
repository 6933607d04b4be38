"""Quarantine and monitoring: policy versions, measures (episodes), daily checks, tests."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, SyncedRecord, utcnow
from server.quarantine.values import MeasureStatus, TestResult


class Policy(Base):
    """One version of the rules for a measure kind. Episodes keep the version they began under."""

    __tablename__ = "policies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), index=True)
    version: Mapped[int] = mapped_column(Integer)
    duration_days: Mapped[int] = mapped_column(Integer)
    # day offsets from the start (day 0) on which a nucleic-acid test is due
    test_days: Mapped[list[Any]] = mapped_column(JSON)
    checks_per_day: Mapped[int] = mapped_column(Integer, default=2)
    effective_from: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(200), default="")
    rev: Mapped[int] = mapped_column(BigInteger, index=True, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Measure(SyncedRecord, Base):
    __tablename__ = "measures"

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("policies.id"))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=MeasureStatus.ACTIVE)
    place: Mapped[str] = mapped_column(String(120), default="")


class Check(SyncedRecord, Base):
    __tablename__ = "checks"
    # a day's checks by measure and slot from the index alone (checks today, missed)
    __table_args__ = (
        Index(
            "ix_checks_day_measure",
            "check_date",
            "measure_id",
            "slot",
            postgresql_where=text("deleted IS false"),
            sqlite_where=text("deleted = 0"),
        ),
    )

    measure_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("measures.id"), index=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), index=True)
    check_date: Mapped[date] = mapped_column(Date, index=True)
    slot: Mapped[str] = mapped_column(String(8))
    temperature: Mapped[float | None] = mapped_column(Float)
    symptoms: Mapped[list[Any]] = mapped_column(JSON, default=list)
    at_home: Mapped[bool] = mapped_column(Boolean, default=True)
    needs: Mapped[str] = mapped_column(String(300), default="")
    checked_at: Mapped[datetime] = mapped_column()


class Test(SyncedRecord, Base):
    """A nucleic-acid sample and its result."""

    __tablename__ = "tests"
    __test__ = False  # not a pytest class

    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id"), index=True)
    measure_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("measures.id"))
    fever_report_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("fever_reports.id"))
    reason: Mapped[str] = mapped_column(String(24), default="scheduled")
    due_date: Mapped[date | None] = mapped_column(Date)
    sampled_at: Mapped[datetime | None] = mapped_column(default=None)
    result: Mapped[str] = mapped_column(String(12), default=TestResult.PENDING)
    result_at: Mapped[datetime | None] = mapped_column(default=None)
