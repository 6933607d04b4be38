"""Routes (filled in by the sync work)."""

from litestar.types import ControllerRouterHandler

ROUTES: list[ControllerRouterHandler] = []
