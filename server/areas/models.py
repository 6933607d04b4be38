"""The area tree (city > county > town > village > grid) and the facilities in it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, utcnow


class Area(Base):
    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    level: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(80))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    # Materialised path "/1/4/17/": a subtree is one indexed range (server/areas/paths.py).
    # Compared bytewise on both databases: COLLATE "C" on PostgreSQL (SQLite's is BINARY).
    path: Mapped[str] = mapped_column(
        String(255).with_variant(String(255, collation="C"), "postgresql"), index=True
    )
    lead_name: Mapped[str | None] = mapped_column(String(40))
    lead_phone: Mapped[str | None] = mapped_column(String(20))
    rev: Mapped[int] = mapped_column(BigInteger, index=True, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when an admin retires the area (server/orgadmin/areas.py): nobody new is bound to
    # it or its subtree; its records stay.
    retired_at: Mapped[datetime | None] = mapped_column(default=None)


class Facility(Base):
    __tablename__ = "facilities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(80))
    phone: Mapped[str | None] = mapped_column(String(20))
    rev: Mapped[int] = mapped_column(BigInteger, index=True, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
