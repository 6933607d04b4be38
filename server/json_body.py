"""The one JSON body decoder of every API: the accounts routes, the sync request and the
conflict decision read their bodies here, so they answer the same codes.

- ``413 body_too_large``: the body exceeds the limit (the message names it);
- ``400 bad_json``: the bytes are not JSON, or JSON nested deeper than :data:`MAX_DEPTH`
  levels (nothing any API takes nests that deep, and a deeper value would exhaust the
  recursion of whatever walks it later);
- ``400 bad_body``: JSON of the wrong shape; ``detail.path`` names the field
  (``$.mutations[0].at``).
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

import msgspec
from litestar import Request
from litestar.exceptions import HTTPException

from server.errors import BadInput, TooLarge
from server.i18n import gettext as _

T = TypeVar("T")

#: Deepest nesting of arrays and objects accepted in a body.
MAX_DEPTH = 32

# Everything but the bytes that open or close an array, object or string.
_NOT_STRUCTURAL = bytes(b for b in range(256) if b not in b'[]{}"')
_OPENERS = re.compile(rb"[\[{]{%d}" % (MAX_DEPTH + 1))


def too_large(limit: int) -> TooLarge:
    return TooLarge(
        _("The request body is too large (the limit is %(limit)s bytes).", limit=limit),
        code="body_too_large",
    )


async def read_body(request: Request[Any, Any, Any], limit: int) -> bytes:
    """The raw body; over the app's limit it is ``413 body_too_large`` naming ``limit``."""
    try:
        raw = await request.body()
    except HTTPException as exc:
        if exc.status_code == 413:
            raise too_large(limit) from exc
        raise
    if len(raw) > limit:
        raise too_large(limit)
    return raw


def nested_deeper_than(body: bytes, limit: int = MAX_DEPTH) -> bool:
    """True when the JSON text nests arrays and objects more than ``limit`` levels deep.

    Works on the bytes with C-speed string operations and no recursion: drop escaped
    backslashes and quotes, keep only brackets and quotes, drop the strings, then peel
    off the innermost level of empty ``[]`` / ``{}`` pairs per pass (a placeholder keeps
    a pair that one removal creates for the next pass). A run of ``limit + 1`` openers
    ends it early. The body must be valid JSON (broken JSON may count as too deep).
    """
    if b"\\" in body:
        body = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    skeleton = b"".join(body.translate(None, _NOT_STRUCTURAL).split(b'"')[::2])
    for _level in range(limit):
        if not skeleton:
            return False
        if _OPENERS.search(skeleton):
            return True
        skeleton = skeleton.replace(b"[]", b"_").replace(b"{}", b"_").replace(b"_", b"")
    return bool(skeleton)


def _path(exc: msgspec.ValidationError) -> str | None:
    text = str(exc)
    marker = " - at `"
    return text.split(marker, 1)[1].rstrip("`") if marker in text else None


def decode_json(body: bytes, kind: type[T]) -> T:
    """JSON of the given shape, or a ``bad_json`` / ``bad_body`` error naming the field."""
    try:
        value = msgspec.json.decode(body, type=kind)
    except msgspec.ValidationError as exc:
        raise BadInput(
            _("Invalid request: %(reason)s", reason=str(exc)),
            code="bad_body",
            detail={"path": _path(exc)},
        ) from exc
    except msgspec.DecodeError as exc:
        raise BadInput(_("The body is not valid JSON."), code="bad_json") from exc
    except RecursionError as exc:
        raise _too_deep() from exc
    # msgspec itself stops near 1,000 levels; what passes it must not reach code that
    # walks it recursively (validation, the JSON columns, the audit log)
    if nested_deeper_than(body):
        raise _too_deep()
    return value


def _too_deep() -> BadInput:
    return BadInput(
        _("The JSON is nested more than %(n)s levels deep.", n=MAX_DEPTH),
        code="bad_json",
        detail={"max_depth": MAX_DEPTH},
    )
