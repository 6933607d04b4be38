"""Content-Encoding negotiation and compression (static files and sync answers). Pure.

``choose_encoding`` reads an ``Accept-Encoding`` header (RFC 9110 §12.5.3): codings with
their q-values, ``*`` for any other, ``identity`` acceptable unless refused (``q=0``). Of
what the client accepts, the server's own order wins (brotli before gzip): a browser
sends "gzip, deflate, br" without preferring one, and brotli is the smaller.
"""

from __future__ import annotations

import gzip

import brotli

BR = "br"
GZIP = "gzip"
#: our preference, best first
OFFERED: tuple[str, ...] = (BR, GZIP)


def _weights(accept_encoding: str | None) -> dict[str, float]:
    weights: dict[str, float] = {}
    for part in (accept_encoding or "").split(","):
        name, _, params = part.strip().partition(";")
        name = name.strip().lower()
        if not name:
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value.strip())))
                except ValueError:
                    q = 0.0
        weights[name] = q
    if "x-gzip" in weights and GZIP not in weights:
        weights[GZIP] = weights["x-gzip"]
    return weights


def choose_encoding(accept_encoding: str | None, offered: tuple[str, ...] = OFFERED) -> str | None:
    """The coding to send (one of ``offered``), or None for the plain body."""
    weights = _weights(accept_encoding)
    best: str | None = None
    best_q = 0.0
    for name in offered:
        q = weights.get(name, weights.get("*", 0.0))
        if q > best_q:
            best, best_q = name, q
    return best


def compress(body: bytes, encoding: str, *, quality: int = 5) -> bytes:
    """``body`` in ``encoding``. ``quality`` is brotli's (0 to 11; 11 for files made once,
    5 for answers made per request); gzip uses level 6 with a fixed mtime (same bytes for
    the same body)."""
    if encoding == BR:
        return bytes(brotli.compress(body, quality=quality))
    if encoding == GZIP:
        return gzip.compress(body, compresslevel=6 if quality < 9 else 9, mtime=0)
    raise ValueError(f"unknown encoding {encoding!r}")
