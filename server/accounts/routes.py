"""Routes (filled in by the accounts work)."""

from litestar.types import ControllerRouterHandler

ROUTES: list[ControllerRouterHandler] = []
