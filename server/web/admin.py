"""The administration pages' routes, one module per purpose (admin_*.py)."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from server.web import (
    account,
    admin_areas,
    admin_doorplates,
    admin_import,
    admin_reference,
    admin_users,
)

ROUTES: list[ControllerRouterHandler] = [
    *admin_import.ROUTES,
    *admin_users.ROUTES,
    *admin_areas.ROUTES,
    *admin_reference.ROUTES,
    *admin_doorplates.ROUTES,
    *account.ROUTES,
]
