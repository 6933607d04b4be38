"""Password hashes (argon2id) and device/session token hashes (SHA-256).

argon2 is slow and memory-hard on purpose (~0.3 s and 64 MiB a hash): on the event loop
one verification would stall every other request, so async code calls
:func:`hash_password_async` / :func:`verify_password_async`, which run it in a worker
thread (argon2-cffi releases the GIL). At most ``HASH_THREADS`` hashes run at once, which
bounds the memory a burst of sign-ins can take.
"""

from __future__ import annotations

import hashlib
import secrets

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

HASH_THREADS = 4
_hasher = PasswordHasher()
_limiter = anyio.CapacityLimiter(HASH_THREADS)
# Verified against when a phone is unknown, so the answer takes as long as for a known one
# and sign-in does not reveal which phones exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    """Blocking: for scripts and the CLI; async code uses :func:`hash_password_async`."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Blocking: for scripts; async code uses :func:`verify_password_async`."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def hash_password_async(password: str) -> str:
    return await anyio.to_thread.run_sync(hash_password, password, limiter=_limiter)


async def verify_password_async(password_hash: str | None, password: str) -> bool:
    return await anyio.to_thread.run_sync(
        verify_password, password_hash, password, limiter=_limiter
    )


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
