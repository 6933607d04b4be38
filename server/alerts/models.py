"""Alerts (特报): written in the transaction of the change that raised them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, utcnow


class Alert(Base):
    __tablename__ = "alerts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(16))
    #: the person or the fever report it is about (either may be missing, never both)
    person_id: Mapped[uuid.UUID | None] = mapped_column(index=True, default=None)
    report_id: Mapped[uuid.UUID | None] = mapped_column(index=True, default=None)
    #: what raised it: a person's category, "tests" or "fever_events"
    source: Mapped[str] = mapped_column(String(24), default="")
    area_id: Mapped[int] = mapped_column(Integer, ForeignKey("areas.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
