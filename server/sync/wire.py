"""Wire types of the sync protocol (docs/sync-protocol.md, "Messages").

Pure: msgspec only. Field names are short on purpose: a day's sync on 2G is counted in bytes.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

PROTOCOL_VERSION = 1
#: Schema versions of the client's local store that this server can talk to.
SUPPORTED_SCHEMAS = frozenset({1})
MAX_MUTATIONS = 500
MAX_PAGE = 5000

MutationStatus = Literal["applied", "merged", "conflict", "rejected"]
Op = Literal["put", "del"]


class Mutation(msgspec.Struct, forbid_unknown_fields=True):
    id: str  # client-made UUID of this mutation: the idempotency key
    col: str  # collection name
    rid: str  # record UUID (client-made for new records)
    op: Op
    hlc: str  # hybrid logical clock of the edit on the device
    at: int  # device wall time of the edit, ms since the epoch
    base: int | None = None  # rev of the record the edit was made on; None = new record
    data: dict[str, Any] = msgspec.field(default_factory=dict)  # changed fields only


class SyncRequest(msgspec.Struct, forbid_unknown_fields=True):
    protocol: int
    schema: int
    app: str
    clock: int  # device wall time when the request was sent, ms since the epoch
    cursor: str | None = None
    pending: int = 0  # outbox size on the device, for the supervisor's freshness view
    mutations: list[Mutation] = msgspec.field(default_factory=list)
    limit: int | None = None
    pull: bool = True
    # Collections the device wants first on a first sync (today's work first).
    first: list[str] | None = None


class MutationResult(msgspec.Struct, omit_defaults=True):
    id: str
    status: MutationStatus
    rev: int | None = None
    code: str | None = None
    message: str | None = None
    conflicts: list[str] | None = None  # conflict ids created by this mutation
    held: list[str] | None = None  # fields held for a supervisor's review


class Page(msgspec.Struct):
    """Rows of one collection in column form: ``rows[i][j]`` is ``cols[j]`` of row i."""

    cols: list[str]
    rows: list[list[Any]]


class SyncResponse(msgspec.Struct, omit_defaults=True):
    protocol: int
    server_time: int  # ms since the epoch
    cursor: str
    results: list[MutationResult] = msgspec.field(default_factory=list)
    changes: dict[str, Page] = msgspec.field(default_factory=dict)
    removed: dict[str, list[str]] = msgspec.field(default_factory=dict)
    more: bool = False
    reset: str | None = None  # "horizon" | "scope": drop the snapshot, keep the outbox, re-pull
    clock_offset: int | None = None  # device clock minus server clock, ms


class ErrorBody(msgspec.Struct):
    code: str
    message: str
    detail: Any = None


class ErrorResponse(msgspec.Struct):
    error: ErrorBody
