"""The pure rules behind the security fixes, with parameter tables: the sign-in window, the
password policy, role levels, headers, idle limits, what a pull audit counts, the key file."""

from __future__ import annotations

import os
import stat
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from server.accounts.lifetimes import device_last_used, due_for_touch, idle_expired
from server.accounts.policy import password_problem, role_level_problem
from server.accounts.throttle import retry_after
from server.config import SETTINGS_DOC, Settings, load_or_create_secret, with_secret_key
from server.registry import REGISTRY
from server.security_headers import headers_for
from server.sync import cursor as cursors
from server.sync.pull_audit import cursor_kind, personal_counts
from server.sync.wire import Page, SyncResponse

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


# --- the sign-in window ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failures", "limit", "expected"),
    [
        ([], 3, None),
        ([ago(minutes=1), ago(minutes=2)], 3, None),  # under the limit
        ([ago(minutes=1), ago(minutes=2), ago(minutes=3)], 3, 12 * 60),  # oldest leaves in 12
        ([ago(minutes=3), ago(minutes=1), ago(minutes=2)], 3, 12 * 60),  # any order
        ([ago(minutes=16), ago(minutes=1), ago(minutes=2)], 3, None),  # one left the window
        ([ago(minutes=15), ago(minutes=1), ago(minutes=2)], 3, None),  # exactly at the edge
        # five failures, limit three: wait until only two are left in the window
        ([ago(minutes=m) for m in (1, 2, 3, 4, 5)], 3, 12 * 60),
        ([ago(seconds=899.5)] * 3, 3, 1),  # never less than a second
        ([ago(minutes=1)] * 10, 0, None),  # limit 0: off
        # a parallel attempt stamped a moment later counts too
        ([NOW + timedelta(seconds=1)] * 3, 3, 901),
    ],
)
def test_retry_after(failures: list[datetime], limit: int, expected: int | None) -> None:
    assert retry_after(failures, NOW, limit, WINDOW) == expected


# --- passwords and role levels -----------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "phone", "problem"),
    [
        ("grid-2021-safe", "13800138000", None),
        ("网格防控2021年春", "13800138000", None),  # Chinese letters count as letters
        ("Zx9-long-enough", "", None),
        ("demo1234", "", "at least 10"),
        ("short1", "", "at least 10"),
        ("x1" * 65, "", "at most 128"),
        ("onlyletters", "", "letters and digits"),
        ("1234567890123", "", "letters and digits"),
        ("me13800138000", "13800138000", "phone number"),
        ("a1380-0138-000", "138 0013 8000", "phone number"),
        ("Password123", "", "common"),
        ("WOAINI1314", "", "common"),
        ("aaaaaaaaaa1", "", "different characters"),
    ],
)
def test_password_policy(password: str, phone: str, problem: str | None) -> None:
    found = password_problem(password, phone)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found


@pytest.mark.parametrize(
    ("role", "level", "ok"),
    [
        ("admin", "city", True),
        ("admin", "county", True),
        ("admin", "town", False),
        ("admin", "village", False),
        ("admin", "grid", False),
        ("supervisor", "town", True),
        ("supervisor", "village", False),
        ("grid_worker", "grid", True),
        ("grid_worker", "village", False),
        ("sentinel", "village", True),
        ("township_health", "town", True),
        ("township_health", "county", False),
        ("mayor", "city", False),
    ],
)
def test_role_levels(role: str, level: str, ok: bool) -> None:
    assert (role_level_problem(role, level) is None) is ok


# --- headers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "has_cache_control", "csp", "no_store"),
    [
        ("/", False, True, True),
        ("/api/me", False, True, True),
        ("/api/sync", True, True, False),  # sets its own no-store
        ("/sw.js", True, True, False),  # sets no-cache itself
        ("/static/js/main.js", False, True, False),  # static files keep their caching
        ("/schema/swagger", False, False, True),  # the OpenAPI viewers load a CDN
        ("/healthz", False, True, True),
    ],
)
def test_headers_for(path: str, has_cache_control: bool, csp: bool, no_store: bool) -> None:
    headers = headers_for(path, has_cache_control)
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert ("Content-Security-Policy" in headers) is csp
    assert (headers.get("Cache-Control") == "no-store") is no_store
    assert "Strict-Transport-Security" not in headers


def test_headers_for_sends_hsts_when_asked() -> None:
    assert headers_for("/", False, 600)["Strict-Transport-Security"] == (
        "max-age=600; includeSubDomains"
    )


# --- lifetimes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last_used", "idle", "expired"),
    [
        (ago(hours=11), timedelta(hours=12), False),
        (ago(hours=12), timedelta(hours=12), True),
        (ago(days=89), timedelta(days=90), False),
        (ago(days=91), timedelta(days=90), True),
        (ago(days=900), timedelta(0), False),  # 0: off
    ],
)
def test_idle_expired(last_used: datetime, idle: timedelta, expired: bool) -> None:
    assert idle_expired(last_used, NOW, idle) is expired


def test_a_device_is_used_when_made_seen_or_synced() -> None:
    assert device_last_used(ago(days=100), None, None) == ago(days=100)
    assert device_last_used(ago(days=100), ago(days=3), ago(days=5)) == ago(days=3)
    assert device_last_used(ago(days=100), None, ago(days=5)) == ago(days=5)


def test_last_seen_is_written_at_most_once_a_minute() -> None:
    assert due_for_touch(None, NOW)
    assert not due_for_touch(ago(seconds=30), NOW)
    assert due_for_touch(ago(seconds=61), NOW)


# --- the pull audit ----------------------------------------------------------------------


def _response(**pages: int) -> SyncResponse:
    return SyncResponse(
        protocol=1,
        server_time=0,
        cursor="",
        changes={
            name: Page(cols=["id"], rows=[[str(i)] for i in range(n)]) for name, n in pages.items()
        },
    )


@pytest.mark.parametrize(
    ("pages", "counts"),
    [
        ({}, {}),
        ({"areas": 5, "facilities": 2, "policies": 1, "campaigns": 1}, {}),
        ({"daily_reports": 3}, {"daily_reports": 3}),  # notes may name people
        ({"areas": 5, "persons": 3, "households": 1}, {"households": 1, "persons": 3}),
        ({"fever_reports": 2, "conflicts": 1, "persons": 0}, {"conflicts": 1, "fever_reports": 2}),
        (
            {"measures": 1, "checks": 2, "visits": 3, "tests": 4, "fever_events": 5},
            {"checks": 2, "fever_events": 5, "measures": 1, "tests": 4, "visits": 3},
        ),
    ],
)
def test_personal_counts(pages: dict[str, int], counts: dict[str, int]) -> None:
    assert personal_counts(_response(**pages), REGISTRY) == counts


def test_cursor_kind() -> None:
    assert cursor_kind(None) == "snapshot"
    assert cursor_kind(cursors.SnapshotCursor(1, 10, (0, 1), 0)) == "snapshot"
    assert cursor_kind(cursors.FeedCursor(1, 10)) == "feed"


# --- the secret key and the new settings -------------------------------------------------


def test_a_missing_secret_key_is_made_once_and_kept_private(tmp_path: Path) -> None:
    settings = Settings(data_dir=str(tmp_path / "data"))
    first = with_secret_key(settings)
    key_file = tmp_path / "data" / "secret_key"
    assert len(first.secret_key) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert with_secret_key(settings).secret_key == first.secret_key  # the next start
    assert with_secret_key(Settings(data_dir=str(tmp_path / "other"))).secret_key != (
        first.secret_key
    )
    assert first.secret_key != "dev-only-secret-change-me"
    assert list((tmp_path / "data").iterdir()) == [key_file]  # no temporary file left


def test_a_given_secret_key_is_used_and_nothing_written(tmp_path: Path) -> None:
    settings = Settings.from_env({"WANGGE_SECRET_KEY": "s" * 40, "WANGGE_DATA_DIR": str(tmp_path)})
    assert with_secret_key(settings).secret_key == "s" * 40
    assert list(tmp_path.iterdir()) == []


def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    path = tmp_path / "secret_key"
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _i: load_or_create_secret(path), range(16)))
    assert len(keys) == 1


def test_a_truncated_key_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("short")
    with pytest.raises(ValueError, match="delete it"):
        load_or_create_secret(tmp_path / "secret_key")


def test_the_new_settings_are_read_and_documented() -> None:
    env = {
        "WANGGE_SIGNIN_WINDOW_SECONDS": "60",
        "WANGGE_SIGNIN_PHONE_LIMIT": "2",
        "WANGGE_SIGNIN_ADDRESS_LIMIT": "9",
        "WANGGE_SESSION_IDLE_HOURS": "1",
        "WANGGE_DEVICE_IDLE_DAYS": "7",
        "WANGGE_HSTS_SECONDS": "300",
        "WANGGE_DATA_DIR": "/var/lib/wangge",
    }
    settings = Settings.from_env(env)
    assert (
        settings.signin_window_seconds,
        settings.signin_phone_limit,
        settings.signin_address_limit,
        settings.session_idle_hours,
        settings.device_idle_days,
        settings.hsts_seconds,
        settings.data_dir,
    ) == (60, 2, 9, 1, 7, 300, "/var/lib/wangge")
    assert set(env) <= set(SETTINGS_DOC)
    assert os.fspath(Settings().data_dir) == "data"
