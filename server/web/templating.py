"""Jinja environment set-up: filters, globals and translations shared by every page."""

from __future__ import annotations

from litestar.plugins.jinja import JinjaTemplateEngine

from server import __version__, i18n
from server.config import Settings


def configure_templates(engine: JinjaTemplateEngine, settings: Settings) -> None:
    env = engine.engine
    env.add_extension("jinja2.ext.i18n")
    # newstyle gettext: _("Hello %(name)s", name=x) autoescapes and formats in one call.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n.gettext, ngettext=i18n.ngettext, newstyle=True
    )
    env.globals["app_version"] = __version__
    env.globals["timezone"] = settings.timezone
    env.globals["get_locale"] = i18n.get_locale
    env.globals["html_lang"] = lambda: i18n.HTML_LANG[i18n.get_locale()]
