"""Routes of the offline field app (filled in by the PWA work)."""

from litestar.types import ControllerRouterHandler

ROUTES: list[ControllerRouterHandler] = []
