"""Tables for server/timeutil.py, and a guard that the rule modules stay pure."""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from server.config import DEFAULT_TIMEZONE, Settings
from server.timeutil import format_local, local_today, require_aware, to_local

ROOT = Path(__file__).resolve().parents[2]
#: the domains whose codes are StrEnums in server/<domain>/values.py
VALUE_DOMAINS = ("accounts", "areas", "people", "quarantine", "visits", "fever", "reports")
PURE_MODULES = [
    "server/timeutil.py",
    "server/quarantine/rules.py",
    "server/people/rules.py",
    "server/fever/rules.py",
    "server/visits/rules.py",
    "server/reports/rules.py",
    *(f"server/{domain}/values.py" for domain in VALUE_DOMAINS),
]
ALLOWED_THIRD_PARTY = {"msgspec"}
ALLOWED_LOCAL = {
    "server.timeutil",
    "server.masking",  # pure: how personal numbers show (people.rules re-exports it)
    *(f"server.{domain}.values" for domain in VALUE_DOMAINS),
}


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def test_default_tz() -> None:
    # China Standard Time: the default setting is the zone the seed's rules were written for
    assert Settings.from_env({}).timezone == DEFAULT_TIMEZONE
    assert to_local(utc(2021, 7, 1), DEFAULT_TIMEZONE).utcoffset() == timedelta(hours=8)
    assert to_local(utc(2021, 1, 1), DEFAULT_TIMEZONE).utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize(
    ("now", "tz", "expected"),
    [
        (utc(2021, 11, 1, 15, 59, 59), DEFAULT_TIMEZONE, date(2021, 11, 1)),
        (utc(2021, 11, 1, 16, 0), DEFAULT_TIMEZONE, date(2021, 11, 2)),  # local midnight
        (utc(2021, 11, 1, 0, 0), DEFAULT_TIMEZONE, date(2021, 11, 1)),
        (utc(2021, 12, 31, 16, 0), DEFAULT_TIMEZONE, date(2022, 1, 1)),
        (utc(2021, 11, 1, 16, 0), "UTC", date(2021, 11, 1)),
        (utc(2021, 11, 1, 3, 0), "America/New_York", date(2021, 10, 31)),
    ],
)
def test_local_today(now: datetime, tz: str, expected: date) -> None:
    assert local_today(now, tz) == expected


def test_the_zone_is_always_given() -> None:
    # No default zone here: the one default is the setting, which callers pass.
    with pytest.raises(TypeError):
        local_today(utc(2021, 11, 1, 16, 0))  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("dt", "tz", "expected"),
    [
        (utc(2021, 11, 1, 2, 30), DEFAULT_TIMEZONE, "2021-11-01 10:30"),
        (utc(2021, 11, 1, 16, 5), DEFAULT_TIMEZONE, "2021-11-02 00:05"),
        (utc(2021, 11, 1, 2, 30), "UTC", "2021-11-01 02:30"),
        (
            datetime(2021, 11, 1, 10, 30, tzinfo=timezone(timedelta(hours=8))),
            "UTC",
            "2021-11-01 02:30",
        ),
    ],
)
def test_format_local(dt: datetime, tz: str, expected: str) -> None:
    assert format_local(dt, tz) == expected


def test_format_local_custom_format() -> None:
    assert (
        format_local(utc(2021, 11, 1, 2, 30), DEFAULT_TIMEZONE, fmt="%m月%d日 %H时")
        == "11月01日 10时"
    )


def test_to_local_keeps_the_instant() -> None:
    dt = utc(2021, 11, 1, 2, 30)
    local = to_local(dt, DEFAULT_TIMEZONE)
    assert local == dt
    assert local.utcoffset() == timedelta(hours=8)


def test_require_aware_converts_to_utc() -> None:
    beijing = datetime(2021, 11, 1, 10, 30, tzinfo=timezone(timedelta(hours=8)))
    assert require_aware(beijing).tzinfo is UTC
    assert require_aware(beijing) == utc(2021, 11, 1, 2, 30)


@pytest.mark.parametrize(
    "call",
    [
        lambda: require_aware(datetime(2021, 11, 1), "seen_at"),
        lambda: to_local(datetime(2021, 11, 1), DEFAULT_TIMEZONE),
        lambda: local_today(datetime(2021, 11, 1), DEFAULT_TIMEZONE),
        lambda: format_local(datetime(2021, 11, 1), DEFAULT_TIMEZONE),
    ],
)
def test_naive_datetimes_are_refused(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


def _imported_roots(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", PURE_MODULES)
def test_rule_modules_import_only_stdlib_and_msgspec(module: str) -> None:
    """The rules are pure: no SQLAlchemy, no Litestar, no server module but timeutil and the
    domains' values."""
    imported = _imported_roots(ROOT / module)
    impure = {
        name
        for name in imported
        if name not in ALLOWED_LOCAL
        and name.split(".")[0] not in sys.stdlib_module_names | ALLOWED_THIRD_PARTY
    }
    assert not impure, f"{module} imports {sorted(impure)}"


def test_the_default_zone_is_written_once() -> None:
    """server/config.py holds it; pages pass the setting, the field app reads it from the
    shell (data-tz), tests and benchmarks import DEFAULT_TIMEZONE."""
    sources = [
        *ROOT.joinpath("server").rglob("*.py"),
        *ROOT.joinpath("web").rglob("*.js"),
        *ROOT.joinpath("web").rglob("*.html"),
        *(p for d in ("tests", "bench", "devkit") for p in ROOT.joinpath(d).rglob("*.py")),
    ]
    written = [
        p.relative_to(ROOT).as_posix()
        for p in sources
        if DEFAULT_TIMEZONE in p.read_text(encoding="utf-8")
    ]
    assert written == ["server/config.py"]
