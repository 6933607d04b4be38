"""The stored codes of the accounts domain. Pure; stdlib only (server/labels.py names them)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """``users.role``: what a user may see and change (docs/roles.md)."""

    GRID_WORKER = "grid_worker"
    SENTINEL = "sentinel"
    TOWNSHIP_HEALTH = "township_health"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
