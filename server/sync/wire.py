"""Wire types of the sync protocol (docs/sync-protocol.md, "Messages").

The messages of ``POST /api/sync`` live in ``wangge_protocol.wire``, shared with the Python
client, and are re-exported here; this module adds the server's own limits and the types
of the conflict review API.

Pure: msgspec only. Field names are short on purpose: a day's sync on 2G is counted in bytes.
Every Struct here is documented in docs/sync-protocol.md (a test checks it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec

from wangge_protocol.wire import (
    MAX_EPOCH_MS,
    MAX_MUTATIONS,
    PROTOCOL_VERSION,
    Envelope,
    EpochMs,
    Mutation,
    MutationResult,
    MutationStatus,
    Op,
    Page,
    ShortText,
    SyncRequest,
    SyncResponse,
)

# Re-exports (mypy strict wants them named): the server's modules import the protocol's
# messages from here. What this module defines below is public as well.
__all__ = [
    "MAX_EPOCH_MS",
    "MAX_MUTATIONS",
    "PROTOCOL_VERSION",
    "Envelope",
    "EpochMs",
    "Mutation",
    "MutationResult",
    "MutationStatus",
    "Op",
    "Page",
    "ShortText",
    "SyncRequest",
    "SyncResponse",
]

#: Schema versions of the client's local store that this server can talk to.
SUPPORTED_SCHEMAS = frozenset({1})
MAX_PAGE = 5000
#: Largest decompressed request body (the compressed limit is WANGGE_MAX_BODY_BYTES).
MAX_DECOMPRESSED_BYTES = 8 * 1024 * 1024


# --- conflict review API (GET/POST /api/conflicts...) ------------------------------------


class ConflictOut(msgspec.Struct, kw_only=True):
    id: str
    rev: int
    area_id: int
    collection: str
    record_id: str
    field: str
    critical: bool
    status: str
    kept_value: Any
    kept_hlc: str | None
    kept_by: int | None
    proposed_value: Any
    proposed_hlc: str
    proposed_by: int | None
    proposed_device: str | None
    mutation_id: str | None
    created_at: datetime
    resolved_by: int | None
    resolved_at: datetime | None
    resolution_value: Any


class ConflictList(msgspec.Struct, kw_only=True):
    items: list[ConflictOut]
    next: int | None = None  # pass as ``before`` for the next page; null at the end


class ConflictDetail(msgspec.Struct, kw_only=True):
    conflict: ConflictOut
    record: dict[str, Any] | None  # the whole current record, as the feed would send it


class Decision(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    action: Literal["accept", "reject", "edit"]
    value: Any = msgspec.UNSET  # required for "edit"; may be null for a nullable field


class DecisionResult(msgspec.Struct, kw_only=True):
    conflict: ConflictOut
    rev: int | None  # the record's rev after the decision (None when nothing was written)
