"""Settings read from an injected environment mapping (``Settings.from_env``); nothing is
read at import time."""

from __future__ import annotations

import os
from collections.abc import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/wangge.db"
#: the zone of "today" and of the times people read; tests and benchmarks use it too
DEFAULT_TIMEZONE = "Asia/Shanghai"

#: Every setting, its environment variable and what it means. The README's settings table
#: is tested against this one (tests/unit/test_docs.py), so an undocumented setting fails.
SETTINGS_DOC: dict[str, str] = {
    "WANGGE_DATABASE_URL": "SQLAlchemy URL; sqlite+aiosqlite:///path or postgresql+asyncpg://...",
    "WANGGE_SECRET_KEY": "secret used to sign page forms (CSRF); set it in production",
    "WANGGE_TIMEZONE": f"time zone used to show times and to decide 'today' ({DEFAULT_TIMEZONE})",
    "WANGGE_SECURE_COOKIES": "1 to mark cookies Secure (default 1; 0 only for plain-http dev)",
    "WANGGE_DEBUG": "1 for Litestar debug mode (never in production)",
    "WANGGE_MAX_BODY_BYTES": "largest accepted request body, compressed or not (bytes)",
    "WANGGE_SYNC_PAGE_SIZE": "most records one sync response carries",
    "WANGGE_TOMBSTONE_DAYS": "days a deletion is kept before a cursor older than it must reset",
    "WANGGE_MAX_CLOCK_LEAD_MS": "how far ahead of the server a device clock may stamp a change",
    "WANGGE_APP_BUILD": "extra text mixed into the field app's cache version (forces an update)",
    "WANGGE_FEVER_ACK_MINUTES": "minutes a fever report may wait for the township's "
    "acknowledgement after it reached the server before it is escalated (default 30)",
    "WANGGE_FEVER_SAMPLE_HOURS": "hours an acknowledged fever report may wait for its sample "
    "before it is escalated (default 2)",
    "WANGGE_FEVER_RESULT_HOURS": "hours a sample sent to the county lab may wait for its result "
    "before it is escalated (default 24)",
}


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = "dev-only-secret-change-me"
    timezone: str = DEFAULT_TIMEZONE
    secure_cookies: bool = True
    debug: bool = False
    max_body_bytes: int = 2 * 1024 * 1024
    sync_page_size: int = 2000
    tombstone_days: int = 30
    max_clock_lead_ms: int = 5 * 60 * 1000
    app_build: str = ""
    fever_ack_minutes: int = 30
    fever_sample_hours: int = 2
    fever_result_hours: int = 24

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        defaults = cls()

        def flag(name: str, default: bool) -> bool:
            raw = env.get(name)
            return default if raw is None else raw.strip().lower() in {"1", "true", "yes", "on"}

        def number(name: str, default: int) -> int:
            raw = env.get(name)
            if raw is None or not raw.strip():
                return default
            try:
                return int(raw)
            except ValueError as exc:
                raise ValueError(f"{name} must be an integer, got {raw!r}") from exc

        def zone(name: str, default: str) -> str:
            # Checked here: a misspelt zone would otherwise fail every page that shows a time.
            raw = env.get(name, "").strip()
            if not raw:
                return default
            try:
                ZoneInfo(raw)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"{name} must be a time zone like {default}, got {raw!r}") from exc
            return raw

        return cls(
            database_url=env.get("WANGGE_DATABASE_URL", DEFAULT_DATABASE_URL),
            secret_key=env.get("WANGGE_SECRET_KEY", defaults.secret_key),
            timezone=zone("WANGGE_TIMEZONE", defaults.timezone),
            secure_cookies=flag("WANGGE_SECURE_COOKIES", True),
            debug=flag("WANGGE_DEBUG", False),
            max_body_bytes=number("WANGGE_MAX_BODY_BYTES", defaults.max_body_bytes),
            sync_page_size=number("WANGGE_SYNC_PAGE_SIZE", defaults.sync_page_size),
            tombstone_days=number("WANGGE_TOMBSTONE_DAYS", defaults.tombstone_days),
            max_clock_lead_ms=number("WANGGE_MAX_CLOCK_LEAD_MS", defaults.max_clock_lead_ms),
            app_build=env.get("WANGGE_APP_BUILD", ""),
            fever_ack_minutes=number("WANGGE_FEVER_ACK_MINUTES", defaults.fever_ack_minutes),
            fever_sample_hours=number("WANGGE_FEVER_SAMPLE_HOURS", defaults.fever_sample_hours),
            fever_result_hours=number("WANGGE_FEVER_RESULT_HOURS", defaults.fever_result_hours),
        )
