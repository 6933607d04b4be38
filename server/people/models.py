"""The household ledger: households and the persons registered in them."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, SyncedRecord, utcnow
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
    # the supervisor's "new high-risk arrivals": a range of created_at per category
    __table_args__ = (Index("ix_persons_category_created_at", "category", "created_at"),)

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
    # A returnee's journey: where from (structured, checked against risk_areas), how, and
    # where they stay; the free-text ``origin`` above stays for what the pick cannot say.
    origin_province: Mapped[str] = mapped_column(String(40), default="")
    origin_city: Mapped[str] = mapped_column(String(40), default="")
    origin_district: Mapped[str] = mapped_column(String(40), default="")
    transport: Mapped[str] = mapped_column(String(40), default="")
    itinerary: Mapped[str] = mapped_column(String(500), default="")
    health_code: Mapped[str | None] = mapped_column(String(8))
    quarantine_place: Mapped[str] = mapped_column(String(120), default="")
    # a close contact of another person of the same household
    contact_of: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id"))
    # why the worker chose another measure than the rules require
    measure_reason: Mapped[str] = mapped_column(String(200), default="")


class RiskArea(Base):
    """A medium- or high-risk area as the health authority lists it, with the days it
    applies (effective_to: the first day it no longer does). Admins maintain it; every
    device gets it to suggest a returnee's category offline."""

    __tablename__ = "risk_areas"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    province: Mapped[str] = mapped_column(String(40))
    city: Mapped[str] = mapped_column(String(40), default="")
    district: Mapped[str] = mapped_column(String(40), default="")
    level: Mapped[str] = mapped_column(String(8))
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    rev: Mapped[int] = mapped_column(BigInteger, index=True, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
