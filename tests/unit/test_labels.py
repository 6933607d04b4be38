"""The one label table (server/labels.py): every code of every domain enum and every synced
collection has a name in both languages, and a plain string finds the right one."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path

import pytest

from server import i18n
from server.labels import COLLECTION, GROUPS, label, labels
from server.people.values import CertificateState
from server.registry import REGISTRY
from server.reports.values import ReportStatus

ROOT = Path(__file__).resolve().parents[2]


def domain_enums() -> list[type[StrEnum]]:
    """Every StrEnum defined in a server/<domain>/values.py."""
    found: list[type[StrEnum]] = []
    for path in sorted((ROOT / "server").glob("*/values.py")):
        module = importlib.import_module(f"server.{path.parent.name}.values")
        found += [
            obj
            for _name, obj in inspect.getmembers(module, inspect.isclass)
            if issubclass(obj, StrEnum) and obj.__module__ == module.__name__
        ]
    return found


@pytest.fixture(params=i18n.LOCALES)
def locale(request: pytest.FixtureRequest) -> Iterator[str]:
    i18n.set_locale(request.param)
    try:
        yield request.param
    finally:
        i18n.set_locale(i18n.DEFAULT_LOCALE)


def test_every_domain_enum_has_a_group() -> None:
    enums = domain_enums()
    assert len(enums) >= 14  # the scan itself works
    assert set(enums) == set(GROUPS.values())


@pytest.mark.usefixtures("locale")
def test_every_code_has_a_label() -> None:
    table = labels()
    for group, enum in GROUPS.items():
        assert set(table[group]) == {code.value for code in enum}, group
        assert all(text.strip() for text in table[group].values()), group


def test_every_code_is_translated_into_chinese() -> None:
    i18n.set_locale("zh_CN")
    try:
        for group, texts in labels().items():
            # msgids are English words; a Chinese label has at least one CJK character
            untranslated = [
                t for t in texts.values() if not any("\u4e00" <= c <= "\u9fff" for c in t)
            ]
            assert not untranslated, (group, untranslated)
    finally:
        i18n.set_locale(i18n.DEFAULT_LOCALE)


@pytest.mark.usefixtures("locale")
def test_every_collection_has_a_name() -> None:
    names = labels()[COLLECTION]
    assert {c.name for c in REGISTRY.ordered} <= set(names)
    assert all(label(c.name) == names[c.name] for c in REGISTRY.ordered)


@pytest.mark.usefixtures("locale")
def test_a_plain_code_means_one_thing_but_for_the_listed_ones() -> None:
    """A code in two groups has one label, else a plain string would show the wrong word.

    "missing" is the only exception: a page's daily report status (found first) and the
    field app's certificate state (which asks by group)."""
    seen: dict[str, set[str]] = {}
    for texts in labels().values():
        for code, text in texts.items():
            seen.setdefault(code, set()).add(text)
    assert {code for code, texts in seen.items() if len(texts) > 1} == {"missing"}
    assert label("missing") == label(ReportStatus.MISSING) == label("missing", "report_status")
    assert label(CertificateState.MISSING) == label("missing", "certificate")
    assert label(CertificateState.MISSING) != label(ReportStatus.MISSING)


def test_collection_names_are_not_codes() -> None:
    codes = {code.value for enum in GROUPS.values() for code in enum}
    assert not codes & set(labels()[COLLECTION])


@pytest.mark.parametrize(
    ("code", "group", "zh"),
    [
        ("grid_worker", None, "网格员"),
        ("returnee_abroad", None, "返乡人员（境外）"),
        ("households", None, "住户"),
        ("acknowledged", "fever_event", "已接收"),
        (None, None, ""),
        ("no_such_code", None, "no_such_code"),
    ],
)
def test_label(code: str | None, group: str | None, zh: str) -> None:
    assert label(code, group) == zh


def test_label_follows_the_request_locale(locale: str) -> None:
    assert label("grid_worker") == ("网格员" if locale == "zh_CN" else "Grid worker")
