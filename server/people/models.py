"""The household ledger: households and the persons registered in them."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, SyncedRecord
from server.people.values import MeasureKind, PersonCategory


class Household(SyncedRecord, Base):
    __tablename__ = "households"

    head_name: Mapped[str] = mapped_column(String(40))
    address: Mapped[str] = mapped_column(String(200), default="")
    doorplate: Mapped[str] = mapped_column(String(40), default="")
    phone: Mapped[str | None] = mapped_column(String(20))
    notes: Mapped[str] = mapped_column(Text, default="")


class Person(SyncedRecord, Base):
    __tablename__ = "persons"

    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("households.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    sex: Mapped[str | None] = mapped_column(String(8))
    birth_year: Mapped[int | None] = mapped_column()
    id_number: Mapped[str | None] = mapped_column(String(18))
    phone: Mapped[str | None] = mapped_column(String(20))
    relation: Mapped[str] = mapped_column(String(20), default="")
    category: Mapped[str] = mapped_column(String(24), default=PersonCategory.RESIDENT)
    arrival_date: Mapped[date | None] = mapped_column(Date)
    origin: Mapped[str] = mapped_column(String(80), default="")
    certificate_date: Mapped[date | None] = mapped_column(Date)
    # The person's current measure kind, kept here so lists can filter without a join.
    measure: Mapped[str] = mapped_column(String(24), default=MeasureKind.NONE)
    notes: Mapped[str] = mapped_column(Text, default="")
