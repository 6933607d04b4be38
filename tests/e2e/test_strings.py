"""The app's words live in the shell (web/templates/app/_strings.html): every key the
scripts ask for exists there, and every Chinese translation keeps its {placeholders}."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
JS = ROOT / "web" / "static" / "js"
STRINGS = ROOT / "web" / "templates" / "app" / "_strings.html"
APP_PO = ROOT / "server" / "locale" / "zh_CN" / "LC_MESSAGES" / "app.po"


def _keys_used() -> set[str]:
    used: set[str] = set()
    for path in JS.rglob("*.js"):
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"\bt\(\s*\"([a-z_]+)\"", text))
        # t(`state_${state}`) and t(`persist_${answer}`): every suffix must exist
        for prefix in re.findall(r"\bt\(`([a-z_]+)\$\{", text):
            used.add(prefix + "*")
    return used


def test_every_key_the_scripts_use_is_in_the_shell() -> None:
    defined = set(re.findall(r'^\s*"([a-z_]+)": _\(', STRINGS.read_text(encoding="utf-8"), re.M))
    used = _keys_used()
    assert len(used) > 40  # the scan itself works
    missing = set()
    for key in used:
        if key.endswith("*"):
            if not any(d.startswith(key[:-1]) for d in defined):
                missing.add(key)
        elif key not in defined:
            missing.add(key)
    assert not missing
    for suffix in ("idle", "syncing", "offline", "error", "auth", "upgrade"):
        assert f"state_{suffix}" in defined
    for suffix in ("granted", "denied", "unsupported"):
        assert f"persist_{suffix}" in defined


def test_translations_keep_their_placeholders() -> None:
    with APP_PO.open("rb") as fh:
        catalog = read_po(fh, locale="zh_CN")
    broken = {}
    for message in catalog:
        if not message.id:
            continue
        wanted = set(re.findall(r"\{(\w+)\}", str(message.id)))
        if wanted != set(re.findall(r"\{(\w+)\}", str(message.string))):
            broken[message.id] = message.string
    assert not broken
