"""Settings read from an injected environment mapping (``Settings.from_env``); nothing is
read at import time."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/wangge.db"
SECRET_KEY_FILE = "secret_key"
#: the zone of "today" and of the times people read; tests and benchmarks use it too
DEFAULT_TIMEZONE = "Asia/Shanghai"

#: Every setting, its environment variable and what it means. The README's settings table
#: is tested against this one (tests/unit/test_docs.py), so an undocumented setting fails.
SETTINGS_DOC: dict[str, str] = {
    "WANGGE_DATABASE_URL": "SQLAlchemy URL; sqlite+aiosqlite:///path or postgresql+asyncpg://...",
    "WANGGE_SECRET_KEY": (
        "secret used to sign page forms (CSRF); when unset, a random one is made on first "
        "run and kept in WANGGE_DATA_DIR/secret_key (mode 0600)"
    ),
    "WANGGE_DATA_DIR": "folder for the generated secret key (default data)",
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
    "WANGGE_SIGNIN_WINDOW_SECONDS": "window in which failed sign-ins are counted (default 900)",
    "WANGGE_SIGNIN_PHONE_LIMIT": "failed sign-ins of one phone in the window before 429 (5)",
    "WANGGE_SIGNIN_ADDRESS_LIMIT": "failed sign-ins from one client address in the window (30)",
    "WANGGE_SESSION_IDLE_HOURS": "a page session unused this long ends (default 12)",
    "WANGGE_DEVICE_IDLE_DAYS": "a device token unused this long stops working (default 90)",
    "WANGGE_HSTS_SECONDS": "max-age of Strict-Transport-Security; 0 (default) sends none",
    "WANGGE_DB_POOL_SIZE": "PostgreSQL connections each server process keeps open (default 20)",
    "WANGGE_DB_POOL_OVERFLOW": "extra PostgreSQL connections a process may open in a burst (20)",
    "WANGGE_SYNC_WRITERS": "PostgreSQL: writing syncs one process runs at once (default 2)",
}


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str = DEFAULT_DATABASE_URL
    # "" means "not set": create_app takes the one kept in data_dir (see with_secret_key)
    secret_key: str = ""
    data_dir: str = "data"
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
    signin_window_seconds: int = 15 * 60
    signin_phone_limit: int = 5
    signin_address_limit: int = 30
    session_idle_hours: int = 12
    device_idle_days: int = 90
    hsts_seconds: int = 0

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
            secret_key=env.get("WANGGE_SECRET_KEY", defaults.secret_key).strip(),
            data_dir=env.get("WANGGE_DATA_DIR", defaults.data_dir),
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
            signin_window_seconds=number(
                "WANGGE_SIGNIN_WINDOW_SECONDS", defaults.signin_window_seconds
            ),
            signin_phone_limit=number("WANGGE_SIGNIN_PHONE_LIMIT", defaults.signin_phone_limit),
            signin_address_limit=number(
                "WANGGE_SIGNIN_ADDRESS_LIMIT", defaults.signin_address_limit
            ),
            session_idle_hours=number("WANGGE_SESSION_IDLE_HOURS", defaults.session_idle_hours),
            device_idle_days=number("WANGGE_DEVICE_IDLE_DAYS", defaults.device_idle_days),
            hsts_seconds=number("WANGGE_HSTS_SECONDS", defaults.hsts_seconds),
        )


def with_secret_key(settings: Settings) -> Settings:
    """The settings with a secret key: the one given, else the one kept in the data folder
    (made on first run). A fixed default would be public and let anyone forge form tokens."""
    if settings.secret_key:
        return settings
    key = load_or_create_secret(Path(settings.data_dir) / SECRET_KEY_FILE)
    return msgspec.structs.replace(settings, secret_key=key)


def load_or_create_secret(path: Path) -> str:
    """Read the key file, or create it readable by its owner only.

    Several server processes may start at once: the key is written to a private temporary
    file and linked into place, so a process either creates the whole file or finds the
    one another process made, never a half-written one.
    """
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_urlsafe(48) + "\n")
        with contextlib.suppress(FileExistsError):  # another process was first: use its key
            os.link(tmp, path)
    finally:
        os.unlink(tmp)
    return _read_key(path)


def _read_key(path: Path) -> str:
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise ValueError(f"{path} holds no usable secret key: delete it to make a new one")
    return key
