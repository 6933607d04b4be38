"""Jinja environment set-up: filters, globals and translations shared by every page."""

from __future__ import annotations

from litestar.plugins.jinja import JinjaTemplateEngine

from server import __version__
from server.config import Settings


def configure_templates(engine: JinjaTemplateEngine, settings: Settings) -> None:
    env = engine.engine
    env.globals["app_version"] = __version__
    env.globals["timezone"] = settings.timezone
