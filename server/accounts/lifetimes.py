"""How long a page session and a device token live without being used.

- A page session ends after ``WANGGE_SESSION_IDLE_HOURS`` (12) without a request, and in
  any case ``SESSION_DAYS`` (14) after sign-in.
- A device token stops working after ``WANGGE_DEVICE_IDLE_DAYS`` (90) without a sync or
  an API call: ``401 device_expired``; the app signs in again and keeps its outbox.

The limits come from the settings of the app serving the request: ``create_app`` calls
:func:`use` before every request (as it sets the request's language), because the token
checks run deep in the sync engine, which is not handed the settings.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

from server.config import Settings

#: last-seen times are written at most this often, not on every request
TOUCH_EVERY = timedelta(minutes=1)
DEVICE_TOUCH_EVERY = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Lifetimes:
    session_idle: timedelta
    device_idle: timedelta

    @classmethod
    def of(cls, settings: Settings) -> Lifetimes:
        return cls(
            session_idle=timedelta(hours=settings.session_idle_hours),
            device_idle=timedelta(days=settings.device_idle_days),
        )


_current: ContextVar[Lifetimes | None] = ContextVar("lifetimes", default=None)


def use(settings: Settings) -> None:
    _current.set(Lifetimes.of(settings))


def current() -> Lifetimes:
    """The serving app's limits; the defaults outside a request (scripts, tests)."""
    return _current.get() or Lifetimes.of(Settings())


# --- the rules (pure) --------------------------------------------------------------------


def idle_expired(last_used: datetime, now: datetime, idle: timedelta) -> bool:
    """True when a session or token last used at ``last_used`` has been idle too long.
    A zero or negative limit turns the rule off."""
    return idle > timedelta(0) and now - last_used >= idle


def device_last_used(
    created_at: datetime, last_seen_at: datetime | None, last_sync_at: datetime | None
) -> datetime:
    return max(t for t in (created_at, last_seen_at, last_sync_at) if t is not None)


def due_for_touch(last: datetime | None, now: datetime, every: timedelta = TOUCH_EVERY) -> bool:
    return last is None or now - last >= every
