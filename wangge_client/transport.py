"""The HTTP side: the two endpoints the client calls and how a body travels.

The transport is any ``httpx.AsyncClient``: a real server over TCP, or Litestar's
``AsyncTestClient`` in tests.
"""

from __future__ import annotations

import gzip
from typing import Any

import httpx
import msgspec

from wangge_client.errors import response_error
from wangge_protocol.wire import SyncResponse

SYNC_PATH = "/api/sync"
TOKEN_PATH = "/api/auth/token"
#: Bodies below this size are sent plain: gzip's 18-byte frame costs more than it saves.
GZIP_MIN_BYTES = 256


def encode_sync_body(
    body: dict[str, Any],
    token: str,
    gzip_min_bytes: int = GZIP_MIN_BYTES,
    accept_encoding: str = "gzip",
) -> tuple[bytes, dict[str, str]]:
    """The bytes and headers of a sync request, gzipped from ``gzip_min_bytes`` on.
    ``accept_encoding="br, gzip"`` asks for brotli answers (httpx inflates them when the
    ``brotli`` package is installed)."""
    raw = msgspec.json.encode(body)
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Accept-Encoding": accept_encoding,
    }
    if len(raw) >= gzip_min_bytes:
        raw = gzip.compress(raw, compresslevel=6, mtime=0)
        headers["Content-Encoding"] = "gzip"
    return raw, headers


def decode_sync_answer(response: httpx.Response) -> SyncResponse:
    """The answer to a sync request; raises ``SyncError`` (or a subclass) for a refusal."""
    if response.status_code != 200:
        raise response_error(response)
    return msgspec.json.decode(response.content, type=SyncResponse)


async def request_token(
    http: httpx.AsyncClient, phone: str, password: str, device_name: str
) -> dict[str, Any]:
    """``POST /api/auth/token``: a new device for the user, ``{device_id, token, user}``."""
    response = await http.post(
        TOKEN_PATH, json={"phone": phone, "password": password, "device_name": device_name}
    )
    if response.status_code >= 400:
        raise response_error(response)
    body: dict[str, Any] = response.json()
    return body
