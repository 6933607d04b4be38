"""Routes (filled in by the web work)."""

from litestar.types import ControllerRouterHandler

ROUTES: list[ControllerRouterHandler] = []
