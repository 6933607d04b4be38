"""Users, their devices (bearer tokens for the sync API) and page sessions."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, utcnow


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(20))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str] = mapped_column(String(8), default="zh_CN")
    # Set by an admin's password reset: the one-time password only opens the page that
    # changes it (server/web/admin_users.py).
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    # Bumped whenever the user's area or role changes: a device whose cursor was made
    # under another scope version is told to reset (see docs/sync-protocol.md).
    scope_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Device(Base):
    __tablename__ = "devices"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    last_seen_at: Mapped[datetime | None] = mapped_column(default=None)
    last_sync_at: Mapped[datetime | None] = mapped_column(default=None)
    last_cursor: Mapped[int | None] = mapped_column(BigInteger, default=None)
    app_version: Mapped[str | None] = mapped_column(String(32), default=None)
    schema_version: Mapped[int | None] = mapped_column(Integer, default=None)
    pending_count: Mapped[int | None] = mapped_column(Integer, default=None)
    # device wall clock minus server clock at its last sync, in milliseconds
    clock_offset_ms: Mapped[int | None] = mapped_column(BigInteger, default=None)


class WebSession(Base):
    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    # the idle timeout counts from here (bumped at most once a minute, not on every page)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class SignInFailure(Base):
    """A sign-in attempt that has not succeeded (server/accounts/throttle.py).

    Written when an attempt starts and deleted when it succeeds, so attempts still being
    verified count too: a burst of parallel guesses cannot all slip past the limit.
    Phone and client address are kept as keyed hashes, not in clear.
    """

    __tablename__ = "sign_in_failures"
    __table_args__ = (
        Index("ix_sign_in_failures_phone_key_at", "phone_key", "at"),
        Index("ix_sign_in_failures_address_key_at", "address_key", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    phone_key: Mapped[str] = mapped_column(String(32))
    address_key: Mapped[str] = mapped_column(String(32))
