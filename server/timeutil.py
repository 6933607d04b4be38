"""Time helpers shared by the rule modules and the pages: aware-UTC checks and the local
calendar day.

Everything stored and compared is an aware UTC datetime. People, however, live by the
local calendar: a grid's "day" for the daily report, a quarantine's "第N天" and the
check slots are all counted in local time, the zone of the ``WANGGE_TIMEZONE`` setting
(``Settings.timezone`` in server/config.py), which every caller passes as `tz`.
Pure: stdlib only, no I/O beyond the system time-zone database.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

DEFAULT_FORMAT = "%Y-%m-%d %H:%M"


def require_aware(dt: datetime, name: str = "datetime") -> datetime:
    """Return `dt` converted to UTC; raise ValueError when it is naive.

    A naive datetime has no meaning here: a phone's local wall time and the server's UTC
    would silently differ by eight hours, exactly the kind of error the two-hour fever
    clock cannot afford.
    """
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got naive {dt.isoformat()}")
    return dt.astimezone(UTC)


def to_local(dt: datetime, tz: str) -> datetime:
    """The same instant on the wall clock of `tz`. Raises ValueError on a naive datetime."""
    return require_aware(dt).astimezone(ZoneInfo(tz))


def local_today(now_utc: datetime, tz: str) -> date:
    """The calendar date in `tz` at the instant `now_utc` (e.g. 16:00 UTC is tomorrow in China)."""
    return to_local(now_utc, tz).date()


def format_local(dt: datetime, tz: str, fmt: str = DEFAULT_FORMAT) -> str:
    """Format an aware datetime as local wall time, for pages and exports."""
    return to_local(dt, tz).strftime(fmt)
