"""Reminders sent to a grid's workers (one row per grid and subject and day of sending)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, SyncedRecord


class Reminder(SyncedRecord, Base):
    __tablename__ = "reminders"
    __table_args__ = (Index("ix_reminders_subject", "area_id", "kind", "subject_date"),)

    kind: Mapped[str] = mapped_column(String(30))
    #: the day the reminder is about (the missing report's, the missed check's)
    subject_date: Mapped[date | None] = mapped_column(Date, default=None)
    #: a missed check's person and slot (no foreign key: a purged person leaves the note)
    person_id: Mapped[uuid.UUID | None] = mapped_column(default=None, index=True)
    slot: Mapped[str | None] = mapped_column(String(10), default=None)
    message: Mapped[str] = mapped_column(String(300), default="")
    sender_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("users.id"), nullable=True, default=None
    )
    sent_at: Mapped[datetime] = mapped_column()
    #: when a worker of the grid acknowledged it on the phone (the first one is kept)
    read_at: Mapped[datetime | None] = mapped_column(default=None)
    read_by: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("users.id"), nullable=True, default=None
    )
