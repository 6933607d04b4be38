"""Opaque pull cursors (docs/sync-protocol.md, "Cursors").

Two kinds, both carrying the scope version of the user they were made for:

- feed ``F1.<scope>.<rev>``: every change up to and including ``rev`` has been delivered;
- snapshot ``S1.<scope>.<hi>.<order>.<pos>.<after>[.<left>]``: a first sync in progress
  under the fixed horizon ``hi``; ``order`` lists the collections (one base-36 digit each,
  indexes into the registry), ``pos`` is the collection being sent and ``after`` the last
  id sent in it (empty before the first); ``left``, when present, the snapshot rows still
  to come, counted once on the first page and carried down (the ``remaining`` estimate).

Clients must treat cursors as opaque strings. Pure: standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
_INT = re.compile(r"^(0|[1-9]\d{0,17})$")
_AFTER = re.compile(r"^[0-9a-f-]{0,40}$")
MAX_CURSOR_LENGTH = 200


class CursorError(ValueError):
    """Text that is not a cursor this server made."""


@dataclass(frozen=True, slots=True)
class FeedCursor:
    scope: int
    rev: int


@dataclass(frozen=True, slots=True)
class SnapshotCursor:
    scope: int
    hi: int
    order: tuple[int, ...]
    pos: int
    after: str = ""
    #: snapshot rows still to come after this position (None: not counted yet)
    left: int | None = None

    @property
    def done(self) -> bool:
        return self.pos >= len(self.order)


Cursor = FeedCursor | SnapshotCursor


def encode(cursor: Cursor) -> str:
    if isinstance(cursor, FeedCursor):
        return f"F1.{cursor.scope}.{cursor.rev}"
    order = "".join(_DIGITS[i] for i in cursor.order)
    text = f"S1.{cursor.scope}.{cursor.hi}.{order}.{cursor.pos}.{cursor.after}"
    return text if cursor.left is None else f"{text}.{cursor.left}"


def _int(text: str) -> int:
    if not _INT.match(text):
        raise CursorError("malformed cursor")
    return int(text)


def decode(text: str) -> Cursor:
    if len(text) > MAX_CURSOR_LENGTH:
        raise CursorError("cursor too long")
    parts = text.split(".")
    if parts[0] == "F1" and len(parts) == 3:
        return FeedCursor(scope=_int(parts[1]), rev=_int(parts[2]))
    if parts[0] == "S1" and len(parts) in (6, 7):
        scope, hi, pos = _int(parts[1]), _int(parts[2]), _int(parts[4])
        if not parts[3] or any(c not in _DIGITS for c in parts[3]):
            raise CursorError("malformed cursor order")
        order = tuple(_DIGITS.index(c) for c in parts[3])
        if len(set(order)) != len(order) or pos > len(order):
            raise CursorError("malformed cursor order")
        if not _AFTER.match(parts[5]) or (pos == len(order) and parts[5]):
            raise CursorError("malformed cursor position")
        left = _int(parts[6]) if len(parts) == 7 else None
        return SnapshotCursor(scope, hi, order, pos, parts[5], left)
    raise CursorError("unknown cursor form")


def rev_of(cursor: Cursor) -> int:
    """The change number the device is known to hold everything up to (snapshot: its hi)."""
    return cursor.rev if isinstance(cursor, FeedCursor) else cursor.hi
