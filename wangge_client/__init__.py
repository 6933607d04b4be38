"""A small Python client of the Wangge sync protocol (docs/python-client.md).

It keeps what a phone keeps (a server-confirmed snapshot, an outbox, the rejected
mutations, the pull cursor and a hybrid logical clock) and talks to the server over HTTP
only: it needs httpx, msgspec and ``wangge_protocol``, never the server's modules
(tests/unit/test_client_packages.py checks).
"""

from __future__ import annotations

from wangge_client.client import SCHEMA_VERSION, SyncClient
from wangge_client.clock import DeviceClock
from wangge_client.errors import AuthError, SyncError, UpgradeRequired
from wangge_client.ids import OrderedIds
from wangge_client.store import LocalStore
from wangge_client.summary import SyncReport, SyncSummary
from wangge_client.transport import GZIP_MIN_BYTES

__all__ = [
    "GZIP_MIN_BYTES",
    "SCHEMA_VERSION",
    "AuthError",
    "DeviceClock",
    "LocalStore",
    "OrderedIds",
    "SyncClient",
    "SyncError",
    "SyncReport",
    "SyncSummary",
    "UpgradeRequired",
]
