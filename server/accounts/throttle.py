"""Sign-in throttling per phone and per client address, kept in the database.

The rule is a sliding window (:func:`retry_after`, pure): after ``limit`` failed sign-ins
of one phone (or from one address) within the window, the next attempt is refused with
``429`` and ``Retry-After`` until the oldest of them leaves the window. The counters are
rows of ``sign_in_failures``, so every server process over one database shares them.

An attempt is written (and committed) *before* the password is checked and deleted when
it succeeds: parallel guesses see each other, so a burst cannot slip past the limit while
the hashes are being verified. A refused attempt is not counted, so waiting is enough.

:func:`sign_in` runs the whole sign-in: admit, look the user up, verify the password in a
worker thread outside any transaction (SQLite's write lock is not held while argon2
works), then audit; the caller starts a session or issues a device.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from litestar import Request, Response
from litestar.types import ExceptionHandlersMap
from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts import service
from server.accounts.models import SignInFailure, User
from server.accounts.passwords import verify_password_async
from server.config import Settings
from server.db import utcnow
from server.errors import DomainError
from server.i18n import gettext as _

log = logging.getLogger("wangge.throttle")
AnyRequest = Request[Any, Any, Any]
#: one attempt in this many also sweeps rows older than the window
SWEEP_EVERY = 16


# --- the rule (pure) ---------------------------------------------------------------------


def retry_after(
    failures: Sequence[datetime], now: datetime, limit: int, window: timedelta
) -> int | None:
    """Seconds to wait before one more attempt, or None when it may go ahead now.

    ``failures``: when the other failed attempts happened (any order; those before the
    window do not count). One stamped a moment after ``now`` counts too: it is a parallel
    attempt that started later but was written first. ``limit`` <= 0 turns the rule off.
    """
    if limit <= 0:
        return None
    recent = sorted(t for t in failures if now - window < t)
    if len(recent) < limit:
        return None
    # allowed again once all but limit - 1 of them have left the window
    frees_at = recent[len(recent) - limit] + window
    return max(1, math.ceil((frees_at - now).total_seconds()))


def wait_text(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return _(
        "Too many failed sign-ins. Wait %(minutes)s minutes and try again, "
        "or ask your administrator to reset your password.",
        minutes=minutes,
    )


# --- refusals ----------------------------------------------------------------------------


class SignInThrottled(DomainError):
    status_code = 429
    code = "too_many_attempts"

    def __init__(self, seconds: int) -> None:
        super().__init__(wait_text(seconds), detail={"retry_after": seconds})
        self.retry_after = seconds

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


def throttled_handler(_request: AnyRequest, exc: SignInThrottled) -> Response[Any]:
    return Response(exc.to_json(), status_code=exc.status_code, headers=exc.headers)


#: merged into the app's exception handlers by create_app (JSON routes; /login renders
#: the message on its form itself)
EXCEPTION_HANDLERS: ExceptionHandlersMap = {SignInThrottled: throttled_handler}


# --- storage -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attempt:
    id: int
    phone_key: str
    address_key: str


def client_address(request: AnyRequest) -> str:
    """The caller's address (behind a proxy, uvicorn's --proxy-headers sets it)."""
    return request.client.host if request.client else "unknown"


def _key(secret: str, kind: str, value: str) -> str:
    # keyed, so the table does not hold phone numbers or addresses in a reversible form
    return hmac.new(secret.encode(), f"{kind}|{value}".encode(), hashlib.sha256).hexdigest()[:32]


async def admit(
    session: AsyncSession,
    settings: Settings,
    phone: str,
    address: str,
    now: datetime | None = None,
) -> Attempt:
    """Write the attempt, then count: raises SignInThrottled (and forgets the attempt) when
    the phone or the address has too many recent failures. Runs on the request's session
    and commits twice: the attempt first, so parallel guesses see each other."""
    now = now or utcnow()
    window = timedelta(seconds=settings.signin_window_seconds)
    phone_key = _key(settings.secret_key, "phone", service.normalise_phone(phone)[:64])
    address_key = _key(settings.secret_key, "address", address[:100])
    row = SignInFailure(at=now, phone_key=phone_key, address_key=address_key)
    session.add(row)
    await session.flush()
    attempt = Attempt(row.id, phone_key, address_key)
    await session.commit()
    # a second transaction: it sees every attempt committed before it, ours included
    since = now - window
    waits = [
        retry_after(await _times(session, column, key, since, attempt.id), now, limit, window)
        for column, key, limit in (
            (SignInFailure.phone_key, phone_key, settings.signin_phone_limit),
            (SignInFailure.address_key, address_key, settings.signin_address_limit),
        )
    ]
    wait = max((w for w in waits if w is not None), default=None)
    if wait is not None:
        await session.execute(delete(SignInFailure).where(SignInFailure.id == attempt.id))
    await session.commit()
    if wait is not None:
        raise SignInThrottled(wait)
    if attempt.id % SWEEP_EVERY == 0:
        await _sweep(session, now - window)
    return attempt


async def _times(
    session: AsyncSession, column: Any, key: str, since: datetime, own_id: int
) -> list[datetime]:
    rows = await session.execute(
        select(SignInFailure.at).where(
            column == key, SignInFailure.at > since, SignInFailure.id != own_id
        )
    )
    return list(rows.scalars())


async def settle(session: AsyncSession, attempt: Attempt, succeeded: bool) -> None:
    """A success clears the phone's failures (a typo or two is forgiven); a failure stays."""
    if succeeded:
        await session.execute(
            delete(SignInFailure).where(SignInFailure.phone_key == attempt.phone_key)
        )


async def _sweep(session: AsyncSession, before: datetime) -> None:
    """Drop rows older than the window. Best effort: two processes sweeping at once may
    deadlock on PostgreSQL; the loser gives up and a later sweep finishes the job."""
    try:
        await session.execute(delete(SignInFailure).where(SignInFailure.at <= before))
        await session.commit()
    except SQLAlchemyError as exc:
        await session.rollback()
        log.info("sign-in failure sweep skipped: %s", type(exc).__name__)


# --- the whole sign-in -------------------------------------------------------------------


async def sign_in(
    session: AsyncSession,
    settings: Settings,
    request: AnyRequest,
    phone: str,
    password: str,
    *,
    via: str,
) -> User | None:
    """Check the credentials under the throttle, on the request's one session: the user
    (the sign-in audited), or None when they are wrong; raises SignInThrottled when the
    caller must wait. The password is verified with no transaction open (SQLite's write
    lock is not held while argon2 works); the request's commit ends the rest."""
    user, _inactive = await sign_in_outcome(session, settings, request, phone, password, via=via)
    return user


async def sign_in_outcome(
    session: AsyncSession,
    settings: Settings,
    request: AnyRequest,
    phone: str,
    password: str,
    *,
    via: str,
) -> tuple[User | None, bool]:
    """:func:`sign_in`, and whether a refusal was of a deactivated account with the right
    password (only then may the page say so: a wrong guess learns nothing)."""
    attempt = await admit(session, settings, phone, client_address(request))
    user = await service.find_user(session, phone)
    await session.commit()
    ok = await verify_password_async(user.password_hash if user else None, password)
    signed_in = service.record_sign_in(session, phone, user, ok, via=via)
    await settle(session, attempt, signed_in is not None)
    inactive = signed_in is None and ok and user is not None and not user.active
    return signed_in, inactive
