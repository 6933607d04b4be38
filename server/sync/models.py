"""Tables owned by the sync engine: the change counter, the mutation log, removals, conflicts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, utcnow
from server.i18n import gettext as _
from server.sync.spec.collections import declare

CONFLICT_STATUSES = ("pending", "auto_resolved", "accepted", "rejected", "edited")


class SyncState(Base):
    """One row. ``last_rev`` is the last change number handed out; RevAllocator row-locks
    it (a no-op UPDATE) before reading it, until commit, so numbers follow commit order."""

    __tablename__ = "sync_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_rev: Mapped[int] = mapped_column(BigInteger, default=0)
    # The greatest change number of any purged tombstone or removal: a cursor below it may
    # have missed one and must reset (docs/sync-protocol.md, "Tombstones and the horizon").
    horizon_rev: Mapped[int] = mapped_column(BigInteger, default=0)


class SyncMutation(Base):
    """Every mutation the server has processed, with its outcome: the idempotency record."""

    __tablename__ = "sync_mutations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    device_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    collection: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[str] = mapped_column(String(40))
    op: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(12))
    code: Mapped[str | None] = mapped_column(String(40))
    message: Mapped[str | None] = mapped_column(String(300))
    rev: Mapped[int | None] = mapped_column(BigInteger)
    hlc: Mapped[str] = mapped_column(String(40))
    device_time: Mapped[datetime | None] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    # kept for rejected and conflicting mutations so nothing a device sent is lost
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    conflicts: Mapped[list[Any] | None] = mapped_column(JSON, default=None)
    # the rest of the stored outcome, so a replay answers exactly what the first try did
    held: Mapped[list[Any] | None] = mapped_column(JSON, default=None)
    field: Mapped[str | None] = mapped_column(String(40), default=None)
    filled: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)


class SyncRemoval(Base):
    """A record left an area (deleted, or moved out): devices holding it must drop it."""

    __tablename__ = "sync_removals"

    rev: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    collection: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[str] = mapped_column(String(40))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Conflict(Base):
    """Two values met for one field. Critical fields wait here for a supervisor."""

    __tablename__ = "conflicts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    rev: Mapped[int] = mapped_column(BigInteger, index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    collection: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[str] = mapped_column(String(40), index=True)
    field: Mapped[str] = mapped_column(String(40))
    critical: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), index=True)
    kept_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    kept_hlc: Mapped[str | None] = mapped_column(String(40))
    kept_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    proposed_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    proposed_hlc: Mapped[str] = mapped_column(String(40))
    proposed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    proposed_device: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id"))
    mutation_id: Mapped[uuid.UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    resolution_value: Mapped[Any] = mapped_column(JSON, nullable=True)


#: Owned by the engine itself: the conflicts a user's edits caused, in the user's area.
CONFLICTS = declare(
    "conflicts",
    Conflict,
    "server",
    "area_id collection record_id field critical status kept_value kept_hlc "
    "proposed_value proposed_hlc mutation_id created_at resolved_at resolution_value",
    lambda: _("conflicts"),
    read_scope="proposer",
)
