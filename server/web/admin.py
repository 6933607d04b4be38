"""The administration pages' routes, one module per purpose (admin_*.py)."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from server.web import admin_import

ROUTES: list[ControllerRouterHandler] = [*admin_import.ROUTES]
