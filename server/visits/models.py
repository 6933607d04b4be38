"""Household visits (入户排查): append-only facts, one per visit."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, SyncedRecord
from server.visits.values import VisitOutcome


class Campaign(Base):
    """A screening round: coverage counts visits made since it started."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    starts_on: Mapped[datetime] = mapped_column()
    ends_on: Mapped[datetime | None] = mapped_column(default=None)
    rev: Mapped[int] = mapped_column(BigInteger, index=True, default=0)


class Visit(SyncedRecord, Base):
    __tablename__ = "visits"
    # coverage: "has a visit of the campaign found this household at home?" answered from
    # the index alone (the triggers of server/visits/coverage.py ask it on every write)
    __table_args__ = (
        Index(
            "ix_visits_household_found",
            "household_id",
            "visited_at",
            postgresql_where=text("deleted IS false AND outcome = 'visited'"),
            sqlite_where=text("deleted = 0 AND outcome = 'visited'"),
        ),
    )

    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("households.id"), index=True)
    visited_at: Mapped[datetime] = mapped_column()
    outcome: Mapped[str] = mapped_column(String(16), default=VisitOutcome.VISITED)
    checklist: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    notes: Mapped[str] = mapped_column(String(500), default="")
