"""Jinja environment set-up: filters, globals and translations shared by every page."""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import quote

from jinja2 import pass_context
from jinja2.runtime import Context
from litestar.plugins.jinja import JinjaTemplateEngine
from markupsafe import Markup, escape

from server import __version__, i18n
from server.accounts.auth import CSRF_FIELD, page_csrf_token
from server.config import Settings
from server.labels import GROUPS, label
from server.people.rules import mask_id_number, mask_phone
from server.timeutil import format_local
from server.web.static import static_url


def configure_templates(engine: JinjaTemplateEngine, settings: Settings) -> None:
    env = engine.engine
    env.add_extension("jinja2.ext.i18n")
    # newstyle gettext: _("Hello %(name)s", name=x) autoescapes and formats in one call.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n.gettext, ngettext=i18n.ngettext, newstyle=True
    )
    env.globals["app_version"] = __version__
    # /static/<file>?v=<content hash>: cached for a year, a changed file gets a new URL
    env.globals["static_url"] = static_url
    env.globals["timezone"] = settings.timezone
    env.globals["get_locale"] = i18n.get_locale
    env.globals["html_lang"] = lambda: i18n.HTML_LANG[i18n.get_locale()]

    def localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return "" if value is None else format_local(value, settings.timezone, fmt)

    def isodate(value: date | None) -> str:
        return "" if value is None else value.isoformat()

    @pass_context
    def csrf_token(context: Context) -> str:
        request = context.get("request")
        return "" if request is None else page_csrf_token(request, settings.secret_key)

    @pass_context
    def csrf_field(context: Context) -> Markup:
        """``{{ csrf_field() }}`` in every POST form of a signed-in page."""
        token = escape(csrf_token(context))
        return Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{token}">')

    @pass_context
    def lang_url(context: Context, code: str) -> str:
        """The language switch for this page: it comes back here afterwards."""
        request = context.get("request")
        here = "/"
        if request is not None:
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return f"/lang/{code}?next={quote(here, safe='')}"

    env.filters["localtime"] = localtime
    env.filters["isodate"] = isodate
    env.filters["mask_phone"] = mask_phone
    env.filters["mask_id"] = mask_id_number
    env.filters["label"] = label
    env.globals["csrf_token"] = csrf_token
    env.globals["csrf_field"] = csrf_field
    env.globals["lang_url"] = lang_url
    env.globals["locales"] = i18n.LOCALES
    # the code enums by class name, for pages that list every code: {% for r in Role %}
    env.globals.update({enum.__name__: enum for enum in GROUPS.values()})


__all__ = ["configure_templates"]
