"""What the client raises when the server refuses a whole request."""

from __future__ import annotations

from typing import Any

import httpx
import msgspec


class SyncError(Exception):
    """The server refused the whole request (4xx/5xx). The outbox is untouched."""

    def __init__(self, status: int, code: str, message: str, detail: Any = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail


class AuthError(SyncError):
    """401: the token is unknown or the device was revoked; sign in again."""


class UpgradeRequired(SyncError):
    """426: this protocol or schema version is no longer served; update the client.
    The outbox is kept so the updated client sends it."""


def response_error(response: httpx.Response) -> SyncError:
    """The exception for an error answer: its ``{"error": {code, message, detail}}`` body
    when it has one, else the HTTP status line."""
    code, message, detail = "http_error", response.reason_phrase, None
    try:
        body = msgspec.json.decode(response.content)
        err = body.get("error", {}) if isinstance(body, dict) else {}
        code = str(err.get("code", code))
        message = str(err.get("message", message))
        detail = err.get("detail")
    except msgspec.DecodeError:
        pass
    cls: type[SyncError] = SyncError
    if response.status_code == 401:
        cls = AuthError
    elif response.status_code == 426:
        cls = UpgradeRequired
    return cls(response.status_code, code, message, detail)
