"""The messages of ``POST /api/sync`` (docs/sync-protocol.md, "Messages"): what the server
decodes and the clients send, and the answer.

Pure: msgspec only. Field names are short on purpose: a day's sync on 2G is counted in bytes.
Every Struct here is documented in docs/sync-protocol.md (tests/unit/test_sync_docs.py checks).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

PROTOCOL_VERSION = 1
MAX_MUTATIONS = 500
#: Latest instant a device may state (ms since the epoch, 2100-01-01): bounds ``at``/``clock``.
MAX_EPOCH_MS = 4_102_444_800_000

MutationStatus = Literal["applied", "merged", "conflict", "rejected"]
Op = Literal["put", "del"]
EpochMs = Annotated[int, msgspec.Meta(ge=0, le=MAX_EPOCH_MS)]
ShortText = Annotated[str, msgspec.Meta(max_length=64)]


class Mutation(msgspec.Struct, forbid_unknown_fields=True):
    id: ShortText  # client-made UUID of this mutation: the idempotency key
    col: Annotated[str, msgspec.Meta(max_length=32)]  # collection name
    rid: ShortText  # record id (client-made UUID for new records)
    op: Op
    hlc: Annotated[str, msgspec.Meta(max_length=40)]  # hybrid logical clock of the edit
    at: EpochMs  # device wall time of the edit, ms since the epoch
    base: Annotated[int, msgspec.Meta(ge=0)] | None = None  # rev the edit was made on
    data: dict[str, Any] = msgspec.field(default_factory=dict)  # changed fields only


class SyncRequest(msgspec.Struct, forbid_unknown_fields=True):
    protocol: int
    schema: int
    app: Annotated[str, msgspec.Meta(max_length=32)]
    clock: EpochMs  # device wall time when the request was sent, ms since the epoch
    cursor: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    pending: Annotated[int, msgspec.Meta(ge=0, le=10_000_000)] = 0  # outbox size on the device
    mutations: list[Mutation] = msgspec.field(default_factory=list)
    limit: Annotated[int, msgspec.Meta(ge=1)] | None = None
    pull: bool = True
    # Collections the device wants first on a first sync (today's work first).
    first: (
        Annotated[list[Annotated[str, msgspec.Meta(max_length=32)]], msgspec.Meta(max_length=32)]
        | None
    ) = None


class Envelope(msgspec.Struct):
    """The two fields read before anything else, so a newer client gets 426, not bad_body."""

    protocol: int
    schema: int


class MutationResult(msgspec.Struct, omit_defaults=True):
    id: str
    status: MutationStatus
    rev: int | None = None
    code: str | None = None
    message: str | None = None
    conflicts: list[str] | None = None  # conflict ids created by this mutation
    held: list[str] | None = None  # fields held for a supervisor's review
    field: str | None = None  # the field a rejection is about, when there is one
    # Values the server gave a new record beyond its data (a derived area_id, defaults):
    # with them the device holds the whole record, so it is not echoed back in changes.
    set: dict[str, Any] | None = None


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
    # Records still to come after this response (an estimate, for a progress bar); sent
    # only when ``more`` is true.
    remaining: int | None = None
