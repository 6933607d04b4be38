"""Wire types of the accounts API: what comes in (validated at the edge) and what goes out."""

from __future__ import annotations

from datetime import datetime

import msgspec


class TokenRequest(msgspec.Struct, frozen=True, kw_only=True):
    """``POST /api/auth/token``: a program signs in and gets a device token."""

    phone: str
    password: str
    device_name: str = ""


class DeviceCreate(msgspec.Struct, frozen=True, kw_only=True):
    """``POST /api/devices``: with a page session cookie, or with phone and password."""

    name: str = ""
    phone: str | None = None
    password: str | None = None


class UserOut(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    name: str
    role: str
    area_id: int
    area_name: str
    facility_id: int | None
    scope_version: int


class DeviceIssued(msgspec.Struct, frozen=True, kw_only=True):
    """The token is in this answer only: the server keeps its SHA-256."""

    device_id: str
    token: str
    user: UserOut


class DeviceOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    user_id: int
    user_name: str
    created_at: datetime
    revoked_at: datetime | None
    last_seen_at: datetime | None
    last_sync_at: datetime | None
    app_version: str | None
    pending_count: int | None


class DeviceList(msgspec.Struct, frozen=True, kw_only=True):
    devices: list[DeviceOut]
