"""Two-hour fever reports from sentinels and the events that follow them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, SyncedRecord
from server.fever.values import FeverSource, FeverState


class FeverReport(SyncedRecord, Base):
    __tablename__ = "fever_reports"

    # None only for a lead from a check in a village without a clinic
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"), index=True)
    patient_name: Mapped[str] = mapped_column(String(40))
    patient_phone: Mapped[str | None] = mapped_column(String(20))
    patient_id_number: Mapped[str | None] = mapped_column(String(18))
    sex: Mapped[str | None] = mapped_column(String(8))
    age: Mapped[int | None] = mapped_column(Integer)
    address: Mapped[str] = mapped_column(String(200), default="")
    temperature: Mapped[float | None] = mapped_column(Float)
    symptoms: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # When the sentinel saw the patient, as the device said, and as corrected by the
    # device's measured clock offset: the two-hour clock runs from the corrected time.
    seen_at_device: Mapped[datetime] = mapped_column()
    seen_at: Mapped[datetime] = mapped_column(index=True)
    received_at: Mapped[datetime | None] = mapped_column(default=None)
    state: Mapped[str] = mapped_column(String(16), default=FeverState.REPORTED)
    result: Mapped[str | None] = mapped_column(String(12), default=None)
    source: Mapped[str] = mapped_column(String(12), default=FeverSource.SENTINEL)
    # the person a lead from a check is about (no foreign key: the lead outlives a person
    # deleted from the ledger, and keeps the patient's details it copied)
    person_id: Mapped[uuid.UUID | None] = mapped_column(index=True, default=None)
    # What the sentinel's form asks besides (age or birth year; the village apart from the
    # address, for the township's list).
    birth_year: Mapped[int | None] = mapped_column(Integer, default=None)
    village: Mapped[str] = mapped_column(String(60), default="")
    onset_date: Mapped[date | None] = mapped_column(default=None)
    note: Mapped[str] = mapped_column(String(300), default="")


class FeverEvent(SyncedRecord, Base):
    __tablename__ = "fever_events"

    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("fever_reports.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column()
    result: Mapped[str | None] = mapped_column(String(12), default=None)
    note: Mapped[str] = mapped_column(String(300), default="")
    #: who took the sample (a "sampled" event)
    sampler: Mapped[str] = mapped_column(String(40), default="")
