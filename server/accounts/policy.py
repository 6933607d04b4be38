"""Rules for accounts, as plain functions: what a password must be, where a role may sit.

Pure: no I/O. Callers (create-user, any future password change) turn a problem into a
refusal; the demo seed is the one caller allowed to skip the password rule.
"""

from __future__ import annotations

import re

MIN_PASSWORD = 10
MAX_PASSWORD = 128

#: the level each role is bound to (a grid worker works a grid, a sentinel a village ...)
ROLE_LEVELS: dict[str, tuple[str, ...]] = {
    "grid_worker": ("grid",),
    "sentinel": ("village",),
    "township_health": ("town",),
    "supervisor": ("town", "county", "city"),
    "admin": ("county", "city"),
}

#: Passwords people pick first (here and in the published leak lists), compared after
#: lower-casing. Anything on it is the first thing a guesser tries.
COMMON_PASSWORDS = frozenset(
    {
        "password1",
        "password12",
        "password123",
        "password1234",
        "passw0rd123",
        "p@ssw0rd123",
        "abc123456789",
        "abcd12345678",
        "a1234567890",
        "a123456789",
        "aa123456789",
        "qwerty12345",
        "qwerty123456",
        "qwe123456789",
        "1qaz2wsx3edc",
        "1q2w3e4r5t",
        "1q2w3e4r5t6y",
        "zxcvbnm123",
        "asdfghjkl1",
        "iloveyou123",
        "woaini1314",
        "woaini521",
        "woaini13145",
        "5201314abc",
        "admin12345",
        "admin123456",
        "administrator1",
        "welcome123",
        "changeme123",
        "letmein123",
        "demo123456",
        "test123456",
        "wangge12345",
        "wangge123456",
    }
)

_LETTER = re.compile(r"[^\W\d_]")  # any script's letters (汉字 count as letters)
_DIGIT = re.compile(r"\d")


def password_problem(password: str, phone: str = "") -> str | None:
    """Why this password is refused, in English for the command line, or None when it is fine.

    At least 10 characters with a letter and a digit; not the phone number (nor containing
    it); not on the short list of the commonest passwords; not one character repeated.
    """
    if len(password) < MIN_PASSWORD:
        return f"password must be at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"password must be at most {MAX_PASSWORD} characters"
    if not _LETTER.search(password) or not _DIGIT.search(password):
        return "password must contain both letters and digits"
    digits = re.sub(r"\D", "", phone)
    if len(digits) >= 5 and digits in re.sub(r"\D", "", password):
        return "password must not contain the phone number"
    if password.lower() in COMMON_PASSWORDS:
        return "password is one of the most common passwords; choose another"
    if len(set(password.lower())) < 4:
        return "password must use more than a few different characters"
    return None


def role_level_problem(role: str, level: str) -> str | None:
    """Why a user of this role cannot be bound to an area of this level, or None."""
    levels = ROLE_LEVELS.get(role)
    if levels is None:
        return f"unknown role {role!r}"
    if level not in levels:
        return f"a {role} is bound to a {' or '.join(levels)}, not a {level}"
    return None
