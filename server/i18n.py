"""Translations: English msgids, a zh_CN catalog (the default language) and an en catalog.

The catalogs are read from their .po files when a language is first used (no build step;
every ``*.po`` of a locale is merged, see :func:`translations`). The request's locale lives
in a context variable set by :func:`set_locale`: from the language cookie for every
request (``_locale_from_cookie`` in server/app.py), then from the user's locale for API
and sync calls (``identify`` in server/accounts/auth.py).
Templates call ``_()`` / ``ngettext()``, which read it.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
LOCALE_COOKIE = "lang"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
#: the value of <html lang> for each locale
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}

_current: ContextVar[str] = ContextVar("wangge_locale", default=DEFAULT_LOCALE)


@cache
def translations(locale: str) -> NullTranslations:
    """Every ``*.po`` of the locale merged (pages and the field app keep separate files)."""
    merged: NullTranslations = NullTranslations()
    folder = LOCALE_DIR / locale / "LC_MESSAGES"
    for po in sorted(folder.glob("*.po")):
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        buf = io.BytesIO()
        write_mo(buf, catalog)
        buf.seek(0)
        loaded = Translations(fp=buf)
        if isinstance(merged, Translations):
            merged.merge(loaded)
        else:
            merged = loaded
    return merged


def normalise(value: str | None) -> str | None:
    if not value:
        return None
    value = value.replace("-", "_")
    if value in LOCALES:
        return value
    if value.lower().startswith("zh"):
        return "zh_CN"
    if value.lower().startswith("en"):
        return "en"
    return None


def pick_locale(cookie: str | None) -> str:
    """The language cookie if set, else Chinese: phones in the field send all sorts of
    Accept-Language headers, and the product is Chinese first."""
    return normalise(cookie) or DEFAULT_LOCALE


def set_locale(locale: str) -> None:
    _current.set(locale if locale in LOCALES else DEFAULT_LOCALE)


def get_locale() -> str:
    return _current.get()


@contextmanager
def using_locale(locale: str) -> Iterator[None]:
    """Run a block in another language (building a table of labels for it)."""
    token = _current.set(locale if locale in LOCALES else DEFAULT_LOCALE)
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str, **variables: Any) -> str:
    text = translations(get_locale()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
    text = translations(get_locale()).ngettext(singular, plural, n)
    variables.setdefault("num", n)
    return text % variables


_ = gettext
