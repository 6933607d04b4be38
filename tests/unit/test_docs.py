"""The public surface is documented: every setting appears in the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.config import SETTINGS_DOC, Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", sorted(SETTINGS_DOC))
def test_every_setting_is_in_the_readme(name: str) -> None:
    assert name in (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_settings_field_has_an_environment_variable() -> None:
    documented = {name.removeprefix("WANGGE_").lower() for name in SETTINGS_DOC}
    assert set(Settings.__struct_fields__) <= documented


def test_settings_reject_a_non_integer() -> None:
    with pytest.raises(ValueError, match="WANGGE_SYNC_PAGE_SIZE"):
        Settings.from_env({"WANGGE_SYNC_PAGE_SIZE": "many"})


def test_settings_defaults_to_sqlite() -> None:
    assert Settings.from_env({}).database_url.startswith("sqlite+aiosqlite:///")


def test_settings_from_an_empty_environment_are_the_defaults() -> None:
    # Struct class attributes are descriptors, not defaults: this pins the values read.
    assert Settings.from_env({}) == Settings()
    assert Settings.from_env({}).max_body_bytes == 2 * 1024 * 1024


@pytest.mark.parametrize("value", ["Asia/Shanghia", "../etc/passwd", "UTC+8"])
def test_settings_reject_an_unknown_time_zone(value: str) -> None:
    with pytest.raises(ValueError, match="WANGGE_TIMEZONE"):
        Settings.from_env({"WANGGE_TIMEZONE": value})


def test_settings_take_a_time_zone() -> None:
    assert Settings.from_env({"WANGGE_TIMEZONE": " Europe/Berlin "}).timezone == "Europe/Berlin"
