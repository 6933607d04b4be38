"""Security headers on every response, added by a ``before_send`` hook (so error pages and
404s of unknown paths get them too).

- ``Content-Security-Policy``: scripts, styles, fetches and workers from this origin only
  (the pages have no inline scripts or styles; the shell's ``<script type=
  "application/json">`` is data, not run); no framing (``frame-ancestors 'none'``, and
  ``X-Frame-Options: DENY`` for old browsers). The OpenAPI viewers under ``/schema`` load
  their scripts from a CDN, so they get no CSP (they show no personal data).
- ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin``.
- ``Cache-Control: no-store`` on every response that does not set its own caching, except
  static files: pages and API answers carry personal data that must not stay in a shared
  phone's or a proxy's cache. The service worker, the app shell and the manifest set
  ``no-cache`` themselves (the shell is the same for every user).
- ``Strict-Transport-Security`` only when ``WANGGE_HSTS_SECONDS`` > 0 (behind TLS).
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import BeforeMessageSendHookHandler, Message, Scope

from server.config import Settings

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
STATIC_PREFIX = "/static/"
NO_CSP_PREFIX = "/schema"


def headers_for(path: str, has_cache_control: bool, hsts_seconds: int = 0) -> dict[str, str]:
    """The headers to add to a response for ``path`` (pure; tested with a table)."""
    headers = {
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
    }
    if not path.startswith(NO_CSP_PREFIX):
        headers["Content-Security-Policy"] = CSP
    if not has_cache_control and not path.startswith(STATIC_PREFIX):
        headers["Cache-Control"] = "no-store"
    if hsts_seconds > 0:
        headers["Strict-Transport-Security"] = f"max-age={hsts_seconds}; includeSubDomains"
    return headers


def before_send(settings: Settings) -> BeforeMessageSendHookHandler:
    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        wanted = headers_for(scope["path"], "cache-control" in headers, settings.hsts_seconds)
        for name, value in wanted.items():
            if name not in headers:
                headers[name] = value

    return add_headers
