"""Every string a user sees has a Chinese translation, and the language machinery works.

The msgids are extracted the way Babel would for a release (jinja2's extractor for the
templates, Python's for server/), so a string added anywhere without its zh_CN entry
fails here, whoever added it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from server import i18n

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}


def _walk_into(path: str) -> bool:
    # Babel's default skips "_"-prefixed folders, which would hide templates/_partials.
    name = os.path.basename(path)
    return not name.startswith(".") and name != "__pycache__"


def _extract(folder: Path, method_map: list[tuple[str, str]]) -> Iterator[tuple[str, str, int]]:
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(folder),
        method_map=method_map,
        keywords=KEYWORDS,
        comment_tags=(),
        directory_filter=_walk_into,
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            yield msgid, f"{folder.name}/{filename}", lineno


def extracted() -> dict[str, str]:
    """msgid -> the first place it is used."""
    found: dict[str, str] = {}
    sources = [
        (ROOT / "web" / "templates", [("**.html", "jinja2.ext.babel_extract")]),
        (ROOT / "server", [("**.py", "python")]),
    ]
    for folder, method_map in sources:
        for msgid, where, line in _extract(folder, method_map):
            found.setdefault(msgid, f"{where}:{line}")
    return found


def merged_catalog(locale: str) -> dict[str, str]:
    """Every .po of a locale, merged as server/i18n.py merges them (msgid -> msgstr)."""
    merged: dict[str, str] = {}
    for po in sorted((i18n.LOCALE_DIR / locale / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        for message in catalog:
            if not message.id:
                continue
            msgid = str(message.id[0] if isinstance(message.id, tuple | list) else message.id)
            raw = message.string
            text = str(raw[0] if isinstance(raw, tuple | list) else raw or "")
            if text.strip():
                merged[msgid] = text
    return merged


def test_extraction_finds_the_pages_strings() -> None:
    # Guards the test itself: an extractor that finds nothing would pass vacuously.
    found = extracted()
    assert "Sign in" in found
    assert "Wrong phone number or password." in found
    assert len(found) > 50


def test_every_msgid_has_a_chinese_translation() -> None:
    zh = merged_catalog("zh_CN")
    missing = {msgid: where for msgid, where in extracted().items() if msgid not in zh}
    assert not missing, "msgids without a zh_CN msgstr:\n" + "\n".join(
        f"  {where}: {msgid!r}" for msgid, where in sorted(missing.items(), key=lambda kv: kv[1])
    )


def test_translations_keep_their_placeholders() -> None:
    # A msgstr that drops or renames %(name)s breaks at render time (KeyError / a raw "%").
    zh = merged_catalog("zh_CN")
    placeholder = re.compile(r"%\((\w+)\)s")
    broken = {
        msgid: text
        for msgid, text in zh.items()
        if set(placeholder.findall(msgid)) != set(placeholder.findall(text))
    }
    assert not broken


@pytest.mark.parametrize(
    ("cookie", "expected"),
    [(None, "zh_CN"), ("en", "en"), ("zh-CN", "zh_CN"), ("fr", "zh_CN"), ("", "zh_CN")],
)
def test_pick_locale(cookie: str | None, expected: str) -> None:
    assert i18n.pick_locale(cookie) == expected


def test_gettext_follows_the_request_locale() -> None:
    i18n.set_locale("zh_CN")
    try:
        assert i18n.gettext("Sign in") == "登录"
        i18n.set_locale("en")
        assert i18n.gettext("Sign in") == "Sign in"
    finally:
        i18n.set_locale(i18n.DEFAULT_LOCALE)
