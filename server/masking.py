"""How ID numbers and phones show in every list and log entry (docs/roles.md, "Personal
data"). Pure functions; below every package, so accounts (sign-in audit entries) and the
domains (lists) mask the same way. server/people/rules.py re-exports them beside the
other person rules the field app's JavaScript port shares.
"""

from __future__ import annotations

__all__ = ["mask_id_number", "mask_phone"]


def _mask(s: str | None, keep_head: int, keep_tail: int) -> str:
    """Keep `keep_head` and `keep_tail` characters; star the rest.

    When the string is too short to hide at least one character between head and tail,
    every character is starred: revealing all of a short number is worse than showing none.
    """
    if s is None:
        return ""
    s = s.strip()
    hidden = len(s) - keep_head - keep_tail
    if hidden < 1:
        return "*" * len(s)
    return s[:keep_head] + "*" * hidden + s[len(s) - keep_tail :]


def mask_id_number(s: str | None) -> str:
    """110101199001011234 -> 110101********1234 (first 6 and last 4 kept); None -> ""."""
    return _mask(s, 6, 4)


def mask_phone(s: str | None) -> str:
    """13812345678 -> 138****5678 (first 3 and last 4 kept); None -> ""."""
    return _mask(s, 3, 4)
